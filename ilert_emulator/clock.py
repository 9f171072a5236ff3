"""The emulator's clock: real time plus an offset that tests can push forward.

Codes, tokens and rate-limit windows all read this clock, so ``advance(130)`` expires an
authorization code without a test having to sleep.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time shifted by an adjustable offset (seconds)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Emulator time as a POSIX timestamp."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move emulator time forward; returns the new time. Time never goes backwards."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    def iso(self, ts: float | None = None) -> str:
        """``ts`` (default: now) as ilert-style ISO 8601 in UTC, e.g. ``2024-05-01T09:12:14Z``."""
        return iso(self.now() if ts is None else ts)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 date-time (``Z`` or an offset; naive means UTC) to a timestamp."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
