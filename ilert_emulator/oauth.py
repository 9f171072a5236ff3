"""ilert's OAuth2 endpoints: authorize-request validation, token, token_info and revoke.

Follows the ilert contract; where ilert documents nothing the RFCs decide:
- Unknown ``client_id`` or unregistered ``redirect_uri``: an error page, never a redirect
  (RFC 6749 4.1.2.1). Every later authorize error redirects with ``error``,
  ``error_description`` and ``state`` (``state`` only when the client sent one).
- A native app's loopback redirect (RFC 8252 §7.3): a registered ``http://127.0.0.1/PATH``
  or ``http://[::1]/PATH`` matches that URI with any port; every other URI, ``localhost``
  included, must match a registered one exactly (as ilert compares them).
- A wrong ``response_type`` is ``unsupported_response_type`` (RFC 6749 4.1.2.1).
- Public clients must use PKCE with S256; ``plain`` is refused (RFC 7636, OAuth 2.1).
- ``redirect_uri`` is optional at the token endpoint, as in ilert's guide; when sent it must
  match the one the code was issued for (RFC 6749 4.1.3). Mode ``require_redirect_uri``
  makes it mandatory (400 ``invalid_request`` without it).
- A reused code fails with ``invalid_grant`` and the refresh tokens minted from it (and their
  successors) are revoked (RFC 6749 4.1.2 SHOULD). Access tokens from it live on, as ilert
  keeps access tokens after a revocation. A wrong verifier does not use the code up.
- Refresh, as ilert documents it: every refresh returns a new refresh token and the one used
  stays valid; at most 10 live refresh tokens per app and user, the oldest revoked beyond
  that. Mode ``strict_rotation`` revokes the used refresh token at once.
- A refresh keeps the scope originally granted; a ``scope`` parameter is ignored.
- Token, token_info and revoke accept ``application/x-www-form-urlencoded`` bodies only, with
  each parameter at most once (RFC 6749 3.1: "MUST NOT be included more than once"): a
  repeated one is ``invalid_request`` 400.
- token_info answers ``{"active": false}`` for anything but a live access token (RFC 7662);
  revoke answers 200 with an empty body, also for unknown tokens (RFC 7009), and only
  revokes refresh tokens (access tokens live until they expire, as at ilert). A revoke that
  names a ``client_id`` revokes only that client's tokens: for a token issued to another
  client it answers the same 200 and revokes nothing (RFC 7009 2.1 says the token must have
  been issued to the client asking; the unchanged answer tells no client that another's
  token exists). Without ``client_id`` (ilert documents only ``token``) the token is revoked.
- Confidential apps (a secret in apps.json) authenticate with ``client_secret`` in the form
  or HTTP Basic; a wrong secret is ``invalid_client`` 401 (RFC 6749 5.2). As ilert's guide
  says, "the client secret can be omitted by relying on PKCE": a code issued with a
  code_challenge may be exchanged without the secret, and the refresh tokens of such a grant
  may be used without it too (ilert is silent on that; anything else would make them
  useless). A public app that sends a secret is refused with ``invalid_client``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .context import RequestContext
from .responses import NO_STORE, json_response, oauth_error
from .scopes import ScopeError, has_offline_access, normalise
from .state import AuthRequest, CodeRecord, State
from .store import App
from .tokens import ACCESS_TTL, REFRESH_TTL, TokenError

CODE_TTL = 120  # seconds, as ilert
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, no padding
VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 4.1
SINGLE = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge")


class PageError(Exception):
    """An authorize error that must not redirect (unknown client or redirect URI)."""

    def __init__(self, title: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


class RedirectError(Exception):
    """An authorize error reported to the client by redirecting with ``error``."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


LOOPBACK_IPS = ("127.0.0.1", "[::1]")


def redirect_registered(registered: list[str], uri: str) -> bool:
    """Exact match, or RFC 8252 §7.3: a loopback IP literal's port is chosen at run time.

    Only ``http`` on the IP literals 127.0.0.1 and ::1 (RFC 8252 §8.3 advises against
    ``localhost``); path and query must still be identical.
    """
    if uri in registered:
        return True
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if parts.scheme != "http" or host not in LOOPBACK_IPS or port is None or parts.fragment:
        return False
    portless = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    return portless in registered


