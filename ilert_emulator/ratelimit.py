"""ilert's API rate limit: fixed one-minute windows per client address (ilert counts per IP).

Windows are aligned to whole minutes of the emulator clock, so ``clock.advance(60)`` opens a
new one. Over the limit the API answers 429 with no Retry-After or rate-limit headers, as ilert.
"""

from __future__ import annotations

import threading

from .clock import Clock

DEFAULT_LIMIT = 700
WINDOW = 60


class RateLimiter:
    def __init__(self, clock: Clock, limit: int = DEFAULT_LIMIT) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.limit = self._check(limit)
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window, calls)

    @staticmethod
    def _check(limit: int) -> int:
        if int(limit) < 0:
            raise ValueError("rate limit must not be negative")
        return int(limit)

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self.limit = self._check(limit)

    def hit(self, key: str) -> bool:
        """Count one call for ``key``; False when it is over the limit for this window."""
        window = int(self._clock.now() // WINDOW)
        with self._lock:
            seen, calls = self._counts.get(key, (window, 0))
            if seen != window:
                calls = 0
            calls += 1
            self._counts[key] = (window, calls)
            return calls <= self.limit

    def reset(self, limit: int) -> None:
        with self._lock:
            self.limit = self._check(limit)
            self._counts.clear()
