"""What tabs of one session tell each other, as checked values (pure; tested in CPython).

Tabs of the same origin hear each other on a ``BroadcastChannel`` (``app.browser.tabs``). Many sites
can share one origin on a static host, so everything heard there is untrusted: a message is
a JSON string of at most ``MAX_MESSAGE`` characters with exactly the expected fields, or it
is ignored.

A session is named by a hash of its refresh token (``session_id``): knowing the name does not
give the token, and only a tab holding that token can compute it. Messages never carry a
token in clear. After a refresh the new token set goes to the other tabs of the session
*encrypted* (AES-GCM, in ``app.browser.tabs``) under a key derived from the old refresh token
(``transfer_key``): a tab that held it can read the new tokens, any other listener on the
origin learns nothing it did not already hold. A sign-out is sealed the same way (under the
key of each of the session's tokens, with its own associated data and the time it was
sent): the names alone, which every listener hears, cannot end anybody's session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from app.core import safe_json

CHANNEL = "ilert-pkce:tabs"  # app-specific: other apps on the same origin use other names
REFRESH_LOCK = "ilert-pkce:refresh"  # Web Locks name: one refresh at a time across tabs
SIGNED_OUT = "signed_out"
ROTATED = "rotated"
MAX_MESSAGE = 16_000
MAX_IDS = 20
IV_BYTES = 12
MAX_DEPTH = 3  # {"seals": [{...}]}: anything deeper is not a message of ours
SIGN_OUT_MAX_AGE_S = 60.0  # a sealed sign-out heard later than this is a replay
_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def session_id(token: str) -> str:
    """The public name of a session: a hash of its refresh (or, without one, access) token."""
    return hashlib.sha256(b"ilert-pkce session\0" + token.encode("utf-8")).hexdigest()[:32]


def transfer_key(refresh_token: str) -> bytes:
    """256-bit AES key for handing the next token set to tabs holding ``refresh_token``."""
    return hashlib.sha256(b"ilert-pkce tab key\0" + refresh_token.encode("utf-8")).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signed_out(seals: list[tuple[str, bytes, bytes]]) -> str:
    """A sign-out for the sessions named, each part sealed under that session's key."""
    parts = [{"id": sid, "iv": _b64(iv), "sealed": _b64(blob)} for sid, iv, blob in seals]
    return json.dumps({"type": SIGNED_OUT, "seals": parts[-MAX_IDS:]})


def sign_out_aad(sid: str) -> bytes:
    """Associated data of a sealed sign-out: never valid as a hand-over, nor the reverse."""
    return b"ilert-pkce signed_out\0" + sid.encode("ascii")


def sign_out_plain(now: float) -> bytes:
    """What a sign-out seals: when it was sent (an old one replayed later is refused)."""
    return json.dumps({"signed_out": round(now, 3)}).encode("ascii")


def sign_out_fresh(plain: bytes, now: float) -> bool:
    """Whether an opened sign-out was sent within ``SIGN_OUT_MAX_AGE_S`` of ``now``."""
    data = safe_json.loads_or_none(plain, 100, max_depth=1)
    sent = data.get("signed_out") if isinstance(data, dict) else None
    if not isinstance(sent, (int, float)) or isinstance(sent, bool):
        return False
    return abs(now - sent) <= SIGN_OUT_MAX_AGE_S


def rotated(sid: str, iv: bytes, sealed: bytes) -> str:
    return json.dumps({"type": ROTATED, "id": sid, "iv": _b64(iv), "sealed": _b64(sealed)})


def unb64(value: object, max_len: int) -> bytes | None:
    if not isinstance(value, str) or len(value) > max_len:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse(raw: object) -> dict | None:
    """A checked message, or None. ``ids``: list of session ids; ``iv``/``sealed``: bytes."""
    data = safe_json.loads_or_none(raw, MAX_MESSAGE, max_depth=MAX_DEPTH)
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if kind == SIGNED_OUT and set(data) == {"type", "seals"}:
        parts = data["seals"]
        if not isinstance(parts, list) or not 0 < len(parts) <= MAX_IDS:
            return None
        seals = [_seal(part) for part in parts]
        if any(seal is None for seal in seals):
            return None
        return {"type": SIGNED_OUT, "seals": seals}
    if kind == ROTATED and set(data) == {"type", "id", "iv", "sealed"}:
        seal = _seal({k: data[k] for k in ("id", "iv", "sealed")})
        if seal is None:
            return None
        return {"type": ROTATED, "id": seal[0], "iv": seal[1], "sealed": seal[2]}
    return None


def _seal(part: object) -> tuple[str, bytes, bytes] | None:
    """``{id, iv, sealed}`` checked: (session id, 12-byte IV, non-empty ciphertext)."""
    if not isinstance(part, dict) or set(part) != {"id", "iv", "sealed"}:
        return None
    sid = part["id"]
    iv = unb64(part["iv"], 32)
    sealed = unb64(part["sealed"], MAX_MESSAGE)
    if not isinstance(sid, str) or not _ID_RE.match(sid) or iv is None or sealed is None:
        return None
    if len(iv) != IV_BYTES or not sealed:
        return None
    return sid, iv, sealed
