"""Decode a JWT's header and payload for display only.

The client cannot and does not verify the signature (ilert publishes no key), so the
page always says "not verified by this client". Garbage in gives an error, not a crash.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field

CLAIM_WORDS = {
    "il_s": "granted scope",
    "il_u": "username",
    "il_t": "token type",
    "il_v": "format version",
    "il_a": "app id",
    "il_n": "(undocumented by ilert)",
    "iss": "issuer",
    "exp": "expires",
}


@dataclass(frozen=True)
class Decoded:
    header: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)
    error: str = ""


def _part(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def decode(token: object) -> Decoded:
    if not isinstance(token, str) or token.count(".") != 2:
        return Decoded(error="not a JWT (the token is opaque)")
    head, body, _sig = token.split(".")
    try:
        return Decoded(_part(head), _part(body))
    # binascii.Error is a ValueError; deeply nested JSON is a RecursionError
    except (ValueError, UnicodeError, TypeError, RecursionError) as exc:
        return Decoded(error=f"could not decode the token ({type(exc).__name__})")


def _utc(seconds: float) -> str:
    """A UTC time, or a note when the number is no time a computer can show (any JSON
    number may arrive: 1e300, -1e20)."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):
        return "not a valid time"


def claim_rows(payload: dict) -> list[tuple[str, str, str]]:
    """(claim, meaning, value as text) rows; ``exp`` shown as a UTC time as well."""
    rows = []
    for key, value in payload.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if key == "exp" and isinstance(value, (int, float)) and not isinstance(value, bool):
            text = f"{value} ({_utc(value)})"
        rows.append((str(key), CLAIM_WORDS.get(key, ""), str(text)))
    return rows
