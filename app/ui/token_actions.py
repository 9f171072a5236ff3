"""What a signed-in page does with its tokens: refresh them, ask the server about the access
token, sign out (revoke the refresh token, tell the session's other tabs, forget it all).

The buttons hand their event to the driver (``app.ui.driver``); the driver starts ``refresh``
(``SEND_REFRESH``) and runs ``revoke`` (``SEND_REVOKE``) when the state machine says so.
``app`` is an ``app.ui.app.App`` throughout.
"""

from __future__ import annotations

import asyncio

from app.core import errors, flow
from app.core.flow import Event
from app.ui import notices

# --- refresh --------------------------------------------------------------------------------


def ask_refresh(app) -> None:
    """The Refresh button."""
    app.driver.handle(Event(flow.REFRESH))


def refresh(app) -> asyncio.Task | None:
    """``SEND_REFRESH`` (started by the driver): the refresh, as an action of the page."""
    # Not cancellable: the refresh is shared by every waiting call, and its answer must
    # be kept (a cancelled one would leave the state machine in "refreshing").
    return app.actions.start(
        "refresh",
        "Refreshing the access token",
        lambda: _refresh(app),
        button="refresh-now",
        cancellable=False,
    )


async def _refresh(app) -> None:
    from app.ui import token_panel

    await app.teach("refresh")
    before = app.session.tokens
    try:
        fresh = await app.session.refresh()
    except Exception as exc:
        app.log_error(exc)
        app.driver.handle(Event(flow.REFRESH_FAILED, exc), lambda: refresh_again(app))
        return
    rotated = bool(before and fresh.refresh_token != before.refresh_token)
    app.log.step("Access token refreshed", scope=fresh.scope, refresh_token_rotated=rotated)
    app.driver.handle(Event(flow.REFRESHED))
    token_panel.draw(app.session)
    notices.status("Access token refreshed.")


async def refresh_again(app) -> None:
    """Retry: a refresh asked for again (the driver starts it when the state machine lets it)."""
    started = app.driver.handle(Event(flow.REFRESH))
    if started is not None:
        await started


# --- token info -----------------------------------------------------------------------------


def show_token_info(app) -> None:
    """The Token info (or Introspect) button."""

    async def info() -> None:
        from app.ui import token_panel

        await app.teach("token_info")
        data = await app.session.client.token_info(app.session.current().access_token)
        token_panel.draw_token_info(data)

    app.actions.start(
        "token-info", "Asking the server about the access token", info, button="token-info"
    )


# --- sign-out -------------------------------------------------------------------------------


def sign_out(app) -> None:
    """The Sign out button."""

    async def out() -> None:
        await app.teach("revoke")
        started = app.driver.handle(Event(flow.SIGN_OUT))
        if started is not None:  # None: not signed in (any more)
            await started

    app.actions.start("sign-out", "Signing out", out, button="sign-out", cancellable=False)


async def revoke(app) -> str:
    """``SEND_REVOKE`` (run by the driver): tell the session's other tabs, revoke the refresh
    token, forget everything stored for the session; what to tell the user."""
    from app.ui import tab_sync

    server = app.server_name()  # the session's, before it ends
    had_refresh = app.session.can_refresh
    try:  # the other tabs of this session end it too
        await tab_sync.announce_sign_out(app)
    except Exception as exc:  # best effort: this tab signs out whatever they hear
        app.log_error(exc)
    failure = await app.session.sign_out()
    if not had_refresh:
        text = (
            "Signed out: everything stored for the session was removed. The access "
            f"token stays valid at {server} until it expires (only refresh tokens are "
            "revoked)."
        )
    elif failure is None:
        text = (
            f"Signed out: the refresh token was revoked at {server} and everything "
            "stored for the session was removed."
        )
    elif isinstance(failure, errors.NotOffered):
        text = (
            "Signed out here: everything stored for the session was removed. This "
            "server offers no revocation, so its tokens stay valid until they expire."
        )
    elif isinstance(failure, errors.NetworkError):
        text = (
            f"Signed out here, but {server} could not be reached to revoke the refresh "
            f"token; you can remove the app's access in your account at {server}."
        )
    else:
        text = (
            f"Signed out here, but {server} refused to revoke the refresh token ("
            + str(failure)[:200]
            + f"); you can remove the app's access in your account at {server}."
        )
    app.log.step("Signed out", refresh_token_revoked=failure is None and had_refresh)
    return text
