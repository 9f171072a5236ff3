"""What ``server.py`` hands to its handlers, so that no handler imports ``server``.

``server.Emulator`` imports every handler module (``oauth``, ``authorize``, ``api``,
``admin``) to route requests to them. If the handlers named ``Emulator`` in return, even
only for type hints, the modules would form a circle in which each one could reach
everything. Instead each side of the boundary is spelled out here, with only what the
handlers really use:

- ``RequestContext``: the collaborators a request handler works on (OAuth endpoints,
  sign-in pages, REST API). ``server`` builds one per request under its lock, so a handler
  cannot reach the test API, the faults or the lock itself.
- ``Controls``: the emulator's Python test API, which the ``/_emulator/`` endpoints
  (``admin``) and the tests' ``testing.EmulatorFixture`` drive. ``Emulator`` satisfies it
  as it is (a ``Protocol``: structural, nothing to inherit).

This module imports no handler and no ``server``; see tests/emulator/test_emu_imports.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .clock import Clock
from .faults import Faults
from .ratelimit import RateLimiter
from .state import Modes, State
from .tokens import TokenService


@dataclass(frozen=True)
class RequestContext:
    """The collaborators of one request's handler; valid while the emulator's lock is held.

    ``state`` and ``modes`` are replaced wholesale by ``reset()`` (under the same lock), so
    a context is built afresh for each request and never kept.
    """

    state: State  # tenant data, apps, codes, pending sign-ins, browser sessions
    clock: Clock
    tokens: TokenService
    modes: Modes  # oauth: strict rotation, required redirect_uri
    rate_limiter: RateLimiter  # api: 429s


@runtime_checkable
class Controls(Protocol):
    """The test API of a running emulator (``server.Emulator``), as the admin endpoints
    and the tests' fixture use it; docstrings of the methods are on ``Emulator``."""

    lock: threading.RLock
    state: State
    modes: Modes
    clock: Clock
    faults: Faults
    rate_limiter: RateLimiter
    demo_client_id: str

    def add_app_url(self, url: str, client_id: str | None = None, keep: bool = True) -> None: ...

    def revoke_grants(
        self, username: str, client_id: str | None = None, access_tokens: bool = False
    ) -> int: ...

    def set_modes(
        self, strict_rotation: bool | None = None, require_redirect_uri: bool | None = None
    ) -> Modes: ...

    def set_rate_limit(self, limit: int) -> None: ...

    def set_data(self, data: dict[str, Any]) -> None: ...

    def reset(self) -> None: ...

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None,
        username: str = "alice",
        state: str | None = None,
    ) -> str: ...
