"""The App, the page's shell: it builds the page, wires its buttons and holds what its parts
share (the settings, the stores, the session and the clients, built when first needed).

The flow state and every decision about the session belong to the driver (``app.ui.driver``,
carrying out ``app.core.flow``'s decisions); sign-in is ``app.ui.signin``, refresh, token info
and sign-out are ``app.ui.token_actions``. What is left here is glue: ``start``, the wiring,
the data load, teaching mode's pauses, and the safety net every handler runs in. The panels,
the token card, the settings and the log live in their own modules of ``app.ui``. Data from
ilert is only ever set as text.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from collections.abc import Callable

from app.boot.keys import TEACHING_KEY, TOKENS_KEY
from app.browser import web as b
from app.core import errors, explain, flow, storage, urls
from app.core import settings as settings_model
from app.core.flow import Event
from app.core.flowlog import FlowLog
from app.core.net_settings import XHR, NetSettings
from app.ui import actions, notices, signin, token_actions
from app.ui import log as log_view
from app.ui import settings as settings_ui
from app.ui.driver import Driver

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
        loaded = settings_model.load(self.defaults, settings_ui.saved(local_store))
        self.settings = loaded.settings
        self.net, net_dropped = settings_ui.saved_net(local_store)
        self.dropped = loaded.dropped + ((net_dropped,) if net_dropped else ())
        self.picker = None  # the scope picker, built with the settings form
        self.before_fill = None  # the form before the first unsaved "Fill from issuer"
        self.confirmed: set[tuple[str, ...]] = set()  # unvouched hosts confirmed on this page
        self.log = FlowLog()
        log_view.restore(self.log, self.session_store)
        self.driver = Driver(self)  # the flow state, and the one place that changes it
        self.actions = actions.Actions(self.driver.on_error)
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

    def client_for(self, endpoints: urls.Endpoints):  # -> app.core.tokens.TokenClient
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

    @property
    def built_session(self):  # -> app.core.session.Session | None
        """The session if one was built, without building one (for what only reacts to it)."""
        return self._session

    def session_endpoints(self) -> urls.Endpoints:
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

    def on_storage_refused(self, exc: errors.StorageRefused) -> None:
        """The browser refused to store something: keep going in memory, and say so once."""
        self.log.step("Storage refused: working in memory for this page", reason=exc.reason)
        notices.note(explain.explain(exc))

    def has_stored_session(self) -> bool:
        return self.session_store.get(TOKENS_KEY) is not None

    def server_name(self) -> str:
        """The server's name in messages: the session's server while there is one, else the
        settings' ("ilert" for ilert's layout, another server by its issuer's host)."""
        session = self._session
        bound = session.endpoints if session is not None and session.signed_in else None
        return urls.server_name(bound or self.settings.endpoints())

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
            self.driver.show(
                explain.explain(errors.ConfigError(["no config.json next to the page"]))
            )
        if self.dropped:
            self.settings_dropped()
        if callback_params is not None:
            self.actions.start(
                "sign-in",
                "Finishing sign-in",
                lambda: signin.finish_sign_in(self, callback_params),
                cancellable=False,
            )
        elif self.has_stored_session():
            self.safe(self.resume)

    def settings_dropped(self) -> None:
        """Saved settings were refused on load: say why (they may have been planted)."""
        self.log.step("Saved settings ignored", reasons="; ".join(self.dropped))
        notices.note(
            explain.Explanation(
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
        self.driver.handle(Event(flow.RESUMED))

    # --- plumbing: safety, errors, notices ---------------------------------------------

    def safe(self, fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception as exc:
            self.driver.on_error(exc, "")

    def handler(self, fn: Callable[[], None]) -> Callable[[object], None]:
        def on_event(event: object) -> None:
            notices.drop_stale()  # what is shown reflects the latest action only
            self.safe(fn)

        return on_event

    def log_error(self, exc: BaseException) -> None:
        ex = explain.explain(exc, self.server_name())
        if ex.kind == "unexpected":
            detail = "".join(traceback.format_exception(exc)[-3:])
            self.log.error(f"Unexpected error: {type(exc).__name__}", detail=detail[-800:])
        else:
            self.log.error(f"{ex.kind}: {type(exc).__name__}", detail=str(exc)[:300])

    # --- wiring ------------------------------------------------------------------------

    def listen(self, node: object, event: str, fn: Callable[[object], None]) -> None:
        self._proxies.append(b.on(node, event, fn))

    def wire(self) -> None:
        click = {
            "reload-data": self.load_data,
            "refresh-now": lambda: token_actions.ask_refresh(self),
            "token-info": lambda: token_actions.show_token_info(self),
            "sign-out": lambda: token_actions.sign_out(self),
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
        if getattr(event, "persisted", False) and self.driver.state == flow.REDIRECTING:
            self.driver.handle(Event(flow.CANCELLED))  # back from the sign-in page (bfcache)
            notices.status("")

    def on_action(self, event: object) -> None:
        target = b.optional(event.target.closest("button[data-action]"))
        if target is None:
            return
        action = str(target.getAttribute("data-action"))
        item = b.optional(target.getAttribute("data-id"))
        item = None if item is None else str(item)
        if action == explain.SIGN_IN:
            self.sign_in()
        elif action == explain.RETRY:
            self.driver.retry_now()
        elif action == explain.SETTINGS:
            settings_ui.open_panel()
        elif action == notices.CONFIRM_SIGN_IN:
            signin.confirm_sign_in(self)
        elif action == notices.CANCEL_SIGN_IN:
            self.driver.show(None)
            notices.status("Sign-in not started.")
        elif action == notices.CANCEL_POPUP and self.popup_sign_in is not None:
            self.popup_sign_in.cancel()
        elif action == notices.SIGN_OUT_NOW:
            self.driver.show(None)
            token_actions.sign_out(self)
        elif action == "toggle-source" and item is not None:
            from app.ui import sources

            sources.toggle(self, item)
        elif action in ("accept", "resolve") and item is not None:
            from app.ui import alerts

            alerts.act(self, action, item)

    def apply_settings(self, new: settings_model.Settings, net: NetSettings) -> None:
        self.settings = new
        self.net = net
        self._session = None  # rebuilt with the new endpoints (tokens stay in storage)
        self._api = None
        self._transport = None

    def sign_in(self) -> None:
        """The "Sign in" button (app.main's click handler calls it)."""
        signin.sign_in(self)

    # --- data -------------------------------------------------------------------------------

    def load_data(self) -> asyncio.Task | None:
        """``LOAD_DATA`` (started by the driver; also the Reload button): the panels."""
        return self.actions.start(
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
            if self.driver.load_notice and self.driver.state == flow.SIGNED_IN:
                self.driver.load_notice = False
                self.driver.show(None)  # the failure it told of is over
            return
        notices.status(
            f"Some of {your_data(self.server_name())} could not be loaded; see the panels."
        )
        # The one that ends the session, if any, decides (not merely the first panel's).
        failure = next((f for f in failures if flow.ends_session(f)), failures[0])
        self.log_error(failure)

        async def again() -> None:
            await self._load_data()

        self.driver.handle(Event(flow.API_FAILED, failure), again)
        self.driver.load_notice = True


def your_data(server: str) -> str:
    """ "your ilert data" for ilert, "your data from auth.example.org" for another server."""
    return "your ilert data" if server == explain.ILERT else f"your data from {server}"
