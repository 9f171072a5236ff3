"""Decode a JWT's header and payload for display only.

The client cannot and does not verify the signature (ilert publishes no key), so the
page always says "not verified by this client". Tokens are untrusted input: any JSON
(arrays, huge numbers, deep nesting, odd ``exp``) gives an error or a raw value, never a
crash.
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass, field

from app.core import safe_json

CLAIM_WORDS = {
    "il_s": "granted scope",
    "il_u": "username",
    "il_t": "token type",
    "il_v": "format version",
    "il_a": "app id",
    "il_n": "(undocumented by ilert)",
    "iss": "issuer",
    "exp": "expires",
    "iat": "issued at",
    "nbf": "not before",
}
TIME_CLAIMS = frozenset({"exp", "iat", "nbf"})
MAX_VALUE_CHARS = 2_000  # a claim's value as shown


@dataclass(frozen=True)
class Decoded:
    header: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)
    error: str = ""


def _part(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    data = safe_json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def decode(token: object) -> Decoded:
    if not isinstance(token, str) or token.count(".") != 2:
        return Decoded(error="not a JWT (the token is opaque)")
    head, body, _sig = token.split(".")
    try:
        return Decoded(_part(head), _part(body))
    except (ValueError, UnicodeError, TypeError, RecursionError) as exc:
        # binascii.Error is a ValueError; RecursionError: absurdly nested JSON
        return Decoded(error=f"could not decode the token ({type(exc).__name__})")


def _text(value: object) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def format_time(value: object) -> str:
    """A NumericDate as ``<raw> (YYYY-MM-DD HH:MM:SS UTC)``; the raw value when it is none."""
    raw = _text(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return raw
    if not math.isfinite(value):
        return raw
    try:
        return f"{raw} ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(value))})"
    except (OverflowError, OSError, ValueError):  # far outside what the platform's time handles
        return raw


def claim_rows(payload: object) -> list[tuple[str, str, str]]:
    """(claim, meaning, value as text) rows; times (``exp``...) shown as UTC as well.

    A payload that is not an object gives one row with its raw value.
    """
    if not isinstance(payload, dict):
        return [("(payload)", "not a JSON object", _text(payload))]
    rows = []
    for key, value in payload.items():
        name = str(key)
        text = format_time(value) if name in TIME_CLAIMS else _text(value)
        rows.append((name, CLAIM_WORDS.get(name, ""), text))
    return rows
