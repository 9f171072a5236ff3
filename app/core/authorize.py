"""The authorization request: a fresh verifier and state per attempt, and the URL."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode

from app.core import pkce
from app.core.errors import AttemptNotStored, ConfigError
from app.core.settings import Settings, validate
from app.core.storage import Attempt, Storage, save_attempt


def new_state(prefix: str = "") -> str:
    """192 random bits, URL-safe: unguessable, so a forged callback cannot match it.

    ``prefix`` marks how the answer comes back (``"popup."`` for a popup sign-in, see
    app.browser.popup); it is public, the random part is what makes the state unguessable.
    """
    return prefix + secrets.token_urlsafe(24)


def build_url(settings: Settings, redirect_uri: str, state: str, challenge: str) -> str:
    query = urlencode(
        {
            "client_id": settings.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": " ".join(settings.scope.split()),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        quote_via=_quote,
    )
    return f"{settings.authorize_endpoint()}?{query}"


def _quote(value: str, safe: str = "", encoding: str | None = None, errors: str | None = None):
    # %20 rather than "+" for spaces in scope: unambiguous for every server.
    return quote(value, safe="", encoding=encoding, errors=errors)


def start(
    settings: Settings,
    storage: Storage,
    page_url: str,
    clock: Callable[[], float] = time.time,
    state_prefix: str = "",
) -> str:
    """Begin a sign-in: validate, store a new verifier + state, return the authorize URL.

    Synchronous (hashlib, secrets): a popup must be opened in the click's own task.
    """
    problems = validate(settings)
    if problems:
        raise ConfigError(problems)
    verifier = pkce.new_verifier()
    state = new_state(state_prefix)
    redirect_uri = settings.effective_redirect_uri(page_url)
    # The attempt records its server: the callback exchanges the code there, and the
    # session is bound to it, even if the settings change meanwhile.
    attempt = Attempt(verifier, state, redirect_uri, clock(), settings.endpoints().to_dict())
    if not save_attempt(storage, attempt):
        raise AttemptNotStored()  # in memory only: the redirect would lose it
    return build_url(settings, redirect_uri, state, pkce.challenge_s256(verifier))
