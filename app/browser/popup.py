"""Popup sign-in: open ilert's sign-in in a small window and take its answer back.

The page stays loaded (no second Python boot, the flow log stays in view). The popup comes
back to the same redirect URI as the full-page sign-in; ``static/boot.js`` recognises it by
the ``popup.`` marker on the state and hands the callback URL back without loading Python:
by ``postMessage`` to ``window.opener`` (targeted at this origin), or, when a COOP header on
the sign-in page severed the opener, over a ``BroadcastChannel`` after a short handshake
(the popup offers a hash of its state; the window waiting for that state claims it, proving
that it holds the state). Every window of the origin hears that channel, so the URL goes
over it sealed (AES-GCM) under a key derived from the state: no other listener sees the
code. (A private ``MessageChannel`` is not possible here: a port can only be transferred by
``postMessage`` to a window, and COOP took away both windows' references to each other.)

Everything that arrives here is untrusted: a message is used only when it comes from this
page's own origin, has the expected shape, and carries exactly the state this window is
waiting for (compared in constant time); anything else is ignored. The code is then
checked and exchanged as after a redirect (``app.core.callback`` and the state machine).

Browser-facing (``js``), imported only when a sign-in starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import Callable

import js
from pyodide.ffi import create_proxy

from app.boot.keys import SIGNIN_MODE_KEY
from app.browser import sealing
from app.browser import web as b
from app.core import storage
from app.core.popup_answer import (
    CHANNEL,
    CLAIMED_TYPE,
    MESSAGE_TYPE,
    answer_key,
    callback_params,
    proof,
    sealed_callback,
    state_hash,
)

MODE_KEY = SIGNIN_MODE_KEY
POPUP, REDIRECT = "popup", "redirect"
MODES = {
    POPUP: "popup window (default: the page stays loaded)",
    REDIRECT: "full-page redirect",
}
WINDOW_NAME = "ilert-pkce-signin"
WINDOW_FEATURES = "popup,width=520,height=720"
POLL_MS = 500  # how often the opener looks whether the popup was closed


def saved_mode(local_store: storage.Storage) -> str:
    try:
        value = local_store.get(MODE_KEY)
    except Exception:
        return POPUP
    return value if value in MODES else POPUP


def save_mode(local_store: storage.Storage, mode: str) -> None:
    if mode == POPUP:
        storage.remove_quietly(local_store, MODE_KEY)
    else:
        storage.write(local_store, MODE_KEY, mode)


def draw_mode_setting(local_store: storage.Storage, on_saved: Callable[[str], None]) -> object:
    """The "Sign in with" choice in Settings; saved at once when changed (returns the proxy)."""
    select = b.by_id("set-signin-mode")
    if not select.hasChildNodes():
        for value, text in MODES.items():
            select.append(b.el("option", text, value=value))
    select.value = saved_mode(local_store)

    def changed(event: object) -> None:
        event.stopPropagation()  # not a scope-picker change
        mode = str(select.value)
        if mode in MODES:
            save_mode(local_store, mode)
            on_saved(mode)

    return b.on(select, "change", changed)


def open_window(url: str) -> object | None:
    """Open the sign-in window (call in the click's task); None when the browser blocked it."""
    try:
        win = b.optional(js.window.open(url, WINDOW_NAME, WINDOW_FEATURES))
    except Exception:
        return None
    if win is None:
        return None
    try:
        if win.closed:
            return None
    except Exception:
        pass
    return win


def _field(data: object, name: str) -> object:
    """A string field of a structured-clone message (untrusted; anything else is None)."""
    try:
        value = getattr(data, name)
    except Exception:
        return None
    return value if isinstance(value, str) else None


class PopupWait:
    """Waits for the popup's answer for one state; tells the page what happened.

    ``on_answer(params, via)`` once, for the first valid answer (``via``: how it came);
    ``on_closed()`` when the window looks closed (advisory: a COOP header makes an open
    popup look closed, so a later answer over the channel is still taken until the
    timeout); ``on_timeout()`` at the end.
    """

    def __init__(
        self,
        win: object,
        state: str,
        on_answer: Callable[[dict[str, str], str], None],
        on_closed: Callable[[], None],
        on_timeout: Callable[[], None],
        timeout_s: float,
    ) -> None:
        self.win = win
        self.state = state
        self.on_answer = on_answer
        self.on_closed = on_closed
        self.on_timeout = on_timeout
        self.origin = str(js.window.location.origin)
        self.done = False
        self.closed_seen = False
        self.claims: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._message = create_proxy(self._on_message)
        js.window.addEventListener("message", self._message)
        self.channel = None
        self._channel_message = None
        if hasattr(js, "BroadcastChannel"):
            try:
                self.channel = js.BroadcastChannel.new(CHANNEL)
                self._channel_message = create_proxy(self._on_channel)
                self.channel.addEventListener("message", self._channel_message)
            except Exception:
                self.channel = None
        self.poll = b.set_interval(self._check_closed, POLL_MS)
        self.timer = b.set_timeout(self._timed_out, timeout_s * 1000)

    # --- the answer ------------------------------------------------------------------------

    def _on_message(self, event: object) -> None:
        if self.done or str(event.origin) != self.origin:
            return  # another origin: never ours
        data = event.data
        if _field(data, "type") != MESSAGE_TYPE:
            return
        params = callback_params(_field(data, "url"), self.origin, self.state)
        if params is None:
            return  # another state (another sign-in, or forged)
        # The popup closes itself when told; the sign-in goes on whatever happens to it.
        with contextlib.suppress(Exception):
            event.source.postMessage(js.Object.fromEntries([["type", CLAIMED_TYPE]]), self.origin)
        self._finish(params, "postMessage")

    def _on_channel(self, event: object) -> None:
        if self.done:
            return
        data = event.data
        kind, ident = _field(data, "type"), _field(data, "id")
        if ident is None or len(ident) > 100:
            return
        if kind == "offer":
            offered = _field(data, "state_hash") or ""
            if hmac.compare_digest(offered.encode(), state_hash(self.state).encode()):
                self.claims.add(ident)
                claim = proof(self.state, ident, "claim")
                self._post({"type": "claim", "id": ident, "proof": claim})
        elif kind == "callback" and ident in self.claims:
            parts = sealed_callback(_field(data, "iv"), _field(data, "sealed"))
            if parts is not None:
                task = asyncio.ensure_future(self._open_callback(ident, *parts))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _open_callback(self, ident: str, iv: bytes, sealed: bytes) -> None:
        """The callback URL, sealed under the state's key (only the popup could seal it)."""
        api = sealing.subtle()
        if api is None:
            return
        key = answer_key(self.state)
        try:
            plain = await sealing.open_sealed(api, key, ident.encode("utf-8"), iv, sealed)
            url = plain.decode("utf-8")
        except Exception:
            return  # not sealed with this state's key: forged
        params = callback_params(url, self.origin, self.state)
        if params is None or self.done:
            return
        self._post({"type": "done", "id": ident, "proof": proof(self.state, ident, "done")})
        self._finish(params, "BroadcastChannel, sealed")

    def _post(self, message: dict[str, str]) -> None:
        if self.channel is not None:
            self.channel.postMessage(js.Object.fromEntries([[k, v] for k, v in message.items()]))

    def _finish(self, params: dict[str, str], via: str) -> None:
        self.stop()
        self.close_window()
        self.on_answer(params, via)

    # --- closed, timeout, clean-up -----------------------------------------------------

    def _check_closed(self) -> None:
        if self.closed_seen:
            return
        try:
            closed = bool(self.win.closed)
        except Exception:
            closed = True
        if closed:
            self.closed_seen = True
            b.clear_interval(self.poll)
            self.poll = None
            if self.channel is None:
                self.stop()  # no other way for an answer to come back
            self.on_closed()

    def _timed_out(self) -> None:
        self.timer = None
        if self.done:
            return
        self.stop()
        self.close_window()
        self.on_timeout()

    def close_window(self) -> None:
        with contextlib.suppress(Exception):
            self.win.close()

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        if self.done:
            return
        self.done = True
        js.window.removeEventListener("message", self._message)
        if self.channel is not None:
            self.channel.removeEventListener("message", self._channel_message)
            self.channel.close()
        b.clear_interval(self.poll)
        self.poll = None
        b.clear_timeout(self.timer)
        self.timer = None
