"""The flow log: every step and HTTP exchange, with secrets redacted by one function.

Redaction happens when an entry is created, so nothing secret is ever held in the log,
shown, stored or copied. It goes by meaning, wherever the value appears (nested data,
query strings, fragments, form bodies, JSON held in strings, headers, free text):

- always secret: tokens (access, refresh, id; ``token`` as a form field), bearer and
  basic credentials, PKCE verifiers, ``state``, client secrets, passwords, cookies,
  alert-source integration keys, and anything shaped like a JWT;
- ``code`` is an authorization code in URLs, form bodies and callback parameters, and
  is redacted there; in an error body (``{"code": "UNAUTHORIZED", "message": ...}``,
  ilert's ``{"code": "invalid_grant", "error": ...}``) it is an error code and is shown.

The log is bounded: at most MAX_ENTRIES entries, each request/response part at most
MAX_PART_CHARS characters of JSON (longer ones are cut after redaction), and what is
stored at most MAX_STORED_CHARS characters (oldest entries dropped). Saving never raises.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.boot.keys import LOG_KEY
from app.core import safe_json

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "code_verifier",
        "verifier",
        "state",
        "client_secret",
        "client_assertion",
        "assertion",
        "device_code",
        "password",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "api_key",
        "apikey",
        "integrationkey",  # an alert source's key lets anyone post alerts
    }
)
# Keys that carry an authorization code in URLs, forms and callback parameters.
CODE_KEYS = frozenset({"code"})
# A dict with one of these is an OAuth request or callback: its `code` is a real code.
_OAUTH_CARRIER_KEYS = frozenset(
    {"state", "grant_type", "code_verifier", "redirect_uri", "client_id", "iss", "verifier"}
)
# A dict with one of these (and no carrier key) is an error body: its `code` is an error code.
_ERROR_KEYS = frozenset({"error", "message", "status", "error_description", "detail", "title"})
# Error codes are words: NOT_FOUND, invalid_grant, UNAUTHORIZED (never digits, unlike codes).
_ERROR_CODE_RE = re.compile(r"^[A-Za-z]+(?:[_.-][A-Za-z]+)*$")
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# Credentials after Bearer/Basic; not an auth-param such as `Bearer error="invalid_token"`.
_CREDENTIAL_RE = re.compile(
    r"(?i)\b(bearer|basic)(\s+)(?![A-Za-z][\w-]*\s*=\s*[\"A-Za-z])[A-Za-z0-9._~+/-]+=*"
)
_SECRET_NAMES = "|".join(re.escape(k) for k in sorted(SECRET_KEYS | CODE_KEYS, key=len)[::-1])
# name=value and "name": "value" pairs inside free text.
_PAIR_RE = re.compile(rf"(?i)(?<![\w-])((?:{_SECRET_NAMES})=)([^&\s\"'<>#;,]+)")
_JSON_PAIR_RE = re.compile(rf'(?i)("(?:{_SECRET_NAMES})"\s*:\s*)"((?:[^"\\]|\\.)*)"')
_URL_RE = re.compile(r"https?://[^\s\"'<>]+")
# a=1&b=2 with form-encoded values (a "=" inside a value is %3D; "abc==" is base64, not a form)
_FORM_RE = re.compile(r"^[A-Za-z_][\w.-]*=[^\s&=]*(?:&[A-Za-z_][\w.-]*=[^\s&=]*)*$")

MAX_ENTRIES = 500
MAX_PART_CHARS = 8_000  # a request or response part of one entry, as JSON
MAX_TITLE_CHARS = 1_000
MAX_STORED_CHARS = 400_000  # the stored log (sessionStorage holds ~5 M characters in all)


def _secret_key(key: object) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS


def _is_error_code(data: dict, key: str) -> bool:
    """Whether ``data[key]`` (a ``code``) is an API/OAuth error code, shown as is."""
    value = data[key]
    if not isinstance(value, str):
        return True  # numbers (HTTP-style codes) are never authorization codes
    names = {k.lower() for k in data if isinstance(k, str)}
    return (
        bool(names & _ERROR_KEYS)
        and not names & _OAUTH_CARRIER_KEYS
        and len(value) <= 64
        and bool(_ERROR_CODE_RE.match(value))
    )


def _json_pair(match: re.Match) -> str:
    name = match.group(1).split('"')[1].lower()
    if name in CODE_KEYS and _ERROR_CODE_RE.match(match.group(2)):
        return match.group(0)  # "code": "NOT_FOUND" in a cut-off error body
    return match.group(1) + f'"{REDACTED}"'


def redact_text(text: str) -> str:
    """Free text: credentials, JWTs, secret ``name=value`` / ``"name": "value"`` pairs, URLs."""
    text = _URL_RE.sub(lambda m: _redact_url_only(m.group(0)), text)
    text = _CREDENTIAL_RE.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    text = _PAIR_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JSON_PAIR_RE.sub(_json_pair, text)
    return _JWT_RE.sub(REDACTED, text)


def _redact_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (k, REDACTED if _secret_key(k) or k.lower() in CODE_KEYS else redact_text(v))
        for k, v in pairs
    ]


def _redact_query(query: str) -> str:
    if "=" not in query:
        return redact_text(query)
    pairs = _redact_pairs(parse_qsl(query, keep_blank_values=True))
    return urlencode(pairs, safe="[]")


def _redact_url_only(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return _JWT_RE.sub(REDACTED, url)
    query = _redact_query(parts.query) if parts.query else ""
    fragment = _redact_query(parts.fragment) if parts.fragment else ""
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
    path = _JWT_RE.sub(REDACTED, parts.path)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def redact_url(url: str) -> str:
    """The URL with secret query/fragment parameters (code, state, tokens ...) replaced."""
    return _redact_url_only(url)


def redact_form(body: str) -> str:
    """A form body (``a=1&b=2``): code, verifier, tokens, secrets replaced."""
    return urlencode(_redact_pairs(parse_qsl(body, keep_blank_values=True)), safe="[]")


def _redact_string(value: str) -> str:
    stripped = value.strip()
    if stripped.startswith(("http://", "https://")) and not any(c.isspace() for c in stripped):
        return redact_url(stripped)
    if stripped[:1] in ("{", "["):
        try:
            parsed = safe_json.loads(stripped)
        except safe_json.Junk:
            return redact_text(value)
        return json.dumps(redact(parsed), ensure_ascii=False)
    if "=" in stripped and _FORM_RE.match(stripped):
        return redact_form(stripped)
    return redact_text(value)


def redact(value: object, _depth: int = 0) -> object:
    """A deep copy of ``value`` with every secret replaced by ``[redacted]``."""
    if _depth > 50:  # hostile nesting: nothing that deep is worth showing
        return REDACTED
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            name = k.lower() if isinstance(k, str) else ""
            if v in (None, ""):
                out[k] = v
            elif _secret_key(k) or (name in CODE_KEYS and not _is_error_code(value, k)):
                out[k] = REDACTED
            else:
                out[k] = redact(v, _depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(v, _depth + 1) for v in value]
    if isinstance(value, str):
        return _redact_string(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))


def _bounded(data: dict, limit: int = MAX_PART_CHARS) -> dict:
    """``data`` itself, or a short stand-in when its JSON is longer than ``limit``."""
    try:
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return {"unprintable": type(data).__name__}
    if len(text) <= limit:
        return data
    return {"truncated": f"{len(text)} characters, first {limit} shown", "start": text[:limit]}


def _title(text: str) -> str:
    text = redact_text(text)
    return text if len(text) <= MAX_TITLE_CHARS else text[:MAX_TITLE_CHARS] + "…"


_KINDS = ("step", "http", "error")


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
    # Which step of the flow this entry is, for the sequence diagram (app.core.diagram.PHASES):
    # "authorize", "callback", "exchange", "api", "refresh", "token_info", "revoke"; "" lets
    # the diagram infer it (HTTP entries from their URL, older stored entries from their data).
    phase: str = ""

    @classmethod
    def from_dict(cls, data: object) -> Entry | None:
        """An entry read back from storage (untrusted): None unless well-formed."""
        if not isinstance(data, dict):
            return None
        try:
            at = float(data["at"])
            kind, title = data["kind"], data["title"]
            method, url = data.get("method", ""), data.get("url", "")
            status, duration = data.get("status"), data.get("duration_ms")
            request, response = data.get("request", {}), data.get("response", {})
        except (KeyError, TypeError, ValueError):
            return None
        if (
            not 0 <= at < 1e11  # a time as_text can format (also rules out nan and inf)
            or kind not in _KINDS
            or not all(isinstance(s, str) for s in (title, method, url))
            or not (status is None or (isinstance(status, int) and not isinstance(status, bool)))
            or not (duration is None or isinstance(duration, (int, float)))
            or not isinstance(request, dict)
            or not isinstance(response, dict)
        ):
            return None
        phase = data.get("phase", "")
        phase = phase if isinstance(phase, str) else ""
        return cls(at, kind, title, method, url, status, duration, request, response, phase[:20])

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


def _entry_json(entry: Entry) -> str:
    return json.dumps(asdict(entry), separators=(",", ":"), ensure_ascii=False)


class FlowLog:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.entries: list[Entry] = []
        self.clock = clock
        self.listeners: list[Callable[[Entry | None], None]] = []
        self._json: dict[int, str] = {}  # id(entry) -> its JSON, so save() is not O(n²)

    def _add(self, entry: Entry) -> Entry:
        self.entries.append(entry)
        del self.entries[:-MAX_ENTRIES]
        for listener in self.listeners:
            listener(entry)
        return entry

    def _data(self, data: object) -> dict:
        cleaned = redact(data or {})
        return _bounded(cleaned if isinstance(cleaned, dict) else {"value": cleaned})

    def step(self, title: str, *, phase: str = "", **data: object) -> Entry:
        entry = Entry(self.clock(), "step", _title(title), request=self._data(data), phase=phase)
        return self._add(entry)

    def error(self, title: str, *, phase: str = "", **data: object) -> Entry:
        entry = Entry(self.clock(), "error", _title(title), request=self._data(data), phase=phase)
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
                method.upper()[:20],
                _title(redact_url(url)),
                status,
                duration_ms,
                self._data(request),
                self._data(response),
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

    # --- storage (sessionStorage in the browser) ------------------------------------------

    def save(self, store: object, key: str = LOG_KEY, max_chars: int = MAX_STORED_CHARS) -> int:
        """Store the newest entries that fit in ``max_chars``; how many were stored.

        Never raises: when the store refuses, fewer entries are tried (halving), and at
        last the stored copy is removed (0). Save the tokens before calling this.
        """
        texts = [self._json.get(id(e)) or _entry_json(e) for e in self.entries]
        self._json = dict(zip((id(e) for e in self.entries), texts, strict=True))
        keep, total = 0, 2
        for text in reversed(texts):
            if total + len(text) + 1 > max_chars:
                break
            total += len(text) + 1
            keep += 1
        while True:
            payload = "[" + ",".join(texts[len(texts) - keep :]) + "]"
            try:
                if store.set(key, payload) is not False:
                    return keep
            except Exception:
                pass
            if keep == 0:
                with contextlib.suppress(Exception):
                    store.remove(key)
                return 0
            keep //= 2

    def restore(self, store: object, key: str = LOG_KEY) -> int:
        """Append the entries stored by save() (validated; bad ones skipped); how many."""
        try:
            raw = store.get(key)
            data = safe_json.loads(raw, MAX_STORED_CHARS) if raw is not None else None
        except Exception:
            return 0
        if not isinstance(data, list):
            return 0
        found = [e for e in (Entry.from_dict(item) for item in data) if e is not None]
        self.entries.extend(found)
        del self.entries[:-MAX_ENTRIES]
        return len(found)
