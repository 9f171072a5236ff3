"""The flow log: every step and HTTP exchange, with secrets redacted by one function.

Redaction happens when an entry is created, so nothing secret is ever held in the log,
shown, or copied: tokens, codes, verifiers, state, client secrets, passwords and
Authorization headers, by key name anywhere in nested data, plus anything that looks
like a JWT and the ``code``/``state`` parameters inside URLs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "code",
        "code_verifier",
        "verifier",
        "state",
        "client_secret",
        "password",
        "authorization",
        "cookie",
        "set-cookie",
        "integrationkey",  # an alert source's key lets anyone post alerts
    }
)
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
MAX_ENTRIES = 500


def _secret_key(key: object) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS


def redact_text(text: str) -> str:
    text = _BEARER_RE.sub(r"\1" + REDACTED, text)
    return _JWT_RE.sub(REDACTED, text)


def redact_url(url: str) -> str:
    """The URL with secret query parameters (code, state, tokens ...) replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if not parts.query:
        return redact_text(url)
    pairs = [
        (k, REDACTED if _secret_key(k) else redact_text(v))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    query = urlencode(pairs, safe="[]")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def redact(value: object) -> object:
    """A deep copy of ``value`` with every secret replaced by ``[redacted]``."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if _secret_key(k) and v not in (None, "") else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            return redact_url(value)
        return redact_text(value)
    return value


@dataclass(frozen=True)
class Entry:
    at: float
    kind: str  # "step", "http" or "error"
    title: str
    method: str = ""
    url: str = ""
    status: int | None = None
    duration_ms: float | None = None
    request: dict = field(default_factory=dict)
    response: dict = field(default_factory=dict)
    # Which step of the flow this entry is, for the sequence diagram (app.diagram.PHASES):
    # "authorize", "callback", "exchange", "api", "refresh", "token_info", "revoke"; "" lets
    # the diagram infer it (HTTP entries from their URL, older stored entries from their data).
    phase: str = ""

    def as_text(self) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at))
        if self.kind == "http":
            status = self.status if self.status else "no response"
            line = f"{stamp} {self.method} {self.url} → {status}"
            if self.duration_ms is not None:
                line += f" ({self.duration_ms:.0f} ms)"
        else:
            line = f"{stamp} {self.title}"
        first = "request" if self.kind == "http" else "details"
        for label, data in ((first, self.request), ("response", self.response)):
            if data:
                line += f"\n    {label}: {json.dumps(data, ensure_ascii=False, sort_keys=True)}"
        return line


class FlowLog:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.entries: list[Entry] = []
        self.clock = clock
        self.listeners: list[Callable[[Entry | None], None]] = []

    def _add(self, entry: Entry) -> Entry:
        self.entries.append(entry)
        del self.entries[:-MAX_ENTRIES]
        for listener in self.listeners:
            listener(entry)
        return entry

    def step(self, title: str, *, phase: str = "", **data: object) -> Entry:
        entry = Entry(self.clock(), "step", redact_text(title), request=redact(data), phase=phase)
        return self._add(entry)

    def error(self, title: str, *, phase: str = "", **data: object) -> Entry:
        entry = Entry(self.clock(), "error", redact_text(title), request=redact(data), phase=phase)
        return self._add(entry)

    def http(
        self,
        method: str,
        url: str,
        status: int | None,
        duration_ms: float | None,
        request: dict | None = None,
        response: dict | None = None,
        phase: str = "",
    ) -> Entry:
        return self._add(
            Entry(
                self.clock(),
                "http",
                "",
                method.upper(),
                redact_url(url),
                status,
                duration_ms,
                redact(request or {}),
                redact(response or {}),
                phase,
            )
        )

    def clear(self) -> None:
        self.entries.clear()
        for listener in self.listeners:
            listener(None)

    def as_text(self) -> str:
        return "\n".join(e.as_text() for e in self.entries)

    def as_dicts(self) -> list[dict]:
        return [asdict(e) for e in self.entries]
