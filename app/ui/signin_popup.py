"""The page's side of a popup sign-in: open it, wait without blocking, finish or cancel.

``start`` runs inside the click's task (window.open is allowed only there): the verifier,
challenge and state are computed synchronously (``app.core.authorize.start``), the window is
opened, and the page goes on answering input while ``app.browser.popup.PopupWait`` listens.
Blocked → the caller falls back to a full-page redirect.

Closed: a window that looks closed may still be open. A ``Cross-Origin-Opener-Policy`` on
the sign-in page severs it from this page, and ``closed`` then reads true while the user is
still signing in there; no property tells the two apart. So a window that looks closed does
not cancel anything at once while its answer can still come (over the channel): the page
says what may have happened and offers Cancel, and cancels by itself after ``GRACE_S`` with
no answer. Only when no answer can come any more (no channel) is it cancelled at once. A
cancelled sign-in's stored attempt is removed (nothing is left half-done in storage); an
answer that still comes is taken until the timeout, with the attempt kept in memory.
"""

from __future__ import annotations

from app.browser import popup
from app.browser import web as b
from app.core import authorize, errors, flow, popup_answer, storage
from app.core.flow import Event
from app.ui import notices, signin

GRACE_S = 180.0  # out of sight with no answer this long: cancelled (a late answer still counts)


class PopupSignIn:
    """One popup sign-in of ``app`` (an ``app.ui.app.App``)."""

    def __init__(self, app, attempt: storage.Attempt) -> None:
        self.app = app
        self.attempt = attempt  # kept in memory: an answer after a (seeming) close
        self.wait: popup.PopupWait | None = None
        self.grace: int | None = None  # timer while the window is out of sight

    def listen(self, win: object, timeout_s: float) -> None:
        self.wait = popup.PopupWait(
            win,
            self.attempt.state,
            lambda params, via: self.app.safe(self.on_answer, params, via),
            lambda: self.app.safe(self.on_closed),
            lambda: self.app.safe(self.on_timeout),
            timeout_s,
        )

    def stop(self) -> None:
        self._end_grace()
        if self.wait is not None:
            self.wait.stop()

    def _end_grace(self) -> None:
        if self.grace is not None:
            b.clear_timeout(self.grace)
            self.grace = None

    def on_answer(self, params: dict[str, str], via: str) -> None:
        app = self.app
        self._end_grace()
        if app.popup_sign_in is self:
            app.popup_sign_in = None
        if storage.peek_attempt(app.session_store) is None:
            # Cancelled when the window looked closed: the answer came after all.
            storage.save_attempt(app.session_store, self.attempt)
        app.log.step(
            f"The sign-in window handed back {app.server_name()}'s answer ({via}) and was closed"
        )
        app.driver.show(None)  # a "cancelled" shown when the window only looked closed is over
        app.actions.start(
            "sign-in",
            "Finishing sign-in",
            lambda: signin.finish_sign_in(app, params),
            cancellable=False,
        )

    def _cancel(self, reason: str) -> None:
        app = self.app
        self._end_grace()
        stored = storage.peek_attempt(app.session_store)
        if stored is not None and stored.state == self.attempt.state:
            storage.take_attempt(app.session_store)
        exc = errors.SignInCancelled(reason)
        app.log.step(
            "Sign-in cancelled: the sign-in window was closed"
            if reason == "closed"
            else "Sign-in cancelled: no answer from the sign-in window in time"
        )
        app.driver.handle(Event(flow.CANCELLED, exc))
        notices.status("")

    def on_closed(self) -> None:
        app = self.app
        if app.driver.state != flow.REDIRECTING or app.popup_sign_in is not self:
            return
        if self.wait is None or self.wait.done:
            self._cancel("closed")  # no answer can come any more
            return
        app.log.step(
            "The sign-in window is out of this page's sight: closed, or kept apart by the "
            "sign-in page (Cross-Origin-Opener-Policy). Still waiting for its answer"
        )
        notices.popup_out_of_sight()
        notices.status("Waiting for the sign-in window's answer…")
        self.grace = b.set_timeout(lambda: app.safe(self.on_grace_over), GRACE_S * 1000)

    def on_grace_over(self) -> None:
        self.grace = None
        if self.app.driver.state == flow.REDIRECTING and self.app.popup_sign_in is self:
            self._cancel("closed")

    def cancel(self) -> None:
        """The user's Cancel while the window was out of sight."""
        if self.app.driver.state == flow.REDIRECTING and self.app.popup_sign_in is self:
            self._cancel("closed")

    def on_timeout(self) -> None:
        app = self.app
        if app.popup_sign_in is self:
            app.popup_sign_in = None
            if app.driver.state == flow.REDIRECTING:
                self._cancel("timeout")


def start(app, settings, timeout_s: float) -> bool:
    """Open the popup sign-in (in the click's task). False when the browser blocked it."""
    url = authorize.start(
        settings, app.session_store, b.page_url(), state_prefix=popup_answer.STATE_PREFIX
    )
    attempt = storage.peek_attempt(app.session_store)
    win = popup.open_window(url)
    if win is None or attempt is None:
        storage.take_attempt(app.session_store)
        app.log.step(
            "The browser blocked the sign-in window (popup): signing in with a full-page "
            "redirect instead"
        )
        return False
    if app.popup_sign_in is not None:
        app.popup_sign_in.stop()  # an earlier window's late answer is no longer wanted
    app.popup_sign_in = PopupSignIn(app, attempt)
    app.popup_sign_in.listen(win, timeout_s)
    app.log.step(
        "Sign-in started in a popup window: new PKCE verifier and state stored in this tab",
        phase="authorize",
        via="popup",
        authorize_url=url,
        tenant=settings.tenant or "(none)",
    )
    notices.status(
        f"Sign in with {app.server_name()} in the window that opened… (closing it cancels)"
    )
    return True
