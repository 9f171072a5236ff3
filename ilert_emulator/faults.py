"""Injected failures for tests: the next N calls of an endpoint fail and/or hang.

Endpoints: ``authorize``, ``token``, ``token_info``, ``revoke`` and ``api`` (any REST call).
Preflights are never faulted, so a browser gets to see the failing actual response. A fault
with neither ``status`` nor ``body`` (nor ``drop``) only delays the call, which then runs normally.
Hangs wait on an event, so ``reset()`` and server shutdown cut them short.

A fault with ``after_work`` is a *lost answer*: the call is performed for real (a code is
redeemed, a refresh done, an alert resolved), then its answer is thrown away and replaced by
``status`` (502 by default) with an ilert-shaped error body, or, with ``drop``, the connection
is closed without any HTTP answer. A ``hang`` then delays the lost answer. ``drop`` without
``after_work`` closes the connection before any work is done.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

ENDPOINTS = ("authorize", "token", "token_info", "revoke", "api")
AFTER_WORK_ENDPOINTS = ("token", "token_info", "revoke", "api")
LOST_ANSWER_STATUS = 502


@dataclass
class Fault:
    endpoint: str
    remaining: int
    status: int | None = None
    hang: float = 0.0
    body: str | None = None
    content_type: str | None = None
    after_work: bool = False
    drop: bool = False

    @property
    def fails(self) -> bool:
        """Whether the answer is replaced (by an error, a custom body or a dropped connection)."""
        return self.status is not None or self.body is not None or self.drop


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {name: deque() for name in ENDPOINTS}
        self._cancel = threading.Event()

    def add(
        self,
        endpoint: str,
        count: int = 1,
        status: int | None = None,
        hang: float = 0.0,
        body: str | None = None,
        content_type: str | None = None,
        after_work: bool = False,
        drop: bool = False,
    ) -> Fault:
        """Make the next ``count`` calls of ``endpoint`` fail with ``status`` / hang ``hang`` s.

        ``after_work``: do the call for real first, then lose its answer (``status``, 502 by
        default, or ``drop`` the connection). ``drop`` alone: close before doing anything.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        if after_work and endpoint not in AFTER_WORK_ENDPOINTS:
            raise ValueError(
                f"after_work applies to {', '.join(AFTER_WORK_ENDPOINTS)}, not {endpoint!r}"
            )
        if drop and (status is not None or body is not None):
            raise ValueError("drop sends no answer: leave out status and body")
        if int(count) < 1:
            raise ValueError("count must be at least 1")
        if status is not None and not 100 <= int(status) <= 599:
            raise ValueError("status must be an HTTP status code")
        if float(hang) < 0:
            raise ValueError("hang must not be negative")
        if after_work and not drop and status is None:
            status = LOST_ANSWER_STATUS
        fault = Fault(
            endpoint,
            int(count),
            None if status is None else int(status),
            float(hang),
            body,
            content_type,
            bool(after_work),
            bool(drop),
        )
        with self._lock:
            self._queues[endpoint].append(fault)
        return fault

    def take(self, endpoint: str) -> Fault | None:
        """Use up one call of the oldest pending fault for ``endpoint``."""
        with self._lock:
            queue = self._queues[endpoint]
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return fault

    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for q in self._queues.values() for f in q)

    def wait(self, seconds: float) -> None:
        """Sleep for a hang, unless cancelled by clear()."""
        if seconds > 0:
            self._cancel.wait(seconds)

    def clear(self) -> None:
        """Drop all pending faults and wake every hanging request."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            old, self._cancel = self._cancel, threading.Event()
        old.set()
