"""Back-off policy for 429 and 5xx answers.

ilert sends no Retry-After and asks clients to back off 10–30 s, so the delay starts at
10 s, doubles per consecutive failure and stops at 30 s; a little jitter keeps many tabs
from retrying in lockstep.
"""

from __future__ import annotations

import random

MIN_DELAY = 10.0
MAX_DELAY = 30.0


def delay(attempt: int = 0, rand: random.Random | None = None, jitter: float = 2.0) -> float:
    """Seconds to wait before retry number ``attempt`` (0 = first retry), within 10–30 s."""
    base = min(MAX_DELAY, MIN_DELAY * (2 ** max(0, attempt)))
    spread = (rand or random).uniform(0, jitter) if jitter else 0.0
    return min(MAX_DELAY, base + spread)