def validate_authorize(apps: dict[str, App], args: MultiDict[str, str]) -> AuthRequest:
    """Check an authorize query; raise PageError or RedirectError."""
    for name in ("client_id", "redirect_uri"):
        if len(args.getlist(name)) > 1:
            raise PageError("Invalid request", f"The parameter {name} was sent more than once.")
    client_id = args.get("client_id", "")
    app = apps.get(client_id)
    if not client_id:
        raise PageError("Invalid request", "The request has no client_id.")
    if app is None:
        raise PageError("Unknown app", f"No app is registered with the client id {client_id!r}.")
    redirect_uri = args.get("redirect_uri", "")
    if not redirect_uri:
        raise PageError("Invalid request", "The request has no redirect_uri.")
    if not redirect_registered(app.redirect_uris, redirect_uri):
        raise PageError(
            "Redirect URI not registered",
            f"The redirect URI {redirect_uri!r} is not registered for the app {app.name!r}.",
        )
    for name in SINGLE:
        if len(args.getlist(name)) > 1:
            raise RedirectError("invalid_request", f"The parameter {name} was sent more than once")
    response_type = args.get("response_type")
    if not response_type:
        raise RedirectError("invalid_request", "Missing parameter response_type")
    if response_type != "code":
        raise RedirectError("unsupported_response_type", "Only response_type=code is supported")
    scope = args.get("scope", "")
    if not scope.strip():
        raise RedirectError("invalid_scope", "No scope was requested")
    try:
        scope = normalise(scope)
    except ScopeError as exc:
        raise RedirectError("invalid_scope", f"Invalid scope: {exc}") from exc
    challenge = args.get("code_challenge")
    method = args.get("code_challenge_method")
    if challenge is None and method is not None:
        raise RedirectError("invalid_request", "code_challenge_method without code_challenge")
    if challenge is None and app.public:
        raise RedirectError(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        )
    if challenge is not None:
        if method != "S256":
            raise RedirectError("invalid_request", "code_challenge_method must be S256")
        if not CHALLENGE_RE.match(challenge):
            raise RedirectError(
                "invalid_request", "code_challenge must be 43 base64url characters (S256)"
            )
    return AuthRequest(client_id, redirect_uri, scope, args.get("state"), challenge, method)


def issue_code(ctx: RequestContext, request: AuthRequest, username: str) -> str:
    """Mint an authorization code for an approved request (28 hex characters, as ilert's)."""
    now = ctx.clock.now()
    # Forget codes long past expiry (kept a while so a reuse is reported as such).
    for old in [c for c, r in ctx.state.codes.items() if r.expires < now - 3600]:
        del ctx.state.codes[old]
    code = secrets.token_hex(14)
    ctx.state.codes[code] = CodeRecord(
        code=code,
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        scope=request.scope,
        code_challenge=request.code_challenge,
        username=username,
        expires=now + CODE_TTL,
    )
    return code


# -- token endpoint --------------------------------------------------------------------------


def _is_form(request: Request) -> bool:
    return request.mimetype == "application/x-www-form-urlencoded"


def _form_error() -> Response:
    return oauth_error(
        "invalid_request", "The body must be form encoded (application/x-www-form-urlencoded)"
    )


def _form_refused(request: Request) -> Response | None:
    """Not a form, or a parameter in it more than once (RFC 6749 3.1): the error; else None."""
    if not _is_form(request):
        return _form_error()
    for name, values in request.form.lists():
        if len(values) > 1:
            return oauth_error("invalid_request", f"Parameter {name} is included more than once")
    return None


def _client(state: State, request: Request) -> tuple[App, bool] | Response:
    """The authenticated app and whether a secret was sent, or an error response."""
    form = request.form
    basic = request.authorization
    if basic is not None and basic.type != "basic":
        basic = None
    client_id = form.get("client_id") or (basic.username if basic else None)
    secret = form.get("client_secret") or (basic.password if basic else None)
    if not client_id:
        return oauth_error("invalid_request", "Missing parameter client_id")
    app = state.apps.get(client_id)
    if app is None:
        return oauth_error("invalid_client", "Unknown client_id")
    if app.client_secret:
        if not secret:
            return app, False  # allowed with PKCE only: the grant decides
        if not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
            return oauth_error("invalid_client", "Client authentication failed")
    elif secret:
        return oauth_error("invalid_client", "This app has no client secret")
    return app, bool(secret)


def token(ctx: RequestContext, request: Request) -> Response:
    refused = _form_refused(request)
    if refused is not None:
        return refused
    form = request.form
    grant_type = form.get("grant_type")
    if not grant_type:
        return oauth_error("invalid_request", "Missing parameter grant_type")
    if grant_type not in ("authorization_code", "refresh_token"):
        return oauth_error("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}")
    client = _client(ctx.state, request)
    if isinstance(client, Response):
        return client
    app, secret_sent = client
    if grant_type == "authorization_code":
        return _code_grant(ctx, form, app, secret_sent)
    return _refresh_grant(ctx, form, app, secret_sent)


def _secret_missing() -> Response:
    return oauth_error("invalid_client", "This app must authenticate with its secret (or use PKCE)")


