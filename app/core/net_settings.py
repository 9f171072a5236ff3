"""How the page talks HTTP: the transport (fetch, or urllib via pyodide-http) and the timeout.

Kept apart from ``app.core.settings`` (the OAuth settings): these never change where tokens go,
only how requests travel. Saved in localStorage when they differ from the defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.http import DEFAULT_TIMEOUT

FETCH = "fetch"
XHR = "xhr"
TRANSPORTS = {
    FETCH: "fetch (default: never blocks the page, with a timeout)",
    XHR: "urllib via pyodide-http — blocks the page, no timeout; for comparison",
}
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 300.0


@dataclass(frozen=True)
class NetSettings:
    transport: str = FETCH
    timeout: float = DEFAULT_TIMEOUT  # seconds

    @classmethod
    def from_dict(cls, data: object) -> NetSettings:
        """Tolerant: anything unusable falls back to the default."""
        if not isinstance(data, dict):
            return cls()
        transport = data.get("transport")
        timeout = data.get("timeout")
        ok = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
        ok = ok and math.isfinite(timeout) and MIN_TIMEOUT <= timeout <= MAX_TIMEOUT
        return cls(
            transport if transport in TRANSPORTS else FETCH,
            float(timeout) if ok else DEFAULT_TIMEOUT,
        )

    def to_dict(self) -> dict:
        return {"transport": self.transport, "timeout": self.timeout}


def parse_timeout(text: str) -> tuple[float | None, str]:
    """The timeout field (seconds) → (value, problem)."""
    try:
        value = float(text.strip())
    except ValueError:
        return None, "the timeout must be a number of seconds"
    if not math.isfinite(value) or not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        return None, f"the timeout must be between {MIN_TIMEOUT:g} and {MAX_TIMEOUT:g} seconds"
    return value, ""
