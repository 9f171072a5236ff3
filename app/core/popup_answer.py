"""A popup's answer as the opener checks it (pure; tested in CPython; see app.browser.popup).

The names are shared with static/boot.js, which hands the answer over (keep them in step).
"""

from __future__ import annotations

import hashlib
import hmac

from app.boot.address import parse_query
from app.core.tab_messages import IV_BYTES, unb64

STATE_PREFIX = "popup."  # marks a popup sign-in's state ("." is not in the random part)
MESSAGE_TYPE = "ilert-pkce:popup-callback"  # postMessage popup -> opener: {type, url}
CLAIMED_TYPE = "ilert-pkce:popup-claimed"  # postMessage opener -> popup: {type}
# BroadcastChannel: offer {id, state_hash} / claim {id, proof} / callback {id, iv, sealed} /
# done {id, proof}. Every window of the origin hears it: only a hash of the state is offered,
# the claim and done prove knowledge of the state, and the callback URL travels sealed
# (AES-GCM) under a key derived from the state, which only the popup and its opener hold.
CHANNEL = "ilert-pkce:popup"
MAX_URL = 4096  # a callback URL longer than this is not ours
MAX_SEALED = 8192  # base64 of a sealed callback URL


def state_hash(state: str) -> str:
    """What the popup offers on the channel: the state itself stays in the popup."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def answer_key(state: str) -> bytes:
    """The AES-256 key that seals the callback URL on the channel (not the offered hash)."""
    return hashlib.sha256(b"ilert-pkce popup key\0" + state.encode("utf-8")).digest()


def proof(state: str, ident: str, kind: str) -> str:
    """A ``claim`` or ``done`` for hand-over ``ident`` from the window that holds ``state``."""
    text = f"ilert-pkce popup {kind}\0{state}\0{ident}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sealed_callback(iv: object, sealed: object) -> tuple[bytes, bytes] | None:
    """The (IV, ciphertext) of a sealed callback message; None unless well-formed."""
    iv_bytes, blob = unb64(iv, 32), unb64(sealed, MAX_SEALED)
    if iv_bytes is None or blob is None or len(iv_bytes) != IV_BYTES or not blob:
        return None
    return iv_bytes, blob


def callback_params(url: object, origin: str, expected_state: str) -> dict[str, str] | None:
    """The query of a callback URL on ``origin`` carrying ``expected_state``; else None.

    Untrusted input: anything but a string URL of this origin with exactly the expected
    state (compared in constant time) and a ``code`` or ``error`` is refused.
    """
    if not isinstance(url, str) or len(url) > MAX_URL or not url.startswith(origin + "/"):
        return None
    query = url.split("?", 1)[1].split("#", 1)[0] if "?" in url else ""
    params = parse_query(query)
    state = params.get("state", "")
    if not state or not hmac.compare_digest(state.encode(), expected_state.encode()):
        return None
    if "code" not in params and "error" not in params:
        return None
    return params