def _code_grant(
    ctx: RequestContext, form: MultiDict[str, str], app: App, secret_sent: bool
) -> Response:
    code = form.get("code")
    verifier = form.get("code_verifier")
    if not code:
        return oauth_error("invalid_request", "Missing parameter code")
    if not app.public and not secret_sent and not verifier:
        return _secret_missing()
    if not verifier and (app.public or not secret_sent):
        return oauth_error("invalid_request", "Missing parameter code_verifier")
    redirect_uri = form.get("redirect_uri")
    if redirect_uri is None and ctx.modes.require_redirect_uri:
        return oauth_error("invalid_request", "Missing parameter redirect_uri")
    record = ctx.state.codes.get(code)
    if record is None:
        return oauth_error("invalid_grant", "Provided code is unknown")
    if record.client_id != app.client_id:
        return oauth_error("invalid_grant", "Provided code was issued to another client")
    if record.used:
        ctx.tokens.revoke_family(record.code)
        return oauth_error("invalid_grant", "Provided code has already been used")
    if ctx.clock.now() >= record.expires:
        return oauth_error("invalid_grant", "Provided code has expired")
    if redirect_uri is not None and redirect_uri != record.redirect_uri:
        return oauth_error("invalid_grant", "redirect_uri does not match the authorize request")
    if record.code_challenge is None and not app.public and not secret_sent:
        return _secret_missing()  # no PKCE to rely on
    if record.code_challenge is not None:
        if not verifier:
            return oauth_error("invalid_request", "Missing parameter code_verifier")
        if not VERIFIER_RE.match(verifier):
            return oauth_error(
                "invalid_request", "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]"
            )
        if not hmac.compare_digest(s256(verifier), record.code_challenge):
            return oauth_error("invalid_grant", "Code verifier does not match the code challenge")
    if ctx.state.user(record.username) is None:
        return oauth_error("invalid_grant", "The user of this code no longer exists")
    record.used = True
    return _grant(ctx, app, record.username, record.scope, record.code, not secret_sent)


def _refresh_grant(
    ctx: RequestContext, form: MultiDict[str, str], app: App, secret_sent: bool
) -> Response:
    refresh_token = form.get("refresh_token")
    if not refresh_token:
        return oauth_error("invalid_request", "Missing parameter refresh_token")
    try:
        record = ctx.tokens.check_refresh(refresh_token)
    except TokenError as exc:
        return oauth_error("invalid_grant", str(exc))
    if record.client_id != app.client_id:
        return oauth_error("invalid_grant", "Provided refresh token was issued to another client")
    if not app.public and not secret_sent and not record.secretless:
        return _secret_missing()
    if ctx.state.user(record.username) is None:
        return oauth_error("invalid_grant", "The user of this token no longer exists")
    if ctx.modes.strict_rotation:
        record.revoked = True  # the used refresh token is spent at once
    # Otherwise it stays valid: ilert's cap of 10 per app and user retires the oldest.
    secretless = record.secretless and not secret_sent
    return _grant(ctx, app, record.username, record.scope, record.family, secretless)


def _grant(
    ctx: RequestContext, app: App, username: str, scope: str, family: str, secretless: bool
) -> Response:
    """Mint the tokens. ``secretless``: the grant was obtained without a client secret, so a
    refresh token comes only with ``offline_access`` (ilert's rule)."""
    tenant = ctx.state.tenant
    common = {
        "client_id": app.client_id,
        "app_id": app.app_id,
        "username": username,
        "scope": scope,
        "tenant": tenant["name"],
        "tenant_id": tenant["id"],
    }
    body: dict[str, object] = {
        "token_type": "Bearer",
        "access_token": ctx.tokens.mint_access(**common),
        "expires_in": ACCESS_TTL,
        "scope": scope,
    }
    if has_offline_access(scope) or not secretless:
        body["refresh_token"] = ctx.tokens.mint_refresh(
            **common, family=family, secretless=secretless
        )
        body["refresh_token_expires_in"] = REFRESH_TTL
    return json_response(body, 200, NO_STORE)


# -- token_info and revoke -------------------------------------------------------------------


def token_info(ctx: RequestContext, request: Request) -> Response:
    refused = _form_refused(request)
    if refused is not None:
        return refused
    token_value = request.form.get("token")
    if not token_value:
        return oauth_error("invalid_request", "Missing parameter token")
    record = ctx.tokens.check_access(token_value)
    if record is None:
        return json_response({"active": False}, 200, NO_STORE)
    body = {
        "active": True,
        "tenant_id": record.tenant,
        "username": record.username,
        "scope": record.scope,
        "app_id": record.app_id,
    }
    return json_response(body, 200, NO_STORE)


def revoke(ctx: RequestContext, request: Request) -> Response:
    refused = _form_refused(request)
    if refused is not None:
        return refused
    token_value = request.form.get("token")
    if not token_value:
        return oauth_error("invalid_request", "Missing parameter token")
    asking = request.form.get("client_id")
    record = ctx.tokens.refresh_record(token_value)
    if asking is None or (record is not None and record.client_id == asking):
        ctx.tokens.revoke_refresh(token_value)
    # else: another client's token: the same 200, nothing revoked (see the module's notes)
    return Response(b"", status=200, headers=NO_STORE)
