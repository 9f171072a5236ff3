"""The browser side of authorize: login, consent and the redirect back to the app.

Flow: ``GET authorize`` validates (see oauth.validate_authorize) and keeps the request server
side under a random id, then shows the login page, or the consent page when the browser already
has a session on this host. ``POST login`` starts a session (host-only, HttpOnly, SameSite=Lax
cookie) and redirects (303) to ``GET consent``. ``POST consent`` with Approve redirects (302) to
``redirect_uri?code=...&state=...``; Deny with ``error=access_denied``. ``POST logout`` ends the
session and shows the login page again.

Forms carry only the request id and a per-request CSRF token; the parameters themselves are
never read back from the page. The consent POST must also come from the browser session that
signed in for that request.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Request, Response

from . import pages
from .context import RequestContext
from .oauth import PageError, RedirectError, issue_code, validate_authorize
from .responses import html_response
from .scopes import consent_lines
from .state import PendingRequest

SESSION_COOKIE = "ilert_emulator_session"
PENDING_TTL = 600  # seconds a sign-in may take
# Bounds, so a page that opens authorize in a loop cannot grow the emulator's memory without
# end: beyond them the oldest pending sign-in (or browser session) is forgotten.
MAX_PENDING = 100
MAX_SESSIONS = 1000


def _bounded_add(table: dict, key: str, value: object, limit: int) -> None:
    """Insert into a dict kept in insertion order, dropping the oldest beyond ``limit``."""
    table[key] = value
    while len(table) > limit:
        del table[next(iter(table))]


def redirect_with(uri: str, params: dict[str, str | None]) -> Response:
    """302 to ``uri`` with ``params`` added to its query (None values left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)
    sep = "" if uri.endswith(("?", "&")) else ("&" if "?" in uri else "?")
    return Response(
        status=302, headers={"Location": f"{uri}{sep}{query}", "Cache-Control": "no-store"}
    )


def error_redirect(uri: str, error: str, description: str, state: str | None) -> Response:
    return redirect_with(uri, {"error": error, "error_description": description, "state": state})


def _see_other(location: str) -> Response:
    return Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _session_user(ctx: RequestContext, request: Request) -> tuple[str, str] | None:
    """(session id, username) of a live browser session whose user still exists."""
    sid = request.cookies.get(SESSION_COOKIE)
    username = ctx.state.sessions.get(sid or "")
    if sid and username and ctx.state.user(username) is not None:
        return sid, username
    return None


def authorize(ctx: RequestContext, request: Request) -> Response:
    try:
        auth = validate_authorize(ctx.state.apps, request.args)
    except PageError as exc:
        return html_response(pages.error_page(exc.title, exc.message), exc.status)
    except RedirectError as exc:
        # Only reached once client_id and redirect_uri are known to be good.
        return error_redirect(
            request.args["redirect_uri"], exc.error, exc.description, request.args.get("state")
        )
    now = ctx.clock.now()
    for stale in [p for p, r in ctx.state.pending.items() if r.expires < now]:
        del ctx.state.pending[stale]
    pending = PendingRequest(
        id=secrets.token_urlsafe(24),
        request=auth,
        csrf=secrets.token_urlsafe(24),
        expires=now + PENDING_TTL,
    )
    _bounded_add(ctx.state.pending, pending.id, pending, MAX_PENDING)
    session = _session_user(ctx, request)
    if session is not None:
        pending.session = session[0]
        return _consent(ctx, pending, session[1])
    return _login(ctx, pending)


