"""Tabs that agree: one refresh at a time, rotated tokens handed over, sign-out everywhere.

Tokens live in sessionStorage, per tab, but "Duplicate tab" (and a popup) copies it: then two
tabs hold the same refresh token. Without coordination the first refresh in one tab rotates
the token away under the other (a strict server revokes the used one), and a sign-out in one
tab leaves the other signed in. So:

- **Web Locks** (``navigator.locks``, lock ``ilert-pkce:refresh``): a refresh runs holding
  the lock; the next tab, once it holds it, looks whether its tokens were replaced meanwhile
  (``app.session``) before refreshing.
- **BroadcastChannel** ``ilert-pkce:tabs``: after a refresh the tab sends the new token set
  to the tabs of the same session, sealed with AES-GCM (WebCrypto) under a key derived from
  the *old* refresh token, which only those tabs hold (``app.tab_messages``); they adopt it.
  A sign-out sends the session's names (hashes), and every tab holding one of them ends its
  session too.

Why tokens may travel at all, and only sealed: a BroadcastChannel is same-origin only, like
sessionStorage, but on a shared static host the origin can hold other apps, which could
listen on any channel name; they cannot read another tab's sessionStorage. Sealing keeps that
line: what a listener without the old refresh token hears is an opaque blob and a hash.
Everything heard is untrusted (shape checked, size capped, authenticated by AES-GCM).
Without Web Locks, BroadcastChannel or WebCrypto the page works as one tab, as before.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

import js
from pyodide.ffi import create_once_callable, create_proxy, to_js

from app import browser as b
from app import tab_messages as msg
from app.protocol import TokenSet

T = TypeVar("T")


SETTLE_S = 0.1  # after waiting for the lock: time for the last holder's hand-over to arrive


async def _acquire(locks: object, name: str, if_available: bool) -> Callable[[], None] | None:
    """Hold Web Lock ``name``: its release function, or None (``if_available`` and taken)."""
    granted = asyncio.get_event_loop().create_future()

    def on_grant(lock: object) -> object:
        if granted.done():  # the waiting task was cancelled: let go at once
            return js.Promise.resolve(None)
        if b.optional(lock) is None:  # ifAvailable, and another tab holds it
            granted.set_result(None)
            return js.Promise.resolve(None)
        holder: dict[str, object] = {}

        def hold(resolve: object, _reject: object) -> None:
            holder["resolve"] = resolve

        held = js.Promise.new(create_once_callable(hold))
        granted.set_result(lambda: holder["resolve"](None))
        return held

    options = js.Object.fromEntries(to_js([["ifAvailable", if_available]]))
    request = locks.request(name, options, create_once_callable(on_grant))
    request.catch(create_proxy(lambda _err: None))
    return await granted


async def with_lock(name: str, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` holding the Web Lock ``name`` (shared by this origin's tabs), if any.

    When another tab held the lock, wait a moment after getting it: that tab posted its
    hand-over before letting go, but a message and a lock grant travel separately.
    """
    locks = b.optional(getattr(js.navigator, "locks", None))
    if locks is None:
        return await work()
    release = await _acquire(locks, name, if_available=True)
    waited = release is None
    if waited:  # a cancellation while waiting lets go of the grant (see _acquire)
        release = await _acquire(locks, name, if_available=False)
    try:  # held from here: every await below, the settling one too, is inside the try
        if waited:
            await asyncio.sleep(SETTLE_S)
        return await work()
    finally:
        release()


def _subtle() -> object | None:
    crypto = b.optional(getattr(js, "crypto", None))
    return None if crypto is None else b.optional(getattr(crypto, "subtle", None))


async def _key(subtle: object, refresh_token: str) -> object:
    return await subtle.importKey(
        "raw",
        to_js(msg.transfer_key(refresh_token)),
        "AES-GCM",
        False,
        to_js(["encrypt", "decrypt"]),
    )


