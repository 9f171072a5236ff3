"""The signed-in session: the token set, where it is kept, and when to refresh it.

Tokens live in memory and in the session store (sessionStorage in the browser, so a
reload in the same tab keeps the session; never localStorage). The page loads its panels
concurrently, so several API calls can meet a 401 at the same moment: refresh is
single-flight — the first caller starts it, the others await the same task.

Across tabs sharing the tokens (a duplicated tab copies sessionStorage) the page passes a
``lock`` (Web Locks, ``app.browser.tabs``): the refresh runs holding it, and a tab that gets the
lock after another one first looks whether its tokens were replaced meanwhile (handed over
by that tab: ``adopt``, or found in the store) before it sends its own refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from app.boot.keys import TOKENS_KEY, USED_KEY
from app.core import flow, scopes
from app.core.errors import OAuthError, SessionEnded
from app.core.protocol import TokenSet
from app.core.storage import Storage, clear_all, get_json, remove_quietly, save_tokens
from app.core.tokens import TokenClient
from app.core.urls import Endpoints, SettingsError

ADOPT_GRACE = 1.0  # seconds a refused refresh waits for the tokens another tab refreshed
REFRESH_MARGIN = 60.0  # ilert's CLI refreshes when less than 60 s of validity remain
MIN_REFRESH_INTERVAL = 300.0  # ilert asks apps not to refresh more than once per 5 minutes


class Session:
    def __init__(
        self,
        store: Storage,
        client: TokenClient,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[TokenSet | None], None] | None = None,
        lock: Callable[[Callable[[], Awaitable[TokenSet]]], Awaitable[TokenSet]] | None = None,
        after_refresh: Callable[[TokenSet, TokenSet], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.on_change = on_change
        self.lock = lock  # runs a refresh holding a lock shared with the other tabs
        self.after_refresh = after_refresh  # (old, new), still holding the lock
        self._refreshing: asyncio.Future | None = None
        self._adoption: asyncio.Future | None = None
        stored = get_json(store, TOKENS_KEY)
        self.tokens: TokenSet | None = TokenSet.from_dict(stored)
        if self.tokens is None and store.get(TOKENS_KEY) is not None:
            remove_quietly(store, TOKENS_KEY)  # unusable (tampered with): dropped, signed out
        # The server the tokens came from (recorded with them): every later call of this
        # session goes there, whatever the settings say meanwhile. None: not recorded.
        self.endpoints: Endpoints | None = None
        if self.tokens is not None and isinstance(stored, dict) and "endpoints" in stored:
            try:
                self.endpoints = Endpoints.from_dict(stored["endpoints"])
            except SettingsError:  # tampered with: never send a token to what it names
                self.tokens = None
                remove_quietly(store, TOKENS_KEY)
        self.refresh_count = 0

    # --- state ---------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self.tokens is not None

    @property
    def scope(self) -> str:
        return self.tokens.scope if self.tokens else ""

    def allows(self, name: str, level: str = scopes.READ) -> bool:
        return scopes.allows(self.scope, name, level)

    @property
    def can_refresh(self) -> bool:
        return bool(self.tokens and self.tokens.refresh_token)

    def seconds_left(self) -> float:
        return self.tokens.seconds_left(self.clock()) if self.tokens else 0.0

    def refresh_due_in(self) -> float | None:
        """Seconds until the automatic refresh; None when there is nothing to refresh with.

        Fires REFRESH_MARGIN before expiry, but never sooner than MIN_REFRESH_INTERVAL
        after the last refresh (unless that would let the token expire).
        """
        if not self.can_refresh or self.tokens is None:
            return None
        now = self.clock()
        due = self.tokens.expires_at - REFRESH_MARGIN
        earliest = self.tokens.obtained_at + MIN_REFRESH_INTERVAL
        if earliest < self.tokens.expires_at - 5:
            due = max(due, earliest)
        return max(0.0, due - now)

    # --- changes -----------------------------------------------------------------

    def _set(self, tokens: TokenSet | None) -> None:
        self.tokens = tokens
        if tokens is None:
            self.endpoints = None
            save_tokens(self.store, None)
        else:
            # Tokens first (they may push the flow log out), with their server, in one write.
            record = tokens.to_dict()
            if self.endpoints is not None:
                record["endpoints"] = self.endpoints.to_dict()
            save_tokens(self.store, record)
        if self.on_change:
            self.on_change(tokens)

    def start(
        self,
        tokens: TokenSet,
        endpoints: Endpoints | None = None,
        client: TokenClient | None = None,
    ) -> None:
        """Begin a session bound to ``endpoints`` (and the client that talks to them)."""
        self.endpoints = endpoints
        if client is not None:
            self.client = client
        self._set(tokens)

    def current(self) -> TokenSet:
        tokens = self.tokens
        if tokens is None:
            raise SessionEnded("signed_out")
        return tokens

    async def refresh(self, stale: TokenSet | None = None) -> TokenSet:
        """Refresh now, once for all concurrent callers.

        With ``stale`` (the token set a 401 came back for), skip the refresh when it was
        already replaced (compared by identity: ilert's tokens carry no jti, so two tokens
        issued in the same second can be equal strings). A refresh refused for good
        (``flow.ends_session``) ends the session, removes what was stored, and raises.
        """
        current = self.tokens
        if current is None:
            raise SessionEnded("signed_out")
        if stale is not None and current is not stale:
            return current
        if self._refreshing is None:
            self._refreshing = asyncio.ensure_future(self._refresh(current))
            self._refreshing.add_done_callback(self._refresh_done)
        # shield: one caller's cancel must not cancel the refresh the others wait for
        return await asyncio.shield(self._refreshing)

    def _refresh_done(self, future: asyncio.Future) -> None:
        self._refreshing = None
        if not future.cancelled():
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits

    async def _refresh(self, current: TokenSet) -> TokenSet:
        if self.lock is None:
            return await self._refresh_held(current)
        return await self.lock(lambda: self._refresh_held(current))

    def _replaced(self, current: TokenSet) -> TokenSet | None:
        """Tokens that replaced ``current`` meanwhile (adopted, or found in the store)."""
        if self.tokens is not current:
            if self.tokens is None:
                raise SessionEnded("signed_out")
            return self.tokens
        stored = TokenSet.from_dict(get_json(self.store, TOKENS_KEY))
        if stored is not None and (
            stored.refresh_token != current.refresh_token
            or stored.access_token != current.access_token
        ):
            self.tokens = stored
            return stored
        return None

    async def _refresh_held(self, current: TokenSet) -> TokenSet:
        replaced = self._replaced(current)
        if replaced is not None:
            return replaced
        if not current.refresh_token:
            raise SessionEnded("expired")
        try:
            fresh = await self.client.refresh(current)
        except Exception as exc:
            rotated_away = isinstance(exc, OAuthError) and exc.code == "invalid_grant"
            if rotated_away and self.lock is not None:
                # Rotated away by another tab whose hand-over is on its way: take it.
                adopted = await self._wait_adopted(current)
                if adopted is not None:
                    return adopted
            if flow.ends_session(exc):  # the one table (app.core.flow) says this refresh is final
                self.end()
            raise
        if self.tokens is not current:  # signed out meanwhile: drop the answer
            raise SessionEnded("signed_out")
        self.refresh_count += 1
        self._set(fresh)
        if self.after_refresh is not None:
            # Best effort: a failed hand-over to the other tabs does not make this tab's
            # refresh (its new tokens are stored) a failure; they find out by their own.
            with contextlib.suppress(Exception):
                await self.after_refresh(current, fresh)
        return fresh

    def adopt(self, tokens: TokenSet) -> None:
        """Take the tokens another tab of this session refreshed (its rotation replaced ours)."""
        self._set(tokens)
        if self._adoption is not None and not self._adoption.done():
            self._adoption.set_result(tokens)

    async def _wait_adopted(self, current: TokenSet) -> TokenSet | None:
        if self.tokens is not current:
            return self.tokens
        self._adoption = asyncio.get_event_loop().create_future()
        try:
            return await asyncio.wait_for(asyncio.shield(self._adoption), ADOPT_GRACE)
        except TimeoutError:
            return None
        finally:
            self._adoption = None

    def end(self) -> None:
        """Forget the session and everything stored for it (tokens, pending attempts)."""
        # Every item of the app goes (the attempt too), but the handled states: a replayed
        # redirect must still be recognised after the session ended.
        clear_all(self.store, keep=lambda key: key == USED_KEY)
        self._set(None)

    async def sign_out(self) -> Exception | None:
        """Revoke the refresh token (best effort) and clear every stored item.

        Returns why the revoke failed (None when it succeeded or there was nothing to
        revoke); local state is cleared either way.
        """
        tokens, failure = self.tokens, None
        try:
            if tokens and tokens.refresh_token:
                await self.client.revoke(tokens.refresh_token)
        except Exception as exc:
            failure = exc
        finally:
            self.end()
        return failure


def format_duration(seconds: float) -> str:
    """``3599`` → ``59:59``, ``3600`` → ``1:00:00``, negatives → ``0:00``."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
