"""The App: boot, sign-in, the redirect back, refresh, sign-out — and nothing else.

Every decision about the session comes from ``app.core.flow.step`` (the pure state machine);
this class carries it out: it sends what the decision says, shows the view and the notice,
and keeps what a Retry may run. The panels, the token card, the settings and the log live
in their own modules of ``app.ui``. Data from ilert is only ever set as text.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import replace

from app.boot.keys import TEACHING_KEY, TOKENS_KEY
from app.browser import web as b
from app.core import config, errors, flow, storage
from app.core.flow import Event
from app.core.flowlog import FlowLog
from app.core.net_settings import XHR, NetSettings
from app.ui import actions, notices
from app.ui import log as log_view
from app.ui import settings as settings_ui

ATTEMPT_MAX_AGE = 600.0  # seconds: an older stored sign-in attempt is discarded


# The panels, the token card and the HTTP clients are imported when first needed (lazily):
# the first screen (sign-in, settings, log) needs none of them, and every import delays it.


class PageTransport:
    """The chosen transport, created on first use (fetch by default, or pyodide-http).

    ``watch(request)`` is told of each request before it goes out (the diagram draws it as
    under way) and returns what to call once it is over, or None.
    """

    def __init__(self, net: NetSettings, watch: Callable[[object], object] | None = None) -> None:
        self.net = net
        self.inner = None
        self.watch = watch

    async def send(self, request, timeout):
        if self.inner is None:
            if self.net.transport == XHR:
                from app.browser import xhr

                self.inner = await xhr.load_transport()
            else:
                from app.browser.fetch import FetchTransport

                self.inner = FetchTransport()
        over = self.watch(request) if self.watch else None
        try:
            return await self.inner.send(request, timeout)
        finally:
            if over is not None:
                over()


class App:
    def __init__(
        self, defaults: dict | None, session_store: storage.Storage, local_store: storage.Storage
    ) -> None:
        self.defaults = defaults or {}
        # What the browser refuses to store is kept in memory for this page (said once).
        self.session_store = storage.FallbackStorage(
            session_store, on_refused=self.on_storage_refused
        )
        self.local_store = local_store
        # Stored settings are untrusted (localStorage is shared by the whole origin).
        loaded = config.load(self.defaults, settings_ui.saved(local_store))
        self.settings = loaded.settings
        self.net, net_dropped = settings_ui.saved_net(local_store)
        self.dropped = loaded.dropped + ((net_dropped,) if net_dropped else ())
        self.picker = None  # the scope picker, built with the settings form
        self.before_fill = None  # the form before the first unsaved "Fill from issuer"
        self.confirmed: set[tuple[str, ...]] = set()  # unvouched hosts confirmed on this page
        self.log = FlowLog()
        log_view.restore(self.log, self.session_store)
        self.actions = actions.Actions(self.on_error)
        self.state = flow.SIGNED_OUT
        self.retry: tuple[str, str, Callable[[], Awaitable[None]]] | None = None
        self.retry_timer: int | None = None
        self.ticker: tuple[int, object] | None = None
        self.next_auto_refresh = 0.0
        self.load_notice = False  # the notice shown tells of a failed data load
        self.sources: dict[str, dict] = {}
        self._session = None
        self._api = None
        self._transport: PageTransport | None = None
        self._proxies: list[object] = []
        self.popup_sign_in = None  # app.ui.signin_popup.PopupSignIn while a popup is open
        self.tabs = None  # app.browser.tabs.Tabs: other tabs of the same session (built with it)
        self.diagram_view = None  # app.ui.diagram_view.DiagramView, once the log card shows

    # --- lazily built clients (the first screen needs no HTTP code) ------------------

    @property
    def transport(self) -> PageTransport:
        if self._transport is None:
            self._transport = PageTransport(self.net, self.watch_request)
        return self._transport

    def client_for(self, endpoints: config.Endpoints):  # -> app.core.tokens.TokenClient
        from app.core.tokens import TokenClient

        return TokenClient.from_endpoints(
            endpoints, self.transport, log=self.log, timeout=self.net.timeout
        )

    @property
    def session(self):  # -> app.core.session.Session
        if self._session is None:
            from app.core.session import Session
            from app.ui import tab_sync

            session = Session(
                self.session_store,
                self.client_for(self.settings.endpoints()),
                **tab_sync.session_hooks(self),
            )
            if session.endpoints is not None:  # bound to the server that issued its tokens
                session.client = self.client_for(session.endpoints)
            self._session = session
            self.tabs.track(session.tokens)
        return self._session

    def session_endpoints(self) -> config.Endpoints:
        """The server of the current session (the settings' one when none was recorded)."""
        return self.session.endpoints or self.settings.endpoints()

    def api(self):  # -> app.core.api.ApiClient
        api_base = self.session_endpoints().api_base
        if self._api is None or self._api.api_base != api_base.rstrip("/"):
            from app.core.api import ApiClient

            self._api = ApiClient(
                api_base,
                self.session,
                self.transport,
                log=self.log,
                timeout=self.net.timeout,
            )
        return self._api

    def on_storage_refused(self, exc: storage.StorageRefused) -> None:
        """The browser refused to store something: keep going in memory, and say so once."""
        self.log.step("Storage refused: working in memory for this page", reason=exc.reason)
        notices.note(errors.explain(exc))

    def has_stored_session(self) -> bool:
        return self.session_store.get(TOKENS_KEY) is not None

    def server_name(self) -> str:
        """The server's name in messages: the session's server while there is one, else the
        settings' ("ilert" for ilert's layout, another server by its issuer's host)."""
        session = self._session
        bound = session.endpoints if session is not None and session.signed_in else None
        return config.server_name(bound or self.settings.endpoints())

    # --- boot ----------------------------------------------------------------------------

    def start(self, callback_params: dict[str, str] | None, config_found: bool) -> None:
        """Make "Sign in" usable at once; render the rest (settings, log) a moment later."""
        root = b.document.documentElement
        root.setAttribute("data-busy", "")  # until finish_start has run
        # (The sign-in button's click handler is main.py's, set before this page existed.)
        self.log.listeners.append(log_view.LogView(self.log, self.session_store))
        root.setAttribute("data-python-version", sys.version.split()[0])
        b.by_id("boot").hidden = True
        b.by_id("sign-in").disabled = False
        root.setAttribute("data-app-ready", "")
        b.set_timeout(lambda: self.safe(self.finish_start), 0)
        if not config_found and not self.settings.client_id:
            self.show(errors.explain(errors.ConfigError(["no config.json next to the page"])))
        if self.dropped:
            self.settings_dropped()
        if callback_params is not None:
            self.actions.start(
                "sign-in",
                "Finishing sign-in",
                lambda: self.finish_sign_in(callback_params),
                cancellable=False,
            )
        elif self.has_stored_session():
            self.safe(self.resume)

    def settings_dropped(self) -> None:
        """Saved settings were refused on load: say why (they may have been planted)."""
        self.log.step("Saved settings ignored", reasons="; ".join(self.dropped))
        notices.note(
            errors.Explanation(
                "The settings saved in this browser were not used, because "
                + "; ".join(self.dropped)
                + ". The defaults of this page apply; check the settings before signing in.",
                (),
                "warning",
                kind="settings_dropped",
            )
        )

    def finish_start(self) -> None:
        try:
            settings_ui.draw(self)
            self.wire()
            self.wire_sign_in_mode()
            log_view.draw(self.log)
            for section in ("settings-card", "log-card"):
                b.by_id(section).hidden = False
            self.watch_log_card()
        finally:
            self.actions.release()

    def watch_log_card(self) -> None:
        """Draw the teaching switch; the diagram is built later (see diagram_view.watch)."""
        from app.ui import diagram_view, teaching_view

        teaching_view.draw(self)
        diagram_view.watch(self)

    def watch_request(self, request: object) -> Callable[[], None] | None:
        """A request goes out: the diagram (once shown) draws it as under way."""
        view = self.diagram_view
        if view is None:
            return None
        try:
            phase = view.request_started(request)
        except Exception:  # the diagram must never stop a request
            return None
        return lambda: view.request_ended(phase)

    # --- teaching mode (app.ui.teaching_view; content from app.core.teaching) ---------------

    @property
    def teaching(self) -> bool:
        return self.local_store.get(TEACHING_KEY) == "on"

    async def teach(self, phase: str) -> None:
        """In teaching mode: a short lesson before ``phase``, until Continue is pressed."""
        if self.teaching:
            from app.core import teaching
            from app.ui import teaching_view

            await teaching_view.pause(teaching.lesson(phase), self.server_name())

    def on_teaching_change(self, event: object) -> None:
        from app.ui import teaching_view

        teaching_view.on_change(self, event)

    def resume(self) -> None:
        if not self.session.signed_in:
            return
        self.log.step("Session found in this tab's sessionStorage (page reloaded)")
        self.carry_out(self.decide(Event(flow.RESUMED)))

    # --- the state machine's decisions ------------------------------------------------

    def decide(self, event: Event) -> flow.Decision:
        decision = flow.step(self.state, replace(event, server=self.server_name()))
        if not decision.ignored:
            self.state = decision.state
        return decision

    def carry_out(
        self, decision: flow.Decision, retry: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Show what the decision says; start what it says to send."""
        if decision.ignored:
            return
        if decision.end_session and self._session is not None and self._session.signed_in:
            self._session.end()  # the policy ended it: nothing of it stays (reload resumes none)
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
        if decision.send == flow.LOAD_DATA:
            self.load_data()
        elif decision.send == flow.SEND_REFRESH:
            self.refresh_now()

    # --- plumbing: safety, errors, notices ---------------------------------------------

    def safe(self, fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception as exc:
            self.on_error(exc, "")

    def handler(self, fn: Callable[[], None]) -> Callable[[object], None]:
        def on_event(event: object) -> None:
            notices.drop_stale()  # what is shown reflects the latest action only
            self.safe(fn)

        return on_event

    def log_error(self, exc: BaseException) -> None:
        ex = errors.explain(exc, self.server_name())
        if ex.kind == "unexpected":
            detail = "".join(traceback.format_exception(exc)[-3:])
            self.log.error(f"Unexpected error: {type(exc).__name__}", detail=detail[-800:])
        else:
            self.log.error(f"{ex.kind}: {type(exc).__name__}", detail=str(exc)[:300])

    def on_error(self, exc: BaseException, name: str, retry=None) -> None:
        """An action failed: the state machine decides what it means."""
        self.log_error(exc)
        if self.state in (flow.SIGNED_IN, flow.REFRESHING):
            self.carry_out(self.decide(Event(flow.API_FAILED, exc)), retry)
        else:
            self.retry = ("retry", "Trying again", retry) if retry else None
            self.show(errors.explain(exc, self.server_name()))

    def show(self, ex: errors.Explanation | None) -> None:
        self.load_notice = False
        no_sign_in = self.state in (flow.REDIRECTING, flow.SIGNED_IN, flow.REFRESHING)
        notices.show(ex, retry=self.retry is not None, signing_in=no_sign_in)

    def schedule_retry(self, seconds: float) -> None:
        b.clear_timeout(self.retry_timer)
        self.log.step(f"Will retry in {seconds:.0f} s (back-off)")
        self.retry_timer = b.set_timeout(lambda: self.safe(self.retry_now), seconds * 1000)

    def retry_now(self) -> None:
        b.clear_timeout(self.retry_timer)
        self.retry_timer = None
        if self.retry:
            name, label, work = self.retry
            self.retry = None
            self.show(None)
            self.actions.start(name, label, work)

    # --- wiring ------------------------------------------------------------------------

    def listen(self, node: object, event: str, fn: Callable[[object], None]) -> None:
        self._proxies.append(b.on(node, event, fn))

    def wire(self) -> None:
        click = {
            "reload-data": self.load_data,
            "refresh-now": self.ask_refresh,
            "token-info": self.show_token_info,
            "sign-out": self.sign_out,
            "cancel": self.actions.cancel_all,
            "log-clear": self.log.clear,
            "log-copy": lambda: log_view.copy(self.log, notices.status),
            "settings-reset": lambda: settings_ui.reset(self),
            "fill-issuer": lambda: self.actions.start(
                "fill-issuer",
                "Reading the issuer's metadata",
                lambda: settings_ui.fill_from_issuer(self),
                button="fill-issuer",
            ),
        }
        for element_id, fn in click.items():
            self.listen(b.by_id(element_id), "click", self.handler(fn))
        for container in ("notice-actions", "sources", "alerts"):
            self.listen(b.by_id(container), "click", lambda e: self.safe(self.on_action, e))
        form = b.by_id("settings-form")
        self.listen(form, "submit", lambda e: self.safe(settings_ui.save, self, e))
        self.listen(form, "change", lambda e: self.safe(settings_ui.on_picker_change, self, e))
        self.listen(b.window, "pageshow", lambda e: self.safe(self.on_pageshow, e))
        teach_box = b.by_id("set-teaching")
        self.listen(teach_box, "change", lambda e: self.safe(self.on_teaching_change, e))

    def wire_sign_in_mode(self) -> None:
        from app.browser import popup

        def saved(mode: str) -> None:
            self.log.step("Settings saved", signin_mode=mode)
            notices.status(settings_ui.SAVED)

        self._proxies.append(popup.draw_mode_setting(self.local_store, saved))

        def reset(_event: object) -> None:  # "Reset to defaults" covers the mode too
            popup.save_mode(self.local_store, popup.POPUP)
            b.by_id("set-signin-mode").value = popup.POPUP

        self.listen(b.by_id("settings-reset"), "click", lambda e: self.safe(reset, e))

    def on_pageshow(self, event: object) -> None:
        if getattr(event, "persisted", False) and self.state == flow.REDIRECTING:
            self.carry_out(
                self.decide(Event(flow.CANCELLED))
            )  # back from the sign-in page (bfcache)
            notices.status("")

    def on_action(self, event: object) -> None:
        target = b.optional(event.target.closest("button[data-action]"))
        if target is None:
            return
        action = str(target.getAttribute("data-action"))
        item = b.optional(target.getAttribute("data-id"))
        item = None if item is None else str(item)
        if action == errors.SIGN_IN:
            self.sign_in()
        elif action == errors.RETRY:
            self.retry_now()
        elif action == errors.SETTINGS:
            settings_ui.open_panel()
        elif action == notices.CONFIRM_SIGN_IN:
            self.confirm_sign_in()
        elif action == notices.CANCEL_SIGN_IN:
            self.show(None)
            notices.status("Sign-in not started.")
        elif action == notices.CANCEL_POPUP and self.popup_sign_in is not None:
            self.popup_sign_in.cancel()
        elif action == notices.SIGN_OUT_NOW:
            self.show(None)
            self.sign_out()
        elif action == "toggle-source" and item is not None:
            from app.ui import sources

            sources.toggle(self, item)
        elif action in ("accept", "resolve") and item is not None:
            from app.ui import alerts

            alerts.act(self, action, item)

    def apply_settings(self, new: config.Settings, net: NetSettings) -> None:
        self.settings = new
        self.net = net
        self._session = None  # rebuilt with the new endpoints (tokens stay in storage)
        self._api = None
        self._transport = None

    # --- sign in --------------------------------------------------------------------------

    def needs_confirmation(self) -> list[config.Recipient]:
        """Hosts config.json does not vouch for, not yet confirmed on this page."""
        pending = config.unvouched(self.defaults, self.settings, b.page_url())
        if tuple(sorted(r.origin for r in pending)) in self.confirmed:
            return []
        return pending

    def confirm_sign_in(self) -> None:
        """The user confirmed the hosts shown: remember them for this page, and sign in."""
        pending = config.unvouched(self.defaults, self.settings, b.page_url())
        self.confirmed.add(tuple(sorted(r.origin for r in pending)))
        self.show(None)
        self.sign_in()

    def sign_in(self) -> None:
        if self.state in (flow.SIGNED_OUT, flow.ENDED):
            pending = self.needs_confirmation()
            if pending:  # before any code or token goes to a host the site owner did not name
                self.log.step("Sign-in waits for confirmation of hosts not named by config.json")
                notices.status("")
                notices.confirm_hosts(pending)
                return
        decision = self.decide(Event(flow.SIGN_IN))
        if decision.send != flow.SEND_AUTHORIZE:  # a double click starts one flow only
            return
        button = b.by_id("sign-in")
        button.disabled = True
        try:
            # Teaching mode pauses before leaving the page, and a popup opened after that
            # pause would be blocked (no user gesture left): it signs in by redirect.
            if not self.teaching and self.sign_in_popup():
                return
            from app.core import authorize

            url = authorize.start(self.settings, self.session_store, b.page_url())
        except Exception:
            self.carry_out(self.decide(Event(flow.CANCELLED)))  # could not start: signed out
            raise
        self.show(None)
        if self.teaching:
            go = self.teach_then_go
            label = "Read, then press Continue"
            self.actions.start("sign-in", label, lambda: go(url), cancellable=False)
            return
        self.go_to_server(url)

    async def teach_then_go(self, url: str) -> None:
        from app.core import teaching
        from app.ui import teaching_view

        await teaching_view.pause(teaching.authorize_lesson(url), self.server_name())
        self.go_to_server(url)

    def go_to_server(self, url: str) -> None:
        server = self.server_name()
        self.log.step(
            f"Sign-in started: new PKCE verifier and state stored in this tab; going to {server}",
            phase="authorize",
            authorize_url=url,
            tenant=self.settings.tenant or "(none)",
        )
        notices.status(f"Going to {server} to sign in…")
        b.navigate(url)

    def sign_in_popup(self) -> bool:
        """Popup sign-in when it is the chosen mode and the browser lets it open (True)."""
        from app.browser import popup

        if popup.saved_mode(self.local_store) != popup.POPUP:
            return False
        from app.ui import signin_popup

        if not signin_popup.start(self, self.settings, ATTEMPT_MAX_AGE):
            return False
        self.show(None)
        return True

    def check_attempt_age(self, params: dict[str, str]) -> None:
        attempt = storage.peek_attempt(self.session_store)
        if attempt is not None and time.time() - attempt.created > ATTEMPT_MAX_AGE:
            storage.take_attempt(self.session_store)
            if params.get("state"):
                storage.mark_state_used(self.session_store, params["state"])
            raise errors.AttemptExpired()

    async def finish_sign_in(self, params: dict[str, str]) -> None:
        """The redirect back: check it, exchange the code exactly once, then load data."""
        from app.core import callback

        server = self.server_name()
        if "error" in params:  # its text only once it is known to answer our sign-in
            self.log.step(f"Back from {server} with an error", phase="callback")
        else:
            self.log.step(
                f"Back from {server} with a code; code and state removed from the address bar",
                phase="callback",
            )
        stored_state = None
        try:
            self.check_attempt_age(params)
            if self.teaching:  # read before handle() deletes it; shown once compared
                attempt = storage.peek_attempt(self.session_store)
                stored_state = attempt.state if attempt is not None else None
            result = callback.handle(params, self.session_store, self.settings.endpoints())
        except errors.CallbackError as exc:
            if isinstance(exc, callback.IgnoredCallback):  # not ours: not the server's words
                self.log.step("Error link ignored: it belongs to no sign-in of this tab")
            else:
                if "error" in params and not isinstance(exc, errors.CallbackReplayed):
                    self.log.step("The error answers this tab's sign-in", query=params)
                self.log_error(exc)
            signed_in = self.has_stored_session() and self.session.signed_in
            if signed_in and self.state == flow.SIGNED_OUT:
                self.carry_out(self.decide(Event(flow.RESUMED)))
            self.carry_out(self.decide(Event(flow.CALLBACK_FAILED, exc)))
            if signed_in:  # about that answer, not this session: over with the next action
                notices.passing()
            return
        self.log.step("State matches this tab's sign-in; verifier taken and deleted from storage")
        if self.decide(Event(flow.CALLBACK)).send != flow.SEND_EXCHANGE:
            self.log.step("Sign-in answer not used: this tab is not signing in")
            return
        if self.teaching:
            from app.core import teaching
            from app.ui import teaching_view

            lesson = teaching.callback_lesson(params, stored_state, state_checked=True)
            await teaching_view.pause(lesson, self.server_name())
        # The code goes to the server the sign-in was started with, whatever the settings.
        endpoints = result.endpoints or self.settings.endpoints()
        await self.exchange(result.code, result.verifier, result.redirect_uri, endpoints)

    async def teach_exchange(self, code: str, verifier: str, tokens: object | None) -> None:
        """After the exchange was answered: code and verifier are spent, so they may be shown."""
        from app.core import teaching
        from app.ui import teaching_view

        lesson = teaching.exchange_lesson(
            code=code,
            verifier=verifier,
            challenge=teaching.challenge_from_log(self.log.entries),
            tokens=tokens.to_dict() if tokens is not None else None,
            spent=True,
        )
        await teaching_view.pause(lesson, self.server_name())

    async def exchange(
        self, code: str, verifier: str, redirect_uri: str, endpoints: config.Endpoints
    ) -> None:
        client = self.client_for(endpoints)
        try:
            tokens = await client.exchange_code(code, verifier, redirect_uri)
        except Exception as exc:
            self.log_error(exc)
            if self.teaching and isinstance(exc, errors.OAuthError):  # answered: code spent
                await self.teach_exchange(code, verifier, None)

            async def again() -> None:
                if self.decide(Event(flow.CALLBACK)).send == flow.SEND_EXCHANGE:
                    await self.exchange(code, verifier, redirect_uri, endpoints)

            decision = self.decide(Event(flow.EXCHANGE_FAILED, exc))
            self.carry_out(decision, again)
            return
        self.session.start(tokens, endpoints, client)  # bound to this server until sign-out
        self.log.step(
            "Signed in",
            scope=tokens.scope,
            expires_in=round(tokens.expires_at - tokens.obtained_at),
            refresh_token_received=bool(tokens.refresh_token),
        )
        if self.teaching:
            await self.teach_exchange(code, verifier, tokens)
        self.carry_out(self.decide(Event(flow.EXCHANGED)))

    # --- signed in / out --------------------------------------------------------------------

    def render_signed_in(self) -> None:
        from app.ui import token_panel

        b.by_id("signed-in").hidden = False
        b.by_id("token-card").hidden = False
        b.by_id("sign-in").hidden = True
        b.document.documentElement.setAttribute("data-signed-in", "")
        token_panel.draw(self.session)
        self.show_server_features()
        if self.ticker is None:
            self.ticker = b.set_interval(lambda: self.safe(self.tick), 1000)

    def show_server_features(self) -> None:
        """What this session's server offers: ilert's panels only for ilert's layout."""
        from app.ui import panels

        endpoints = self.session_endpoints()
        b.by_id("token-info").hidden = not endpoints.info
        b.by_id("token-info").textContent = (
            "Introspect" if endpoints.info_kind == config.INFO_INTROSPECTION else "Token info"
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
        self.sources.clear()
        button = b.by_id("sign-in")
        button.hidden = False
        button.disabled = self.state == flow.REDIRECTING
        b.document.documentElement.removeAttribute("data-signed-in")

    def tick(self) -> None:
        """Every second: the countdown, the automatic refresh, the end of a session."""
        from app.ui import token_panel

        session = self.session
        if session.tokens is None:
            return
        token_panel.countdown(session)
        due = session.refresh_due_in()
        expired = session.seconds_left() <= 0
        idle = not self.actions.running("refresh")
        if due == 0 and idle and time.time() >= self.next_auto_refresh:
            self.next_auto_refresh = time.time() + 30  # no tight loop if it fails
            self.log.step("Access token about to expire: refreshing automatically")
            self.carry_out(self.decide(Event(flow.TIMER, can_refresh=True)))
        elif expired and not session.can_refresh:
            self.log.step("Access token expired and there is no refresh token: session ended")
            self.carry_out(self.decide(Event(flow.TIMER, can_refresh=False)))  # ends it

    # --- token actions ----------------------------------------------------------------------

    async def _refresh(self) -> None:
        from app.ui import token_panel

        await self.teach("refresh")
        before = self.session.tokens
        try:
            fresh = await self.session.refresh()
        except Exception as exc:
            self.log_error(exc)
            self.carry_out(self.decide(Event(flow.REFRESH_FAILED, exc)), self._refresh_again)
            return
        rotated = bool(before and fresh.refresh_token != before.refresh_token)
        self.log.step("Access token refreshed", scope=fresh.scope, refresh_token_rotated=rotated)
        self.decide(Event(flow.REFRESHED))
        token_panel.draw(self.session)
        notices.status("Access token refreshed.")

    async def _refresh_again(self) -> None:
        """Retry: a refresh asked for again (the state machine decides it may run)."""
        if self.decide(Event(flow.REFRESH)).send == flow.SEND_REFRESH:
            await self._refresh()

    def ask_refresh(self) -> None:
        """The Refresh button."""
        self.carry_out(self.decide(Event(flow.REFRESH)))

    def refresh_now(self) -> None:
        # Not cancellable: the refresh is shared by every waiting call, and its answer must
        # be kept (a cancelled one would leave the state machine in "refreshing").
        self.actions.start(
            "refresh",
            "Refreshing the access token",
            self._refresh,
            button="refresh-now",
            cancellable=False,
        )

    def show_token_info(self) -> None:
        async def info() -> None:
            from app.ui import token_panel

            await self.teach("token_info")
            data = await self.session.client.token_info(self.session.current().access_token)
            token_panel.draw_token_info(data)

        self.actions.start(
            "token-info", "Asking the server about the access token", info, button="token-info"
        )

    def sign_out(self) -> None:
        async def out() -> None:
            from app.ui import tab_sync

            await self.teach("revoke")
            server = self.server_name()  # the session's, before it ends
            had_refresh = self.session.can_refresh
            decision = self.decide(Event(flow.SIGN_OUT))
            if decision.send != flow.SEND_REVOKE:  # not signed in (any more)
                return
            try:  # the other tabs of this session end it too
                await tab_sync.announce_sign_out(self)
            except Exception as exc:  # best effort: this tab signs out whatever they hear
                self.log_error(exc)
            failure = await self.session.sign_out()
            self.carry_out(decision)
            self.show(None)
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
            self.log.step("Signed out", refresh_token_revoked=failure is None and had_refresh)
            notices.status(text)

        self.actions.start("sign-out", "Signing out", out, button="sign-out", cancellable=False)

    # --- data -------------------------------------------------------------------------------

    def load_data(self) -> None:
        self.actions.start(
            "load-data",
            f"Loading your data from {self.server_name()}",
            self._load_data,
            button="reload-data",
        )

    async def _load_data(self) -> None:
        from app.ui import panels

        if not self.session.signed_in:  # ended meanwhile (expiry tick, sign-out)
            return
        await self.teach("api")
        failures = await panels.load_all(self)
        if not failures:
            notices.status(f"Y{your_data(self.server_name())[1:]} is up to date.")
            if self.load_notice and self.state == flow.SIGNED_IN:
                self.load_notice = False
                self.show(None)  # the failure it told of is over
            return
        notices.status(
            f"Some of {your_data(self.server_name())} could not be loaded; see the panels."
        )
        # The one that ends the session, if any, decides (not merely the first panel's).
        failure = next((f for f in failures if flow.ends_session(f)), failures[0])
        self.log_error(failure)

        async def again() -> None:
            await self._load_data()

        self.carry_out(self.decide(Event(flow.API_FAILED, failure)), again)
        self.load_notice = True


def your_data(server: str) -> str:
    """ "your ilert data" for ilert, "your data from auth.example.org" for another server."""
    return "your ilert data" if server == errors.ILERT else f"your data from {server}"
