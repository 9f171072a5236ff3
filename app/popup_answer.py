"""A popup's answer as the opener checks it (pure; tested in CPython; see app.popup).

The names are shared with static/boot.js, which hands the answer over (keep them in step).
"""

from __future__ import annotations

import hashlib
import hmac

from app.address import parse_query

STATE_PREFIX = "popup."  # marks a popup sign-in's state ("." is not in the random part)
MESSAGE_TYPE = "ilert-pkce:popup-callback"  # postMessage popup -> opener: {type, url}
CLAIMED_TYPE = "ilert-pkce:popup-claimed"  # postMessage opener -> popup: {type}
CHANNEL = "ilert-pkce:popup"  # BroadcastChannel: offer {id, state_hash} / claim / callback / done
MAX_URL = 4096  # a callback URL longer than this is not ours


def state_hash(state: str) -> str:
    """What the popup offers on the channel: the state itself stays in the popup."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


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
