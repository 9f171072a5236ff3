"""What tabs of one session tell each other, as checked values (pure; tested in CPython).

Tabs of the same origin hear each other on a ``BroadcastChannel`` (``app.tabs``). Many sites
can share one origin on a static host, so everything heard there is untrusted: a message is
a JSON string of at most ``MAX_MESSAGE`` characters with exactly the expected fields, or it
is ignored.

A session is named by a hash of its refresh token (``session_id``): knowing the name does not
give the token, and only a tab holding that token can compute it. Messages never carry a
token in clear. After a refresh the new token set goes to the other tabs of the session
*encrypted* (AES-GCM, in ``app.tabs``) under a key derived from the old refresh token
(``transfer_key``): a tab that held it can read the new tokens, any other listener on the
origin learns nothing it did not already hold.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from app import safe_json

CHANNEL = "ilert-pkce:tabs"  # app-specific: other apps on the same origin use other names
REFRESH_LOCK = "ilert-pkce:refresh"  # Web Locks name: one refresh at a time across tabs
SIGNED_OUT = "signed_out"
ROTATED = "rotated"
MAX_MESSAGE = 16_000
MAX_IDS = 20
IV_BYTES = 12
_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def session_id(token: str) -> str:
    """The public name of a session: a hash of its refresh (or, without one, access) token."""
    return hashlib.sha256(b"ilert-pkce session\0" + token.encode("utf-8")).hexdigest()[:32]


def transfer_key(refresh_token: str) -> bytes:
    """256-bit AES key for handing the next token set to tabs holding ``refresh_token``."""
    return hashlib.sha256(b"ilert-pkce tab key\0" + refresh_token.encode("utf-8")).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signed_out(ids: list[str]) -> str:
    return json.dumps({"type": SIGNED_OUT, "ids": ids[-MAX_IDS:]})


def rotated(sid: str, iv: bytes, sealed: bytes) -> str:
    return json.dumps({"type": ROTATED, "id": sid, "iv": _b64(iv), "sealed": _b64(sealed)})


def _unb64(value: object, max_len: int) -> bytes | None:
    if not isinstance(value, str) or len(value) > max_len:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse(raw: object) -> dict | None:
    """A checked message, or None. ``ids``: list of session ids; ``iv``/``sealed``: bytes."""
    data = safe_json.loads_or_none(raw, MAX_MESSAGE, max_depth=2)
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if kind == SIGNED_OUT and set(data) == {"type", "ids"}:
        ids = data["ids"]
        if not isinstance(ids, list) or not 0 < len(ids) <= MAX_IDS:
            return None
        if not all(isinstance(i, str) and _ID_RE.match(i) for i in ids):
            return None
        return {"type": SIGNED_OUT, "ids": list(ids)}
    if kind == ROTATED and set(data) == {"type", "id", "iv", "sealed"}:
        sid = data["id"]
        iv = _unb64(data["iv"], 32)
        sealed = _unb64(data["sealed"], MAX_MESSAGE)
        if not isinstance(sid, str) or not _ID_RE.match(sid) or iv is None or sealed is None:
            return None
        if len(iv) != IV_BYTES or not sealed:
            return None
        return {"type": ROTATED, "id": sid, "iv": iv, "sealed": sealed}
    return None
