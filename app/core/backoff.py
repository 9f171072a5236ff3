"""Back-off policy for 429 and 5xx answers.

ilert sends no Retry-After and asks clients to back off 10–30 s, so the delay starts at
10 s, doubles per consecutive failure and stops at 30 s; a little jitter keeps many tabs
from retrying in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

MIN_DELAY = 10.0
MAX_DELAY = 30.0


def delay(attempt: int = 0, rand: random.Random | None = None, jitter: float = 2.0) -> float:
    """Seconds to wait before retry number ``attempt`` (0 = first retry), within 10–30 s."""
    base = min(MAX_DELAY, MIN_DELAY * (2 ** max(0, attempt)))
    spread = (rand or random).uniform(0, jitter) if jitter else 0.0
    return min(MAX_DELAY, base + spread)


class Streak:
    """Consecutive 429/5xx answers of one server part (the token endpoint, the API): each
    one makes the next back-off longer, and any usable answer starts over."""

    def __init__(self) -> None:
        self.failures = 0

    def read(self, parse: Callable[[int], T]) -> T:
        """``parse(attempt)`` an answer; count it when it asks to back off."""
        try:
            result = parse(self.failures)
        except Exception as exc:
            if getattr(exc, "retry_after", None):
                self.failures += 1
            raise
        self.failures = 0
        return result
