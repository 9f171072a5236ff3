"""The emulator's mutable state: tenant data, apps, codes, pending sign-ins, browser sessions.

One ``State`` object is swapped wholesale on ``reset()``; every access happens under the
emulator's single lock (see ``server.Emulator``), so the records need no locks of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .store import App


@dataclass
class Modes:
    """Switches between ilert's documented behaviour (the defaults) and stricter readings.

    ``strict_rotation``: a refresh revokes the refresh token it used, at once (RFC 9700's
    rotation). By default older refresh tokens stay valid, up to 10 per app and user, as
    ilert documents. ``require_redirect_uri``: the code exchange must carry ``redirect_uri``
    (RFC 6749 4.1.3); by default it may be left out, as in ilert's guide, but must match
    when sent.
    """

    strict_rotation: bool = False
    require_redirect_uri: bool = False


@dataclass
class AuthRequest:
    """A validated authorize request."""

    client_id: str
    redirect_uri: str
    scope: str  # the scope as granted (see scopes.normalise)
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass
class PendingRequest:
    """An authorize request waiting for login and consent, kept server side under ``id``."""

    id: str
    request: AuthRequest
    csrf: str
    expires: float
    session: str | None = None  # the browser session that signed in for it


@dataclass
class CodeRecord:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    username: str
    expires: float
    used: bool = False


@dataclass
class State:
    data: dict[str, Any]
    apps: dict[str, App]
    codes: dict[str, CodeRecord] = field(default_factory=dict)
    pending: dict[str, PendingRequest] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> username

    @property
    def tenant(self) -> dict[str, Any]:
        return self.data["tenant"]

    def user(self, username: str) -> dict[str, Any] | None:
        wanted = username.strip().lower()
        for user in self.data["users"]:
            if str(user.get("username", "")).lower() == wanted:
                return user
        return None

    def allowed_origins(self) -> set[str]:
        return {origin.lower() for app in self.apps.values() for origin in app.origins}
