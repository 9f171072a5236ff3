"""Sign-in: starting it (a popup, or a full-page redirect), the answer coming back, the code
exchange.

``sign_in`` is the button: hosts that config.json does not vouch for are confirmed first,
then ``SIGN_IN`` goes to the driver (``app.ui.driver``), which carries out its decision by
calling ``authorize``: the popup (``app.ui.signin_popup``) when it is the chosen mode and the
browser lets it open, else the redirect. ``finish_sign_in`` checks the answer (by redirect,
or handed over by the popup) and hands ``CALLBACK`` with an ``Exchange`` to the driver, which
starts ``exchange``: the code goes to the server the sign-in was started with, exactly once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.browser import web as b
from app.core import errors, flow, storage, trust, urls
from app.core.flow import Event
from app.ui import notices

if TYPE_CHECKING:
    from app.core.teaching import Lesson

ATTEMPT_MAX_AGE = 600.0  # seconds: an older stored sign-in attempt is discarded


@dataclass(frozen=True)
class Exchange:
    """What ``SEND_EXCHANGE`` sends: the checked answer's code and its attempt's verifier."""

    code: str
    verifier: str
    redirect_uri: str
    endpoints: urls.Endpoints | None  # None: the settings' (the attempt recorded none)
    lesson: Lesson | None = None  # teaching mode: shown before the code goes out


# --- starting a sign-in ---------------------------------------------------------------------


def needs_confirmation(app) -> list[trust.Recipient]:
    """Hosts config.json does not vouch for, not yet confirmed on this page."""
    pending = trust.unvouched(app.defaults, app.settings, b.page_url())
    if tuple(sorted(r.origin for r in pending)) in app.confirmed:
        return []
    return pending


def confirm_sign_in(app) -> None:
    """The user confirmed the hosts shown: remember them for this page, and sign in."""
    pending = trust.unvouched(app.defaults, app.settings, b.page_url())
    app.confirmed.add(tuple(sorted(r.origin for r in pending)))
    app.driver.show(None)
    sign_in(app)


def sign_in(app) -> None:
    """The "Sign in" button (``app`` is an ``app.ui.app.App``)."""
    if app.driver.state in (flow.SIGNED_OUT, flow.ENDED):
        pending = needs_confirmation(app)
        if pending:  # before any code or token goes to a host the site owner did not name
            app.log.step("Sign-in waits for confirmation of hosts not named by config.json")
            notices.status("")
            notices.confirm_hosts(pending)
            return
    app.driver.handle(Event(flow.SIGN_IN))  # a double click starts one flow only


def authorize(app) -> None:
    """``SEND_AUTHORIZE`` (called by the driver, in the click's task): a popup, or the redirect."""
    button = b.by_id("sign-in")
    button.disabled = True
    try:
        # Teaching mode pauses before leaving the page, and a popup opened after that
        # pause would be blocked (no user gesture left): it signs in by redirect.
        if not app.teaching and start_popup(app):
            return
        from app.core import authorize as authorization

        url = authorization.start(app.settings, app.session_store, b.page_url())
    except Exception:
        app.driver.handle(Event(flow.CANCELLED))  # could not start: signed out
        raise
    app.driver.show(None)
    if app.teaching:
        label = "Read, then press Continue"
        app.actions.start("sign-in", label, lambda: teach_then_go(app, url), cancellable=False)
        return
    go_to_server(app, url)


async def teach_then_go(app, url: str) -> None:
    from app.core import teaching
    from app.ui import teaching_view

    await teaching_view.pause(teaching.authorize_lesson(url), app.server_name())
    go_to_server(app, url)


def go_to_server(app, url: str) -> None:
    server = app.server_name()
    app.log.step(
        f"Sign-in started: new PKCE verifier and state stored in this tab; going to {server}",
        phase="authorize",
        authorize_url=url,
        tenant=app.settings.tenant or "(none)",
    )
    notices.status(f"Going to {server} to sign in…")
    b.navigate(url)


def start_popup(app) -> bool:
    """Popup sign-in when it is the chosen mode and the browser lets it open (True)."""
    from app.browser import popup

    if popup.saved_mode(app.local_store) != popup.POPUP:
        return False
    from app.ui import signin_popup

    if not signin_popup.start(app, app.settings, ATTEMPT_MAX_AGE):
        return False
    app.driver.show(None)
    return True


# --- the answer coming back -----------------------------------------------------------------


def check_attempt_age(app, params: dict[str, str]) -> None:
    attempt = storage.peek_attempt(app.session_store)
    if attempt is not None and time.time() - attempt.created > ATTEMPT_MAX_AGE:
        storage.take_attempt(app.session_store)
        if params.get("state"):
            storage.mark_state_used(app.session_store, params["state"])
        raise errors.AttemptExpired()


async def finish_sign_in(app, params: dict[str, str]) -> None:
    """The redirect back: check it, exchange the code exactly once, then load data."""
    from app.core import callback

    server = app.server_name()
    if "error" in params:  # its text only once it is known to answer our sign-in
        app.log.step(f"Back from {server} with an error", phase="callback")
    else:
        app.log.step(
            f"Back from {server} with a code; code and state removed from the address bar",
            phase="callback",
        )
    stored_state = None
    try:
        check_attempt_age(app, params)
        if app.teaching:  # read before handle() deletes it; shown once compared
            attempt = storage.peek_attempt(app.session_store)
            stored_state = attempt.state if attempt is not None else None
        result = callback.handle(params, app.session_store, app.settings.endpoints())
    except errors.CallbackError as exc:
        if isinstance(exc, errors.IgnoredCallback):  # not ours: not the server's words
            app.log.step("Error link ignored: it belongs to no sign-in of this tab")
        else:
            if "error" in params and not isinstance(exc, errors.CallbackReplayed):
                app.log.step("The error answers this tab's sign-in", query=params)
            app.log_error(exc)
        signed_in = app.has_stored_session() and app.session.signed_in
        if signed_in and app.driver.state == flow.SIGNED_OUT:
            app.driver.handle(Event(flow.RESUMED))
        app.driver.handle(Event(flow.CALLBACK_FAILED, exc))
        if signed_in:  # about that answer, not this session: over with the next action
            notices.passing()
        return
    app.log.step("State matches this tab's sign-in; verifier taken and deleted from storage")
    lesson = None
    if app.teaching:
        from app.core import teaching

        lesson = teaching.callback_lesson(params, stored_state, state_checked=True)
    # The code goes to the server the sign-in was started with, whatever the settings.
    found = Exchange(result.code, result.verifier, result.redirect_uri, result.endpoints, lesson)
    started = app.driver.handle(Event(flow.CALLBACK), exchange=found)
    if started is None:
        app.log.step("Sign-in answer not used: this tab is not signing in")
        return
    await started


# --- the code exchange ----------------------------------------------------------------------


async def teach_exchange(app, code: str, verifier: str, tokens: object | None) -> None:
    """After the exchange was answered: code and verifier are spent, so they may be shown."""
    from app.core import teaching
    from app.ui import teaching_view

    lesson = teaching.exchange_lesson(
        code=code,
        verifier=verifier,
        challenge=teaching.challenge_from_log(app.log.entries),
        tokens=tokens.to_dict() if tokens is not None else None,
        spent=True,
    )
    await teaching_view.pause(lesson, app.server_name())


async def exchange(app, sent: Exchange) -> None:
    """``SEND_EXCHANGE`` (started by the driver): the code for tokens, then the session."""
    if sent.lesson is not None:
        from app.ui import teaching_view

        await teaching_view.pause(sent.lesson, app.server_name())
    endpoints = sent.endpoints or app.settings.endpoints()
    client = app.client_for(endpoints)
    try:
        tokens = await client.exchange_code(sent.code, sent.verifier, sent.redirect_uri)
    except Exception as exc:
        app.log_error(exc)
        if app.teaching and isinstance(exc, errors.OAuthError):  # answered: code spent
            await teach_exchange(app, sent.code, sent.verifier, None)
        again = replace(sent, endpoints=endpoints, lesson=None)

        async def retry() -> None:  # only when the state machine still lets it exchange
            started = app.driver.handle(Event(flow.CALLBACK), exchange=again)
            if started is not None:
                await started

        app.driver.handle(Event(flow.EXCHANGE_FAILED, exc), retry)
        return
    app.session.start(tokens, endpoints, client)  # bound to this server until sign-out
    app.log.step(
        "Signed in",
        scope=tokens.scope,
        expires_in=round(tokens.expires_at - tokens.obtained_at),
        refresh_token_received=bool(tokens.refresh_token),
    )
    if app.teaching:
        await teach_exchange(app, sent.code, sent.verifier, tokens)
    app.driver.handle(Event(flow.EXCHANGED))