def _params(iv: bytes, sid: str) -> object:
    return to_js(
        {"name": "AES-GCM", "iv": to_js(iv), "additionalData": to_js(sid.encode("ascii"))},
        dict_converter=js.Object.fromEntries,
    )


class Tabs:
    """This tab's end of the channel. ``on_rotated(tokens)``, ``on_signed_out()`` are called
    for messages about this tab's own session (``current()`` gives its tokens)."""

    def __init__(
        self,
        current: Callable[[], TokenSet | None],
        on_rotated: Callable[[TokenSet], None],
        on_signed_out: Callable[[], None],
    ) -> None:
        self.current = current
        self.on_rotated = on_rotated
        self.on_signed_out = on_signed_out
        self.lineage: list[str] = []  # names of this session's refresh tokens, oldest first
        self.channel = None
        self._tasks: set[asyncio.Task] = set()
        if b.optional(getattr(js, "BroadcastChannel", None)) is None:
            return
        try:
            self.channel = js.BroadcastChannel.new(msg.CHANNEL)
            self._proxy = create_proxy(self._on_message)
            self.channel.addEventListener("message", self._proxy)
        except Exception:
            self.channel = None

    # --- this tab's session ------------------------------------------------------------

    def track(self, tokens: TokenSet | None) -> None:
        """The session's tokens changed: remember its names (cleared when it ends)."""
        if tokens is None:
            self.lineage.clear()
            return
        sid = msg.session_id(tokens.refresh_token or tokens.access_token)
        if sid not in self.lineage:
            self.lineage = [*self.lineage, sid][-msg.MAX_IDS :]

    def _mine(self, ids: list[str]) -> bool:
        tokens = self.current()
        if tokens is None:
            return False
        own = set(self.lineage) | {msg.session_id(tokens.refresh_token or tokens.access_token)}
        return bool(own & set(ids))

    # --- telling the others ------------------------------------------------------------

    def signed_out(self, tokens: TokenSet | None) -> None:
        """Tell the tabs of this session that it ended (names only)."""
        if self.channel is None:
            return
        ids = list(self.lineage)
        if tokens is not None:
            ids.append(msg.session_id(tokens.refresh_token or tokens.access_token))
        if ids:
            self.channel.postMessage(msg.signed_out(list(dict.fromkeys(ids))))

    async def rotated(self, old: TokenSet, new: TokenSet) -> None:
        """Hand the new token set to the tabs holding ``old``'s refresh token, sealed."""
        subtle = _subtle()
        if self.channel is None or subtle is None or not old.refresh_token:
            return
        sid = msg.session_id(old.refresh_token)
        iv = secrets.token_bytes(msg.IV_BYTES)
        plain = json.dumps(new.to_dict()).encode("utf-8")
        key = await _key(subtle, old.refresh_token)
        sealed = await subtle.encrypt(_params(iv, sid), key, to_js(plain))
        self.channel.postMessage(msg.rotated(sid, iv, js.Uint8Array.new(sealed).to_bytes()))

    # --- hearing them --------------------------------------------------------------------

    def _on_message(self, event: object) -> None:
        data = msg.parse(event.data if isinstance(event.data, str) else None)
        if data is None:
            return
        if data["type"] == msg.SIGNED_OUT:
            if self._mine(data["ids"]):
                self.on_signed_out()
        else:
            task = asyncio.ensure_future(self._adopt(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _adopt(self, data: dict) -> None:
        tokens, subtle = self.current(), _subtle()
        if tokens is None or not tokens.refresh_token or subtle is None:
            return
        if msg.session_id(tokens.refresh_token) != data["id"]:
            return  # another session's
        try:
            key = await _key(subtle, tokens.refresh_token)
            plain = await subtle.decrypt(
                _params(data["iv"], data["id"]), key, to_js(data["sealed"])
            )
            fresh = TokenSet.from_dict(json.loads(js.Uint8Array.new(plain).to_bytes()))
        except Exception:
            return  # not sealed with our key, or not a token set: ignored
        if fresh is None or self.current() is not tokens:
            return
        self.on_rotated(fresh)
