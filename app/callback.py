"""The redirect back from ilert: parse it, check it, consume the stored attempt.

Checks, in order: an ``error`` (consent denied or other), a missing ``state``, a state
seen before (replay: back button), no stored attempt in this tab (opened elsewhere), a
state that does not match (forged or stale). The attempt is removed in every case, so a
verifier is used at most once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from app.address import CALLBACK_PARAMS, is_callback, parse_query, strip_callback_params
from app.errors import (
    AuthorizationError,
    CallbackReplayed,
    ConsentDenied,
    MissingVerifier,
    StateMismatch,
    StateMissing,
)
from app.storage import Storage, mark_state_used, state_was_used, take_attempt

# The address-bar helpers live in app.address (the entry point needs them before the rest).
__all__ = [
    "CALLBACK_PARAMS",
    "CallbackResult",
    "handle",
    "is_callback",
    "parse_query",
    "strip_callback_params",
]


@dataclass(frozen=True)
class CallbackResult:
    code: str
    verifier: str
    redirect_uri: str


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
