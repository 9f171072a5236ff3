"""HTTP as plain values: a request to send, a response received, and the transport interface.

Nothing here does I/O. The protocol core (``app.core.protocol``) builds ``HttpRequest`` values and
reads ``HttpResponse`` values; a transport (``app.native.transport`` in CPython,
``app.browser.fetch`` in the browser) is the only thing that talks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.core import safe_json

DEFAULT_TIMEOUT = 15.0  # seconds; a setting in the page


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    # Read at most this many bytes of the answer (None: all); more is ResponseTooLarge.
    max_bytes: int | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""
    elapsed_ms: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_json(self) -> bool:
        ct = self.content_type
        return ct == "application/json" or ct.endswith("+json")

    def json_or_none(self) -> object | None:
        """The body parsed as JSON, or None when it is empty or not JSON (the one parser)."""
        if not self.body.strip():
            return None
        try:
            # Any server's answer: capped in size and nesting like stored values.
            return safe_json.loads(self.body, max_chars=20_000_000, max_depth=64)
        except safe_json.Junk:
            return None


class Transport(Protocol):
    """Send one request; return any HTTP answer (2xx–5xx alike).

    Raises ``app.core.errors.NetworkError`` (or its ``Timeout``) when no answer came, and lets
    ``asyncio.CancelledError`` through when the caller cancelled (the request is aborted).
    """

    async def send(
        self, request: HttpRequest, timeout: float = DEFAULT_TIMEOUT
    ) -> HttpResponse: ...
