"""Small helpers for tests and clients of the emulator: PKCE pairs and URL pieces."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from .oauth import s256

if TYPE_CHECKING:
    from .context import Controls
    from .handle import ServerHandle

AUTHORIZE_PATH = "/api/developers/oauth2/authorize"
TOKEN_PATH = "/api/developers/oauth2/token"
TOKEN_INFO_PATH = "/api/developers/oauth2/token_info"
REVOKE_PATH = "/api/developers/oauth2/revoke"


def make_verifier() -> str:
    """A fresh RFC 7636 code verifier (64 hex characters)."""
    return secrets.token_hex(32)


def challenge_for(verifier: str) -> str:
    """The S256 code challenge of ``verifier``."""
    return s256(verifier)


def pkce_pair() -> tuple[str, str]:
    """(verifier, challenge)."""
    verifier = make_verifier()
    return verifier, challenge_for(verifier)


class EmulatorFixture:
    """A running emulator for tests: the Emulator (``emu``), its server (``handle``) and URLs.

    Attribute access falls through to the Emulator, so ``fixture.clock.advance(130)``,
    ``fixture.faults.add("token", status=500)`` and ``fixture.revoke_grants("alice")`` work.
    """

    def __init__(self, emu: Controls, handle: ServerHandle) -> None:
        self.emu = emu
        self.handle = handle
        self.port = handle.port
        self.url = handle.url  # http://localhost:PORT
        self.ip_url = f"http://127.0.0.1:{handle.port}"
        self.tenant_url = handle.tenant_url()  # http://demo.localhost:PORT
        self.client_id = emu.demo_client_id
        self.redirect_uri = "http://localhost:4597/"
        self.origin = "http://localhost:4597"
        self.authorize_url = self.url + AUTHORIZE_PATH
        self.token_url = self.url + TOKEN_PATH
        self.token_info_url = self.url + TOKEN_INFO_PATH
        self.revoke_url = self.url + REVOKE_PATH
        self.api_url = self.url + "/api"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.emu, name)

    def code(
        self,
        scope: str = "profile",
        username: str = "alice",
        client_id: str | None = None,
        redirect_uri: str | None = None,
    ) -> tuple[str, str]:
        """A fresh authorization code as Approve would give it, and its PKCE verifier."""
        verifier, challenge = pkce_pair()
        code = self.emu.issue_code(
            client_id or self.client_id,
            redirect_uri or self.redirect_uri,
            scope,
            challenge,
            username=username,
        )
        return code, verifier

    def code_form(self, scope: str = "profile", username: str = "alice") -> dict[str, str]:
        """A fresh code as the token endpoint's authorization_code form, ready to post."""
        code, verifier = self.code(scope, username=username)
        return {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "code_verifier": verifier,
        }
