"""The redirect back from ilert: parse it, check it, consume the stored attempt.

Checks, in order: an ``error`` (consent denied or other), a missing ``state``, a state
seen before (replay: back button), no stored attempt in this tab (opened elsewhere), a
state that does not match (forged or stale). The attempt is removed in every case, so a
verifier is used at most once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs

from app.errors import (
    AuthorizationError,
    CallbackReplayed,
    ConsentDenied,
    MissingVerifier,
    StateMismatch,
    StateMissing,
)
from app.storage import Storage, mark_state_used, state_was_used, take_attempt

# Query parameters that belong to the OAuth redirect (removed from the address bar).
CALLBACK_PARAMS = ("code", "state", "error", "error_description", "error_uri", "iss")


@dataclass(frozen=True)
class CallbackResult:
    code: str
    verifier: str
    redirect_uri: str


def parse_query(query: str) -> dict[str, str]:
    """First value of each parameter; a leading ``?`` is fine."""
    parsed = parse_qs(query.lstrip("?"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def is_callback(params: dict[str, str]) -> bool:
    return any(k in params for k in ("code", "error", "state"))


def handle(params: dict[str, str], storage: Storage) -> CallbackResult:
    """Validate a callback and return the code with its verifier; raise a CallbackError."""
    state = params.get("state", "")
    if "error" in params:
        # Whatever happened, this attempt is over.
        take_attempt(storage)
        if state:
            mark_state_used(storage, state)
        description = params.get("error_description", "")
        if params["error"] == "access_denied":
            raise ConsentDenied(description)
        raise AuthorizationError(params["error"], description)
    if not state:
        take_attempt(storage)
        raise StateMissing()
    if state_was_used(storage, state):
        raise CallbackReplayed()
    attempt = take_attempt(storage)
    if attempt is None:
        raise MissingVerifier()
    if not hmac.compare_digest(attempt.state.encode(), state.encode()):
        raise StateMismatch()
    mark_state_used(storage, state)
    code = params.get("code", "")
    if not code:
        raise AuthorizationError("invalid_request", "the answer from ilert carried no code")
    return CallbackResult(code, attempt.verifier, attempt.redirect_uri)


def strip_callback_params(query: str) -> str:
    """The query without the OAuth parameters (for history.replaceState), '' or '?...'."""
    from urllib.parse import urlencode

    params = parse_qs(query.lstrip("?"), keep_blank_values=True)
    kept = [(k, v) for k, vals in params.items() if k not in CALLBACK_PARAMS for v in vals]
    return "?" + urlencode(kept) if kept else ""
