"""Run a coroutine to completion from a synchronous test.

``asyncio.run`` refuses to start while another event loop runs in the thread, and
Playwright's sync API keeps one running in the main thread for the rest of the session once
an end-to-end test has used it. So each coroutine gets a fresh loop in a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
