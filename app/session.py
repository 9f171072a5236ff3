"""The signed-in session: the token set, where it is kept, and when to refresh it.

Tokens live in memory and in the session store (sessionStorage in the browser, so a
reload in the same tab keeps the session; never localStorage). Refreshes are
serialised by a lock: when several API calls hit 401 together, the first refreshes and
the others see that the access token changed meanwhile and just use the new one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app import scopes
from app.errors import OAuthError, SessionEnded
from app.keys import TOKENS_KEY
from app.storage import Storage, clear_all, get_json, set_json, take_attempt
from app.tokens import TokenClient, TokenSet

REFRESH_MARGIN = 60.0  # ilert's CLI refreshes when less than 60 s of validity remain
MIN_REFRESH_INTERVAL = 300.0  # ilert asks apps not to refresh more than once per 5 minutes


class Session:
    def __init__(
        self,
        store: Storage,
        client: TokenClient,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[TokenSet | None], None] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.on_change = on_change
        self._lock = threading.Lock()
        self.tokens: TokenSet | None = TokenSet.from_dict(get_json(store, TOKENS_KEY))
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

    def expired(self) -> bool:
        return self.tokens is None or self.seconds_left() <= 0

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
            self.store.remove(TOKENS_KEY)
        else:
            set_json(self.store, TOKENS_KEY, tokens.to_dict())
        if self.on_change:
            self.on_change(tokens)

    def start(self, tokens: TokenSet) -> None:
        self._set(tokens)

    def current(self) -> TokenSet:
        tokens = self.tokens
        if tokens is None:
            raise SessionEnded("signed_out")
        return tokens

    def access_token(self) -> str:
        return self.current().access_token

    def refresh(self, stale: TokenSet | None = None) -> TokenSet:
        """Refresh now; with ``stale`` (the token set a 401 came back for), skip the refresh
        when another caller already replaced it (compared by identity: ilert's tokens carry
        no jti, so two tokens issued in the same second can be equal strings).

        A refresh token that ilert rejects (revoked, expired) ends the session and
        removes everything stored for it, then raises.
        """
        with self._lock:
            current = self.tokens
            if current is None:
                raise SessionEnded("signed_out")
            if stale is not None and current is not stale:
                return current  # refreshed by another caller while we waited
            if not current.refresh_token:
                raise SessionEnded("expired")
            try:
                fresh = self.client.refresh(current)
            except OAuthError as exc:
                if exc.code in ("invalid_grant", "invalid_client", "unauthorized_client"):
                    self.end()
                raise
            self.refresh_count += 1
            self._set(fresh)
            return fresh

    def end(self) -> None:
        """Forget the session and everything stored for it (tokens, pending attempts)."""
        take_attempt(self.store)
        clear_all(self.store, keep=lambda k: k.endswith("used-states"))
        self._set(None)

    def sign_out(self) -> bool:
        """Revoke the refresh token (best effort) and clear every stored item.

        Returns whether the revoke call succeeded; local state is cleared either way.
        """
        tokens, revoked = self.tokens, True
        try:
            if tokens and tokens.refresh_token:
                self.client.revoke(tokens.refresh_token)
        except Exception:
            revoked = False
        finally:
            self.end()
        return revoked


def format_duration(seconds: float) -> str:
    """``3599`` → ``59:59``, ``3600`` → ``1:00:00``, negatives → ``0:00``."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