def _login(
    ctx: RequestContext,
    pending: PendingRequest,
    message: str | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    app = ctx.state.apps[pending.request.client_id]
    html = pages.login_page(
        app_name=app.name,
        tenant=str(ctx.state.tenant.get("name")),
        users=ctx.state.data["users"],
        request_id=pending.id,
        csrf=pending.csrf,
        message=message,
        username=username,
    )
    return html_response(html, status)


def _consent(ctx: RequestContext, pending: PendingRequest, username: str) -> Response:
    app = ctx.state.apps[pending.request.client_id]
    user = ctx.state.user(username) or {"username": username}
    html = pages.consent_page(
        app_name=app.name,
        tenant=str(ctx.state.tenant.get("name")),
        user_name=pages.full_name(user),
        username=str(user.get("username", username)),
        scopes=consent_lines(pending.request.scope),
        redirect_uri=pending.request.redirect_uri,
        request_id=pending.id,
        csrf=pending.csrf,
    )
    return html_response(html)


def _pending(ctx: RequestContext, request_id: str | None) -> PendingRequest | None:
    pending = ctx.state.pending.get(request_id or "")
    if pending is not None and ctx.clock.now() >= pending.expires:
        del ctx.state.pending[pending.id]
        return None
    return pending


def _expired() -> Response:
    return html_response(
        pages.error_page(
            "Sign-in request expired",
            "This sign-in request is unknown or has expired. Start again from the app.",
        ),
        400,
    )


def _checked(ctx: RequestContext, request: Request) -> PendingRequest | Response:
    """The pending request a form names, with its CSRF token checked."""
    pending = _pending(ctx, request.form.get("request"))
    if pending is None:
        return _expired()
    if not hmac.compare_digest(request.form.get("csrf", "").encode(), pending.csrf.encode()):
        return html_response(
            pages.error_page("Request refused", "The form's security token is wrong."), 403
        )
    return pending


def login_get(ctx: RequestContext, request: Request) -> Response:
    pending = _pending(ctx, request.args.get("request"))
    if pending is None:
        return _expired()
    return _login(ctx, pending)


def login_post(ctx: RequestContext, request: Request) -> Response:
    pending = _checked(ctx, request)
    if isinstance(pending, Response):
        return pending
    typed = request.form.get("username", "").strip()
    user = ctx.state.user(typed) if typed else None
    if user is None:
        message = f"There is no user {typed!r} in this account." if typed else "Enter a username."
        return _login(ctx, pending, message, typed)
    sid = secrets.token_urlsafe(24)
    _bounded_add(ctx.state.sessions, sid, str(user["username"]), MAX_SESSIONS)
    pending.session = sid
    response = _see_other(f"consent?request={quote(pending.id)}")
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", path="/")
    return response


def consent_get(ctx: RequestContext, request: Request) -> Response:
    pending = _pending(ctx, request.args.get("request"))
    if pending is None:
        return _expired()
    session = _session_user(ctx, request)
    if session is None or session[0] != pending.session:
        return _see_other(f"login?request={quote(pending.id)}")
    return _consent(ctx, pending, session[1])


def consent_post(ctx: RequestContext, request: Request) -> Response:
    pending = _checked(ctx, request)
    if isinstance(pending, Response):
        return pending
    session = _session_user(ctx, request)
    if session is None or session[0] != pending.session:
        return html_response(
            pages.error_page("Not signed in", "Sign in again to decide on this request."), 403
        )
    decision = request.form.get("decision")
    if decision not in ("approve", "deny"):
        return html_response(pages.error_page("Invalid request", "Choose Approve or Deny."), 400)
    del ctx.state.pending[pending.id]  # a decision is final
    auth = pending.request
    if decision == "deny":
        return error_redirect(
            auth.redirect_uri, "access_denied", "The user denied access", auth.state
        )
    code = issue_code(ctx, auth, session[1])
    return redirect_with(auth.redirect_uri, {"code": code, "state": auth.state})


def logout_post(ctx: RequestContext, request: Request) -> Response:
    pending = _checked(ctx, request)
    if isinstance(pending, Response):
        return pending
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        ctx.state.sessions.pop(sid, None)
    pending.session = None
    response = _see_other(f"login?request={quote(pending.id)}")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax")
    return response
