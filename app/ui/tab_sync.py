"""The page's side of tabs that agree (``app.browser.tabs``): hooks for the session, and what a tab
does when another tab of its session refreshed or signed out."""

from __future__ import annotations

from app.core import flow
from app.core.flow import Event
from app.core.protocol import TokenSet
from app.ui import notices


def session_hooks(app) -> dict:
    """Keyword arguments for ``app.core.session.Session`` (``app`` is an ``app.ui.app.App``)."""
    from app.browser import tabs
    from app.core import tab_messages

    if app.tabs is None:
        app.tabs = tabs.Tabs(
            lambda: app.built_session.tokens if app.built_session is not None else None,
            lambda tokens: app.safe(on_rotated, app, tokens),
            lambda: app.safe(on_signed_out, app),
        )

    async def locked(work):
        return await tabs.with_lock(tab_messages.REFRESH_LOCK, work)

    return {
        "on_change": app.tabs.track,
        "lock": locked,
        "after_refresh": app.tabs.rotated,
    }


async def announce_sign_out(app) -> None:
    if app.tabs is not None:
        await app.tabs.signed_out(app.session.tokens)


def on_rotated(app, tokens: TokenSet) -> None:
    if app.built_session is None or not app.built_session.signed_in:
        return
    app.built_session.adopt(tokens)
    app.log.step(
        "Another tab of this session refreshed the tokens and handed them over (sealed): "
        "this tab uses them now",
        refresh_token_rotated=True,
    )
    if app.driver.state in (flow.SIGNED_IN, flow.REFRESHING):
        from app.ui import token_panel

        token_panel.draw(app.built_session)


def on_signed_out(app) -> None:
    if app.built_session is None or not app.built_session.signed_in:
        return
    app.log.step("Signed out in another tab of this session: the session ended here too")
    app.driver.handle(Event(flow.ENDED_ELSEWHERE))  # forgets the session
    app.driver.show(None)
    notices.status("Signed out in another tab: the session ended in this tab too.")
