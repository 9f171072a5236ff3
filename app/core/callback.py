"""The redirect back from the server: parse it, check it, consume the stored attempt.

Only an answer to this tab's own sign-in speaks for the server. An answer whose ``state``
matches no attempt of this tab (a crafted link, an old bookmark), with a ``code`` or an
``error`` alike, consumes nothing: a sign-in under way stays intact. An ``error`` of that
kind is ignored with a neutral note (its text never shown); a ``code`` is refused with a
warning (missing or mismatched state, or no sign-in in this tab).

Checks, in order: a state seen before (replay: back button); a missing ``state``, no stored
attempt in this tab (opened elsewhere) or a state that does not match (forged or stale);
then, the answer being ours, the attempt is removed (a verifier is used at most once) and
``iss`` is checked (RFC 9207) before any exchange: when present it must be an issuer the
sign-in's server may use (``accepted_issuers``), and a code answer must carry it when that
server says it always sends one.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from app.core.errors import (
    AuthorizationError,
    CallbackReplayed,
    ConfigError,
    ConsentDenied,
    IgnoredCallback,
    IssuerMismatch,
    IssuerMissing,
    MissingVerifier,
    StateMismatch,
    StateMissing,
)
from app.core.storage import (
    Attempt,
    Storage,
    mark_state_used,
    peek_attempt,
    state_was_used,
    take_attempt,
)
from app.core.urls import ISS_REQUIRED, Endpoints, SettingsError, ilert_layout, origin


@dataclass(frozen=True)
class CallbackResult:
    code: str
    verifier: str
    redirect_uri: str
    # The server the sign-in was started with (None when the attempt did not record it):
    # exchange the code there, and bind the session to it.
    endpoints: Endpoints | None = None


_NOWHERE = Endpoints("-", "", "")  # no server known: no issuer accepted, none required


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _recorded(attempt: Attempt) -> Endpoints | None:
    if attempt.endpoints is None:
        return None
    try:
        return Endpoints.from_dict(attempt.endpoints)
    except SettingsError as exc:  # tampered with in storage
        raise ConfigError(exc.problems) from None


def accepted_issuers(endpoints: Endpoints) -> tuple[str, ...]:
    """The ``iss`` values an answer from this server may carry (RFC 9207 §2.4).

    The configured issuer, exactly. ilert publishes none, so on ilert's layout (the presets,
    the emulator) the issuer is taken to be the authorization server's origin, where the
    sign-in was sent (``https://app.ilert.com``, a tenant's host, the emulator), with or
    without a trailing slash. Another server without a configured issuer: none (the
    client cannot tell whose answer it is).
    """
    if endpoints.issuer:
        return (endpoints.issuer,)
    where = origin(endpoints.authorize) if ilert_layout(endpoints) else ""
    return (where, where + "/") if where else ()


def check_issuer(params: dict[str, str], endpoints: Endpoints, code: bool = True) -> None:
    """RFC 9207 §2.4: an ``iss`` on the answer must be one of ``accepted_issuers`` exactly.

    A code answer without ``iss`` is refused when the server says it always sends one
    (ilert sends none). An error answer without one is taken as it is: it ends the attempt
    either way and sends nothing anywhere, and some servers that send ``iss`` with codes
    leave it out there (django-oauth-toolkit on a denied consent).
    """
    if "iss" not in params:
        if code and endpoints.issuer and endpoints.iss_parameter == ISS_REQUIRED:
            raise IssuerMissing(endpoints.issuer)
        return
    accepted = accepted_issuers(endpoints)
    if not any(_same(params["iss"], value) for value in accepted):
        raise IssuerMismatch(params["iss"], accepted[0] if accepted else "")


def handle(
    params: dict[str, str], storage: Storage, fallback: Endpoints | None = None
) -> CallbackResult:
    """Validate a callback and return the code with its verifier; raise a CallbackError.

    ``fallback`` (the current settings' server) is used when the attempt recorded no
    endpoints; recorded ones win. Without either, an ``iss`` is refused.
    Raises IgnoredCallback for an error answer that is not ours (nothing consumed),
    IssuerMismatch, IssuerMissing, ConsentDenied, AuthorizationError, StateMissing,
    CallbackReplayed, MissingVerifier, StateMismatch; ConfigError when the recorded
    endpoints are invalid.
    """
    state = params.get("state", "")
    if state and state_was_used(storage, state):
        raise CallbackReplayed()  # handled before; a sign-in under way is left alone
    attempt = peek_attempt(storage)
    if not state or attempt is None or not _same(attempt.state, state):
        # Not the answer to this tab's sign-in under way (a crafted link, an old one):
        # nothing is consumed, so a sign-in under way can still finish.
        if "error" in params:  # its text is not the server's word: not shown
            raise IgnoredCallback("no_state" if not state else "unknown_state")
        if not state:
            raise StateMissing()
        if attempt is None:
            raise MissingVerifier()
        raise StateMismatch()
    # Ours: whatever happens now, this attempt is over (a verifier is used at most once).
    take_attempt(storage)
    mark_state_used(storage, state)
    endpoints = _recorded(attempt)
    check_issuer(params, endpoints or fallback or _NOWHERE, code="error" not in params)
    if "error" in params:
        description = params.get("error_description", "")
        if params["error"] == "access_denied":
            raise ConsentDenied(description)
        raise AuthorizationError(params["error"], description)
    code = params.get("code", "")
    if not code:
        raise AuthorizationError("invalid_request", "the answer carried no code")
    return CallbackResult(code, attempt.verifier, attempt.redirect_uri, endpoints)
