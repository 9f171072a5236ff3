"""The page: renders the app's state and wires the DOM to the core.

Every event handler and timer runs through ``App.safe``: an unexpected exception becomes
a plain-language notice with a way forward (details, redacted, only in the flow log).
Calls are synchronous XMLHttpRequests (pyodide-http) that block the page, so each action
first shows a "working…" status, lets the browser paint, then runs (``App.run``).
Data from ilert is only ever set as text (``textContent``), never as markup.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from app import browser as b
from app import config, errors, grants, scopes, storage
from app.flowlog import Entry, FlowLog
from app.keys import LOG_KEY, SETTINGS_KEY, TOKENS_KEY


class App:
    def __init__(
        self, defaults: dict | None, session_store: storage.Storage, local_store: storage.Storage
    ) -> None:
        self.defaults = defaults or {}
        self.session_store = session_store
        self.local_store = local_store
        self.settings = config.merge(self.defaults, self._saved_settings())
        self.picker = grants.Picker.from_scope(self.settings.scope)
        self.log = FlowLog()
        self._restore_log()
        self._session = None
        self._api = None
        self.signing_in = False
        self.busy = False
        self.retry_action: tuple[str, Callable[[], None]] | None = None
        self.retry_timer: int | None = None
        self.ticker: tuple[int, object] | None = None
        self.next_auto_refresh = 0.0
        self.sources: dict[str, dict] = {}
        self._proxies: list[object] = []

    # --- lazily built clients (the first screen needs no HTTP code) ------------------

    @property
    def session(self):  # -> app.session.Session
        if self._session is None:
            b.http_ready()
            from app.session import Session
            from app.tokens import TokenClient

            client = TokenClient.from_settings(self.settings, log=self.log)
            self._session = Session(self.session_store, client)
        return self._session

    def api(self):  # -> app.api.ApiClient
        if self._api is None:
            from app.api import ApiClient

            self._api = ApiClient(self.settings.api_base, self.session, log=self.log)
        return self._api

    def has_stored_session(self) -> bool:
        return self.session_store.get(TOKENS_KEY) is not None

    # --- boot ----------------------------------------------------------------------------

    def start(self, callback_params: dict[str, str] | None, config_found: bool) -> None:
        """Make "Sign in" usable at once; render the rest (settings, log) a moment later."""
        root = b.document.documentElement
        root.setAttribute("data-busy", "")  # until finish_start has run
        # (The sign-in button's click handler is main.py's, set before this page existed.)
        self.log.listeners.append(self.on_log)
        root.setAttribute("data-python-version", sys.version.split()[0])
        b.by_id("boot").hidden = True
        b.by_id("sign-in").disabled = False
        root.setAttribute("data-app-ready", "")
        b.set_timeout(lambda: self.safe(self.finish_start), 0)
        if not config_found and not self.settings.client_id:
            self.notice(errors.explain(errors.ConfigError(["no config.json next to the page"])))
        if callback_params is not None:
            self.run("Finishing sign-in", lambda: self.callback_or_resume(callback_params))
        elif self.has_stored_session():
            self.safe(self.resume)

    def finish_start(self) -> None:
        try:
            self.render_settings()
            self.wire()
            self.render_log()
            for section in ("settings-card", "log-card"):
                b.by_id(section).hidden = False
        finally:
            if not self.busy:
                b.document.documentElement.removeAttribute("data-busy")

    def resume(self) -> None:
        if not self.session.signed_in:
            return
        self.log.step("Session found in this tab's sessionStorage (page reloaded)")
        self.render_signed_in()
        self.load_data()

    # --- plumbing: safety, busy state, status, notices ---------------------------------------

    def safe(self, fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception as exc:
            self.fail(exc)

    def handler(self, fn: Callable[[], None]) -> Callable[[object], None]:
        def on_event(event: object) -> None:
            self.safe(fn)

        return on_event

    def fail(self, exc: BaseException) -> None:
        ex = errors.explain(exc)
        if ex.kind == "unexpected":
            detail = "".join(traceback.format_exception(exc)[-3:])
            self.log.error(f"Unexpected error: {type(exc).__name__}", detail=detail[-800:])
        else:
            self.log.error(f"{ex.kind}: {type(exc).__name__}", detail=str(exc)[:300])
        if ex.kind in ("session_ended", "refresh_invalid"):
            self.render_signed_out()
        self.notice(ex)
        if ex.retry_after and self.retry_action:
            self.schedule_retry(ex.retry_after)

    def status(self, text: str) -> None:
        b.by_id("status").textContent = text

    def notice(self, ex: errors.Explanation | None) -> None:
        box = b.by_id("notice")
        actions = b.by_id("notice-actions")
        b.clear(actions)
        if ex is None:
            box.hidden = True
            box.removeAttribute("data-kind")
            return
        b.by_id("notice-text").textContent = ex.message
        box.className = f"notice {ex.severity}"
        box.setAttribute("data-kind", ex.kind)
        labels = {
            errors.SIGN_IN: "Sign in again",
            errors.RETRY: "Retry now" if ex.retry_after else "Try again",
            errors.SETTINGS: "Open settings",
        }
        for action in ex.actions:
            if action == errors.RETRY and not self.retry_action:
                continue
            if action == errors.SIGN_IN and self.signing_in:
                continue
            actions.append(b.el("button", labels[action], type="button", data_action=action))
        box.hidden = False

    def run(self, label: str, fn: Callable[[], None], retry: bool = True) -> None:
        """Show "label…", let it paint, run ``fn`` (blocking calls) with errors handled."""
        if self.busy:
            self.status("Still working on the previous step…")
            return
        self.busy = True
        b.document.documentElement.setAttribute("data-busy", "")
        self.status(f"{label}…")
        if retry:
            self.retry_action = (label, fn)
            b.clear_timeout(self.retry_timer)
            self.retry_timer = None

        def go() -> None:
            try:
                fn()
                if retry:
                    self.retry_action = None
                if b.by_id("status").textContent == f"{label}…":
                    self.status("")
            except Exception as exc:
                self.status("")
                self.fail(exc)
            finally:
                self.busy = False
                b.document.documentElement.removeAttribute("data-busy")

        b.after_paint(go)

    def schedule_retry(self, seconds: float) -> None:
        b.clear_timeout(self.retry_timer)
        self.log.step(f"Will retry in {seconds:.0f} s (back-off; ilert sends no Retry-After)")
        self.retry_timer = b.set_timeout(lambda: self.safe(self.retry_now), seconds * 1000)

    def retry_now(self) -> None:
        b.clear_timeout(self.retry_timer)
        self.retry_timer = None
        if self.retry_action:
            label, fn = self.retry_action
            self.notice(None)
            self.run(label, fn)

    # --- wiring ------------------------------------------------------------------------

    def listen(self, node: object, event: str, fn: Callable[[object], None]) -> None:
        self._proxies.append(b.on(node, event, fn))

    def wire(self) -> None:
        click = {
            "reload-data": self.load_data,
            "refresh-now": self.refresh_now,
            "token-info": self.show_token_info,
            "sign-out": self.sign_out,
            "log-clear": self.log.clear,
            "log-copy": self.copy_log,
            "settings-reset": self.reset_settings,
        }
        for element_id, fn in click.items():
            self.listen(b.by_id(element_id), "click", self.handler(fn))
        for container in ("notice-actions", "sources", "alerts"):
            self.listen(b.by_id(container), "click", lambda e: self.safe(self.on_action, e))
        form = b.by_id("settings-form")
        self.listen(form, "submit", lambda e: self.safe(self.save_settings, e))
        self.listen(form, "change", lambda e: self.safe(self.on_picker_change, e))
        self.listen(b.window, "pageshow", lambda e: self.safe(self.on_pageshow, e))

    def on_pageshow(self, event: object) -> None:
        if getattr(event, "persisted", False):  # back from ilert via the bfcache
            self.signing_in = False
            b.by_id("sign-in").disabled = False
            self.status("")

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
            self.open_settings()
        elif action == "toggle-source" and item is not None:
            self.toggle_source(item)
        elif action in ("accept", "resolve") and item is not None:
            self.alert_action(action, item)

    # --- sign in --------------------------------------------------------------------------

    def sign_in(self) -> None:
        if self.signing_in:  # a double click starts one flow only
            return
        self.signing_in = True
        button = b.by_id("sign-in")
        button.disabled = True
        try:
            from app import authorize

            url = authorize.start(self.settings, self.session_store, b.page_url())
        except Exception:
            self.signing_in = False
            button.disabled = False
            raise
        self.notice(None)
        self.log.step(
            "Sign-in started: new PKCE verifier and state stored in this tab; going to ilert",
            authorize_url=url,
            tenant=self.settings.tenant or "(none)",
        )
        self.status("Going to ilert to sign in…")
        b.navigate(url)

    def callback_or_resume(self, params: dict[str, str]) -> None:
        """Handle the redirect; if it is unusable but this tab is signed in, stay signed in."""
        try:
            self.finish_sign_in(params)
        except errors.CallbackError:
            if self.has_stored_session() and self.session.signed_in:
                self.render_signed_in()
                self.safe(self._load_data)
            raise

    def finish_sign_in(self, params: dict[str, str]) -> None:
        from app import callback

        if "error" in params:
            self.log.step("Back from ilert with an error", query=params)
        else:
            self.log.step(
                "Back from ilert with a code; code and state removed from the address bar"
            )
        result = callback.handle(params, self.session_store)
        self.log.step("State matches this tab's sign-in; verifier taken and deleted from storage")
        code, verifier = result.code, result.verifier

        def exchange() -> None:
            tokens = self.session.client.exchange_code(code, verifier)
            self.session.start(tokens)
            self.log.step(
                "Signed in",
                scope=tokens.scope,
                expires_in=round(tokens.expires_at - tokens.obtained_at),
                refresh_token_received=bool(tokens.refresh_token),
            )
            self.render_signed_in()
            self._load_data()

        self.retry_action = ("Finishing sign-in", exchange)
        exchange()

    # --- signed in / out --------------------------------------------------------------------

    def render_signed_in(self) -> None:
        b.by_id("signed-in").hidden = False
        b.by_id("token-card").hidden = False
        b.by_id("sign-in").hidden = True
        b.document.documentElement.setAttribute("data-signed-in", "")
        self.render_token_panel()
        if self.ticker is None:
            self.ticker = b.set_interval(lambda: self.safe(self.tick), 1000)

    def render_signed_out(self) -> None:
        b.clear_interval(self.ticker)
        self.ticker = None
        for section in ("signed-in", "token-card"):
            b.by_id(section).hidden = True
        for panel in ("profile", "sources", "alerts", "oncall", "claims", "token-info-out"):
            b.clear(b.by_id(panel))
        self.sources.clear()
        button = b.by_id("sign-in")
        button.hidden = False
        button.disabled = self.signing_in
        b.document.documentElement.removeAttribute("data-signed-in")

    def render_token_panel(self) -> None:
        from app import jwt_display

        tokens = self.session.tokens
        if tokens is None:
            return
        b.by_id("granted-scope").textContent = tokens.scope or "(none reported)"
        note = b.by_id("session-note")
        refresh = b.by_id("refresh-now")
        if tokens.refresh_token:
            note.textContent = (
                "Automatic: the app refreshes the access token about a minute before it expires."
            )
            refresh.disabled = False
        else:
            note.textContent = (
                "No refresh token (offline_access was not granted): the session ends when the "
                "access token expires; then sign in again."
            )
            refresh.disabled = True
        self.tick()
        claims = b.by_id("claims")
        b.clear(claims)
        decoded = jwt_display.decode(tokens.access_token)
        if decoded.error:
            claims.append(b.el("p", decoded.error))
            return
        table = b.el("table", cls="claims")
        table.append(b.el("caption", f"Header: alg {decoded.header.get('alg', '?')}"))
        head = b.el("tr")
        for text in ("Claim", "Meaning", "Value"):
            head.append(b.el("th", text, scope="col"))
        table.append(head)
        for key, meaning, value in jwt_display.claim_rows(decoded.payload):
            row = b.el("tr")
            row.append(b.el("th", key, scope="row"))
            row.append(b.el("td", meaning))
            row.append(b.el("td", value))
            table.append(row)
        claims.append(table)

    def tick(self) -> None:
        """Every second: the countdown, the automatic refresh, the end of a session."""
        from app.session import format_duration

        session = self.session
        if session.tokens is None:
            return
        left = session.seconds_left()
        b.by_id("countdown").textContent = format_duration(left) if left > 0 else "expired"
        if session.can_refresh:
            due = session.refresh_due_in()
            if due == 0 and not self.busy and time.time() >= self.next_auto_refresh:
                self.next_auto_refresh = time.time() + 30  # no tight loop if it fails
                self.log.step("Access token about to expire: refreshing automatically")
                self.run("Refreshing the access token", self._refresh)
        elif left <= 0:
            self.log.step("Access token expired and there is no refresh token: session ended")
            session.end()
            self.render_signed_out()
            self.notice(errors.explain(errors.SessionEnded("expired")))

    # --- token actions ----------------------------------------------------------------------

    def _refresh(self) -> None:
        before = self.session.tokens
        fresh = self.session.refresh()
        rotated = bool(before and fresh.refresh_token != before.refresh_token)
        self.log.step(
            "Access token refreshed",
            scope=fresh.scope,
            refresh_token_rotated=rotated,
        )
        self.render_token_panel()
        self.status("Access token refreshed.")

    def refresh_now(self) -> None:
        self.run("Refreshing the access token", self._refresh)

    def show_token_info(self) -> None:
        def info() -> None:
            data = self.session.client.token_info(self.session.access_token())
            out = b.by_id("token-info-out")
            b.clear(out)
            out.append(b.el("h3", "Token info from ilert"))
            facts = b.el("dl", cls="facts")
            for key in ("active", "username", "tenant_id", "scope", "app_id"):
                if key in data:
                    facts.append(b.el("dt", key))
                    facts.append(b.el("dd", str(data[key])))
            out.append(facts)
            out.hidden = False

        self.run("Asking ilert about the access token", info)

    def sign_out(self) -> None:
        def out() -> None:
            had_refresh = self.session.can_refresh
            revoked = self.session.sign_out()
            self.render_signed_out()
            if not had_refresh:
                text = (
                    "Signed out: everything stored for the session was removed. The access "
                    "token stays valid at ilert until it expires (ilert revokes refresh "
                    "tokens only)."
                )
            elif revoked:
                text = (
                    "Signed out: the refresh token was revoked at ilert and everything stored "
                    "for the session was removed."
                )
            else:
                text = (
                    "Signed out here, but ilert could not be reached to revoke the refresh "
                    "token; you can remove the app's access in ilert's settings."
                )
            self.log.step("Signed out", refresh_token_revoked=revoked and had_refresh)
            self.status(text)

        self.run("Signing out", out, retry=False)

    # --- data -------------------------------------------------------------------------------

    def load_data(self) -> None:
        self.run("Loading your ilert data", self._load_data)

    def _load_data(self) -> None:
        if not self.session.signed_in:  # ended meanwhile (expiry tick, sign-out)
            return
        features = grants.Features.for_scope(self.session.scope)
        self._section("profile", features.profile, "profile", scopes.READ, self._load_profile)
        self._section("sources", features.sources, "source", scopes.READ, self._load_sources)
        self._section("alerts", features.alerts, "alert", scopes.READ, self._load_alerts)
        self._section("oncall", features.on_call, "schedule", scopes.READ, self._load_oncall)
        self.status("Your ilert data is up to date.")
        self.notice(None)

    @staticmethod
    def _not_granted(panel: object, scope: str, level: str, action: str = "") -> None:
        """What the granted scope does not allow, said as such (not as an error)."""
        text = grants.not_granted_text(scope, level)
        panel.append(b.el("p", f"{action}: {text.lower()}" if action else text, cls="not-granted"))

    def _section(
        self, panel_id: str, allowed: bool, scope: str, level: str, load: Callable[[object], None]
    ) -> None:
        panel = b.by_id(panel_id)
        b.clear(panel)
        if not allowed:
            self._not_granted(panel, scope, level)
            return
        try:
            load(panel)
        except errors.ScopeNotGranted as exc:
            b.clear(panel)
            self._not_granted(panel, exc.scope, exc.level)
        except errors.ApiError as exc:
            b.clear(panel)
            panel.append(b.el("p", errors.explain(exc).message, cls="notice error"))

    def _load_profile(self, panel: object) -> None:
        user = self.api().current_user()
        name = f"{user.get('firstName') or ''} {user.get('lastName') or ''}".strip()
        facts = b.el("dl", cls="facts")
        for label, value in (
            ("Name", name),
            ("Username", user.get("username")),
            ("Email", user.get("email")),
            ("Role", user.get("role")),
            ("Time zone", user.get("timezone")),
        ):
            if value:
                facts.append(b.el("dt", label))
                facts.append(b.el("dd", str(value)))
        panel.append(facts)

    def _load_sources(self, panel: object) -> None:
        items = self.api().alert_sources()
        self.sources = {str(s.get("id")): s for s in items if isinstance(s, dict)}
        self.render_sources()

    def render_sources(self) -> None:
        panel = b.by_id("sources")
        b.clear(panel)
        can_write = self.session.allows("source", scopes.WRITE)
        if not self.sources:
            panel.append(b.el("p", "No alert sources."))
        else:
            table = b.el("table", cls="list")
            head = b.el("tr")
            for text in ("Name", "Type", "Status", "Active", ""):
                head.append(b.el("th", text, scope="col"))
            table.append(head)
            for key, src in self.sources.items():
                row = b.el("tr", data_id=key)
                row.append(b.el("td", str(src.get("name", ""))))
                row.append(b.el("td", str(src.get("integrationType", ""))))
                row.append(b.el("td", str(src.get("status", ""))))
                active = bool(src.get("active"))
                row.append(b.el("td", "yes" if active else "no"))
                cell = b.el("td")
                if can_write:
                    verb = "Disable" if active else "Enable"
                    name = src.get("name", "alert source")
                    cell.append(b.action_button(verb, "toggle-source", key, f"{verb} {name}"))
                row.append(cell)
                table.append(row)
            panel.append(table)
        if not can_write:
            self._not_granted(panel, "source", scopes.WRITE, "Enabling or disabling sources")

    def toggle_source(self, key: str) -> None:
        src = self.sources.get(key)
        if src is None:
            return
        active = not bool(src.get("active"))

        def put() -> None:
            updated = self.api().set_source_active(src, active)
            self.sources[key] = updated
            self.log.step(
                f"Alert source {'enabled' if active else 'disabled'}",
                name=str(updated.get("name", "")),
            )
            self.render_sources()
            self.status(f"Alert source {'enabled' if active else 'disabled'}.")

        self.run("Enabling the alert source" if active else "Disabling the alert source", put)

    def _load_alerts(self, panel: object) -> None:
        alerts = self.api().open_alerts()
        self.render_alerts(alerts)

    def render_alerts(self, alerts: list) -> None:
        panel = b.by_id("alerts")
        b.clear(panel)
        can_write = self.session.allows("alert", scopes.WRITE)
        if not alerts:
            panel.append(b.el("p", "No open alerts."))
        else:
            listing = b.el("ul", cls="alerts")
            for alert in alerts:
                if not isinstance(alert, dict):
                    continue
                key = str(alert.get("id"))
                item = b.el("li", data_id=key)
                item.append(b.el("span", str(alert.get("summary", "")), cls="summary"))
                source = alert.get("alertSource") or {}
                meta = f" {alert.get('status', '')} · {alert.get('priority', '')}"
                if isinstance(source, dict) and source.get("name"):
                    meta += f" · {source['name']}"
                item.append(b.el("span", meta, cls="meta"))
                if can_write:
                    if alert.get("status") == "PENDING":
                        item.append(b.action_button("Accept", "accept", key, f"Accept alert {key}"))
                    item.append(b.action_button("Resolve", "resolve", key, f"Resolve alert {key}"))
                listing.append(item)
            panel.append(listing)
        if not can_write:
            self._not_granted(panel, "alert", scopes.WRITE, "Accepting or resolving alerts")

    def alert_action(self, action: str, key: str) -> None:
        def act() -> None:
            api = self.api()
            (api.accept_alert if action == "accept" else api.resolve_alert)(key)
            self.log.step(f"Alert {key} {'accepted' if action == 'accept' else 'resolved'}")
            self.render_alerts(api.open_alerts())
            self.status(f"Alert {'accepted' if action == 'accept' else 'resolved'}.")

        self.run("Accepting the alert" if action == "accept" else "Resolving the alert", act)

    def _load_oncall(self, panel: object) -> None:
        entries = self.api().on_calls()
        if not entries:
            panel.append(b.el("p", "Nobody is on call right now."))
            return
        listing = b.el("ul", cls="oncall")
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            user = entry.get("user") or {}
            who = f"{user.get('firstName') or ''} {user.get('lastName') or ''}".strip()
            who = who or str(user.get("username", "someone"))
            where = (entry.get("schedule") or {}).get("name") or (
                entry.get("escalationPolicy") or {}
            ).get("name", "")
            text = f"{who} — {where}, level {entry.get('escalationLevel', '?')}"
            if entry.get("end"):
                text += f", until {entry['end']}"
            listing.append(b.el("li", text))
        panel.append(listing)

    # --- settings ----------------------------------------------------------------------------

    def _saved_settings(self) -> dict | None:
        data = storage.get_json(self.local_store, SETTINGS_KEY)
        return data if isinstance(data, dict) else None

    def render_settings(self) -> None:
        for field in ("client_id", "ilert_host", "tenant", "api_base", "redirect_uri"):
            b.by_id(f"set-{field}").value = getattr(self.settings, field)
        b.by_id("set-redirect_uri").placeholder = config.page_base_url(b.page_url())
        rows = b.by_id("scope-rows")
        if not rows.hasChildNodes():
            for info in scopes.SCOPES:
                row = b.el("div", cls="scope-row")
                row.append(b.el("label", f"{info.name} ({info.title})", for_=f"scope-{info.name}"))
                select = b.el("select", id=f"scope-{info.name}", name=info.name)
                for value, text in grants.CHOICES:
                    select.append(b.el("option", text, value=value))
                row.append(select)
                rows.append(row)
        self.picker = grants.Picker.from_scope(self.settings.scope)
        for info in scopes.SCOPES:
            b.by_id(f"scope-{info.name}").value = self.picker.levels.get(info.name, "")
        b.by_id("scope-offline_access").checked = self.picker.offline_access
        b.by_id("scope-string").textContent = self.picker.scope() or "(nothing selected)"

    def on_picker_change(self, event: object) -> None:
        target = event.target
        target_id = str(target.id or "")
        if target_id == "scope-offline_access":
            self.picker.set(scopes.OFFLINE_ACCESS, "on" if target.checked else "")
        elif target_id.startswith("scope-"):
            self.picker.set(target_id[len("scope-") :], str(target.value))
        else:
            return
        b.by_id("scope-string").textContent = self.picker.scope() or "(nothing selected)"

    def save_settings(self, event: object) -> None:
        event.preventDefault()
        values = {
            f: str(b.by_id(f"set-{f}").value)
            for f in ("client_id", "ilert_host", "tenant", "api_base", "redirect_uri")
        }
        values["scope"] = self.picker.scope()
        new = config.Settings.from_dict(values)
        problems = config.validate(new)
        box = b.by_id("settings-errors")
        b.clear(box)
        if problems:
            box.append(b.el("p", "Please fix:"))
            listing = b.el("ul")
            for problem in problems:
                listing.append(b.el("li", problem))
            box.append(listing)
            box.hidden = False
            return
        box.hidden = True
        self.apply_settings(new)
        storage.set_json(self.local_store, SETTINGS_KEY, config.saved_diff(self.defaults, new))
        self.log.step("Settings saved", **{k: v for k, v in new.to_dict().items()})
        self.status("Settings saved. They apply to the next sign-in.")

    def apply_settings(self, new: config.Settings) -> None:
        self.settings = new
        self._session = None  # rebuilt with the new endpoints (tokens stay in storage)
        self._api = None

    def reset_settings(self) -> None:
        self.local_store.remove(SETTINGS_KEY)
        self.apply_settings(config.merge(self.defaults, None))
        self.render_settings()
        b.by_id("settings-errors").hidden = True
        self.status("Settings reset to the defaults.")

    def open_settings(self) -> None:
        b.by_id("settings").open = True
        b.by_id("set-client_id").focus()

    # --- flow log -----------------------------------------------------------------------------

    def _restore_log(self) -> None:
        data = storage.get_json(self.session_store, LOG_KEY)
        if not isinstance(data, list):
            return
        for item in data:
            try:
                self.log.entries.append(Entry(**item))
            except TypeError:
                continue

    def render_log(self) -> None:
        listing = b.by_id("flow-log")
        b.clear(listing)
        for entry in self.log.entries:
            listing.append(self._log_item(entry))

    def _log_item(self, entry: Entry) -> object:
        return b.el("li", entry.as_text(), cls=f"log-{entry.kind}")

    def on_log(self, entry: Entry | None) -> None:
        listing = b.by_id("flow-log")
        if entry is None:
            b.clear(listing)
            self.session_store.remove(LOG_KEY)
            return
        listing.append(self._log_item(entry))
        while listing.childElementCount > len(self.log.entries):
            listing.firstElementChild.remove()
        storage.set_json(self.session_store, LOG_KEY, self.log.as_dicts())

    def copy_log(self) -> None:
        def done(ok: bool) -> None:
            self.status("Flow log copied." if ok else "The browser did not allow copying.")

        b.copy_text(self.log.as_text(), done)
