"""The Driver: the one place that changes the page's flow state.

It holds the state of ``app.core.flow`` (the sign-in policy as a transition table), asks
``flow.step`` for the decision on every event the page hands it (``handle``) and carries the
decision out (``carry_out``): the view (signed in or out), forgetting an ended session, the
notice and what its Retry runs, and every send the decision names — ``SEND_AUTHORIZE``
(``app.ui.signin.authorize``), ``SEND_EXCHANGE`` (``app.ui.signin.exchange``), ``SEND_REFRESH``
(``app.ui.token_actions.refresh``), ``SEND_REVOKE`` (``app.ui.token_actions.revoke``, then the
signed-out view) and ``LOAD_DATA``. The other modules hand it events and read its state;
none sets the state or reads what a decision sends (tests/unit/test_page_driver.py checks).

Errors of actions end here too (``on_error``: the state machine decides what they mean), and
so do the notice (``show``), the Retry and its back-off timer, and the one-second timer (the
countdown, the automatic refresh, the end of a session without a refresh token).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from app.browser import web as b
from app.core import explain, flow, urls
from app.core.flow import Event
from app.ui import notices, signin, token_actions

Retry = Callable[[], Awaitable[None]]


class Driver:
    """The flow state of ``app`` (an ``app.ui.app.App``) and the carrying out of decisions."""

    def __init__(self, app) -> None:
        self.app = app
        self.state = flow.SIGNED_OUT
        self.retry: tuple[str, str, Retry] | None = None  # (action name, label, work)
        self.retry_timer: int | None = None
        self.ticker: tuple[int, object] | None = None
        self.next_auto_refresh = 0.0
        self.load_notice = False  # the notice shown tells of a failed data load

    # --- the state machine's decisions ------------------------------------------------

    def decide(self, event: Event) -> flow.Decision:
        """The decision for ``event`` in the current state; the state moves with it."""
        decision = flow.step(self.state, replace(event, server=self.app.server_name()))
        if not decision.ignored:
            self.state = decision.state
        return decision

    def handle(
        self, event: Event, retry: Retry | None = None, exchange: signin.Exchange | None = None
    ) -> asyncio.Future | None:
        """Decide ``event`` and carry the decision out; the send it started, if any."""
        return self.carry_out(self.decide(event), retry, exchange)

    def carry_out(
        self,
        decision: flow.Decision,
        retry: Retry | None = None,
        exchange: signin.Exchange | None = None,
    ) -> asyncio.Future | None:
        """Show what the decision says and start what it says to send.

        ``retry`` is what a Retry runs (when the decision offers one); ``exchange`` is what
        ``SEND_EXCHANGE`` sends. Returns the task of the send started (a caller already in a
        task awaits it: the exchange, the sign-out), or None when nothing was started.
        """
        if decision.ignored:
            return None
        if decision.send == flow.SEND_REVOKE:
            # The sign-out ends the session itself (revoked, then forgotten); the view follows.
            return asyncio.ensure_future(self._sign_out(decision))
        self._show_decision(decision, retry)
        if decision.send == flow.LOAD_DATA:
            return self.app.load_data()
        if decision.send == flow.SEND_REFRESH:
            return token_actions.refresh(self.app)
        if decision.send == flow.SEND_AUTHORIZE:
            signin.authorize(self.app)  # synchronous: a popup opens only in the click's task
            return None
        if decision.send == flow.SEND_EXCHANGE:
            if exchange is None:
                raise ValueError("SEND_EXCHANGE needs the checked redirect (an Exchange)")
            return asyncio.ensure_future(signin.exchange(self.app, exchange))
        return None

    def _show_decision(self, decision: flow.Decision, retry: Retry | None = None) -> None:
        """The decision's view, the end of its session, its notice and Retry."""
        session = self.app.built_session
        if decision.end_session and session is not None and session.signed_in:
            session.end()  # the policy ended it: nothing of it stays (reload resumes none)
        if decision.view == "signed_in":
            self.render_signed_in()
        elif decision.view == "signed_out":
            self.render_signed_out()
        if decision.notice is not None:
            self.retry = None
            if decision.retry and retry is not None:
                self.retry = ("retry", "Trying again", retry)
            self.show(decision.notice)
            if decision.notice.retry_after and self.retry:
                self.schedule_retry(decision.notice.retry_after)

    async def _sign_out(self, decision: flow.Decision) -> None:
        said = await token_actions.revoke(self.app)
        self._show_decision(decision)
        self.show(None)
        notices.status(said)

    # --- errors, notices, Retry -------------------------------------------------------

    def on_error(self, exc: BaseException, name: str, retry: Retry | None = None) -> None:
        """An action failed: the state machine decides what it means."""
        self.app.log_error(exc)
        if self.state in (flow.SIGNED_IN, flow.REFRESHING):
            self.handle(Event(flow.API_FAILED, exc), retry)
        else:
            self.retry = ("retry", "Trying again", retry) if retry else None
            self.show(explain.explain(exc, self.app.server_name()))

    def show(self, ex: explain.Explanation | None) -> None:
        """Show the notice ``ex`` (None: none), with what works in the current state."""
        self.load_notice = False
        no_sign_in = self.state in (flow.REDIRECTING, flow.SIGNED_IN, flow.REFRESHING)
        notices.show(ex, retry=self.retry is not None, signing_in=no_sign_in)

    def schedule_retry(self, seconds: float) -> None:
        b.clear_timeout(self.retry_timer)
        self.app.log.step(f"Will retry in {seconds:.0f} s (back-off)")
        self.retry_timer = b.set_timeout(lambda: self.app.safe(self.retry_now), seconds * 1000)

    def retry_now(self) -> None:
        b.clear_timeout(self.retry_timer)
        self.retry_timer = None
        if self.retry:
            name, label, work = self.retry
            self.retry = None
            self.show(None)
            self.app.actions.start(name, label, work)

    # --- the views, and the timer of a signed-in page -----------------------------------

    def render_signed_in(self) -> None:
        from app.ui import token_panel

        b.by_id("signed-in").hidden = False
        b.by_id("token-card").hidden = False
        b.by_id("sign-in").hidden = True
        b.document.documentElement.setAttribute("data-signed-in", "")
        token_panel.draw(self.app.session)
        self.show_server_features()
        if self.ticker is None:
            self.ticker = b.set_interval(lambda: self.app.safe(self.tick), 1000)

    def show_server_features(self) -> None:
        """What this session's server offers: ilert's panels only for ilert's layout."""
        from app.ui import panels

        endpoints = self.app.session_endpoints()
        b.by_id("token-info").hidden = not endpoints.info
        b.by_id("token-info").textContent = (
            "Introspect" if endpoints.info_kind == urls.INFO_INTROSPECTION else "Token info"
        )
        panels.show_for(endpoints)

    def render_signed_out(self) -> None:
        from app.ui import panels, token_panel

        b.clear_interval(self.ticker)
        self.ticker = None
        for section in ("signed-in", "token-card"):
            b.by_id(section).hidden = True
        panels.clear_all()
        token_panel.clear()
        self.app.sources.clear()
        button = b.by_id("sign-in")
        button.hidden = False
        button.disabled = self.state == flow.REDIRECTING
        b.document.documentElement.removeAttribute("data-signed-in")

    def tick(self) -> None:
        """Every second: the countdown, the automatic refresh, the end of a session."""
        from app.ui import token_panel

        session = self.app.session
        if session.tokens is None:
            return
        token_panel.countdown(session)
        due = session.refresh_due_in()
        expired = session.seconds_left() <= 0
        idle = not self.app.actions.running("refresh")
        if due == 0 and idle and time.time() >= self.next_auto_refresh:
            self.next_auto_refresh = time.time() + 30  # no tight loop if it fails
            self.app.log.step("Access token about to expire: refreshing automatically")
            self.handle(Event(flow.TIMER, can_refresh=True))
        elif expired and not session.can_refresh:
            self.app.log.step("Access token expired and there is no refresh token: session ended")
            self.handle(Event(flow.TIMER, can_refresh=False))  # ends it
