"""Tabs that agree: one refresh at a time, rotated tokens handed over, sign-out everywhere.

Tokens live in sessionStorage, per tab, but "Duplicate tab" (and a popup) copies it: then two
tabs hold the same refresh token. Without coordination the first refresh in one tab rotates
the token away under the other (a strict server revokes the used one), and a sign-out in one
tab leaves the other signed in. So:

- **Web Locks** (``navigator.locks``, lock ``ilert-pkce:refresh``): a refresh runs holding
  the lock; the next tab, once it holds it, looks whether its tokens were replaced meanwhile
  (``app.core.session``) before refreshing.
- **BroadcastChannel** ``ilert-pkce:tabs``: after a refresh the tab sends the new token set
  to the tabs of the same session, sealed with AES-GCM (WebCrypto) under a key derived from
  the *old* refresh token, which only those tabs hold (``app.core.tab_messages``); they adopt it.
  A sign-out is sealed the same way, under the key of each of the session's refresh tokens
  (the names alone, which any listener hears in each hand-over, end nothing), with the time
  it was sent; a tab that can open it and finds it fresh ends its session too.

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
from collections.abc import Awaitable, Callable
from typing import TypeVar

import js
from pyodide.ffi import create_once_callable, create_proxy, to_js

from app.browser import sealing
from app.browser import web as b
from app.core import safe_json
from app.core import tab_messages as msg
from app.core.protocol import TokenSet

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


def _secret(tokens: TokenSet) -> str:
    """What names and keys a session: its refresh token (its access token without one)."""
    return tokens.refresh_token or tokens.access_token


def _pair(tokens: TokenSet) -> tuple[str, bytes]:
    """(name, AES key) of a session's token set (``app.core.tab_messages``)."""
    return msg.session_id(_secret(tokens)), msg.transfer_key(_secret(tokens))


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
        # This session's refresh tokens, oldest first: (name, key) each. The keys (hashes of
        # the tokens) stay in this tab's memory; a sealed sign-out reaches any tab of the
        # session, also one that missed a hand-over and holds an older token.
        self.lineage: list[tuple[str, bytes]] = []
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
        pair = _pair(tokens)
        if pair not in self.lineage:
            self.lineage = [*self.lineage, pair][-msg.MAX_IDS :]

    def _keys(self) -> dict[str, bytes]:
        """Name -> key of every token of this tab's session (none when signed out)."""
        tokens = self.current()
        if tokens is None:
            return {}
        return dict([*self.lineage, _pair(tokens)])

    # --- telling the others ------------------------------------------------------------

    async def signed_out(self, tokens: TokenSet | None) -> None:
        """Tell the tabs of this session that it ended: sealed under each of its keys."""
        subtle = sealing.subtle()
        if self.channel is None or subtle is None:
            return
        pairs = dict(self.lineage)  # taken now: the lineage is cleared once the session ends
        if tokens is not None:
            pairs.update([_pair(tokens)])
        plain = msg.sign_out_plain(js.Date.now() / 1000)
        seals = []
        for sid, raw_key in pairs.items():
            iv, sealed = await sealing.seal(subtle, raw_key, msg.sign_out_aad(sid), plain)
            seals.append((sid, iv, sealed))
        if seals:
            self.channel.postMessage(msg.signed_out(seals))

    async def rotated(self, old: TokenSet, new: TokenSet) -> None:
        """Hand the new token set to the tabs holding ``old``'s refresh token, sealed."""
        subtle = sealing.subtle()
        if self.channel is None or subtle is None or not old.refresh_token:
            return
        sid, raw_key = _pair(old)
        plain = json.dumps(new.to_dict()).encode("utf-8")
        iv, sealed = await sealing.seal(subtle, raw_key, sid.encode("ascii"), plain)
        self.channel.postMessage(msg.rotated(sid, iv, sealed))

    # --- hearing them --------------------------------------------------------------------

    def _on_message(self, event: object) -> None:
        data = msg.parse(event.data if isinstance(event.data, str) else None)
        if data is None:
            return
        work = self._end if data["type"] == msg.SIGNED_OUT else self._adopt
        task = asyncio.ensure_future(work(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _end(self, data: dict) -> None:
        """A sign-out: obeyed only when sealed under a key of this session, and fresh."""
        keys, subtle = self._keys(), sealing.subtle()
        if subtle is None:
            return
        tokens = self.current()
        for sid, iv, sealed in data["seals"]:
            if sid not in keys:
                continue
            try:
                aad = msg.sign_out_aad(sid)
                plain = await sealing.open_sealed(subtle, keys[sid], aad, iv, sealed)
            except Exception:
                continue  # not sealed with this session's key: forged
            if msg.sign_out_fresh(plain, js.Date.now() / 1000) and self.current() is tokens:
                self.on_signed_out()
            return

    async def _adopt(self, data: dict) -> None:
        tokens, subtle = self.current(), sealing.subtle()
        if tokens is None or not tokens.refresh_token or subtle is None:
            return
        sid, raw_key = _pair(tokens)
        if sid != data["id"]:
            return  # another session's
        try:
            aad, iv, sealed = sid.encode("ascii"), data["iv"], data["sealed"]
            plain = await sealing.open_sealed(subtle, raw_key, aad, iv, sealed)
            fresh = TokenSet.from_dict(safe_json.loads(plain))
        except Exception:
            return  # not sealed with our key, or not a token set: ignored
        if fresh is None or self.current() is not tokens:
            return
        self.on_rotated(fresh)
