"""Access and refresh tokens: minting, checking, revoking.

Access tokens are RS256 JWTs with exactly ilert's claims (``il_n``, ``il_a``, ``il_s``, ``iss``,
``il_u``, ``il_t="ACCESS"``, ``il_v``, ``exp``; no ``iat``/``sub``/``aud``), valid one hour.
Refresh tokens are HS256 JWTs (``il_t="OAUTH"`` and an ``il_k`` key id), valid one year. The
keys are generated when the emulator starts and never leave it.

The JWT signature alone does not make a token valid: every token is also recorded here, so
``reset()`` and revocation take effect at once. Expiry is judged on the emulator clock
(PyJWT's own ``exp`` check uses the wall clock, so it is switched off).

(undocumented) choices:
- at most ``MAX_REFRESH`` live refresh tokens per app and user; minting one more revokes the
  oldest (ilert documents the limit, not which one goes; the oldest is the natural reading).
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .clock import Clock

ACCESS_TTL = 3600
REFRESH_TTL = 365 * 24 * 3600  # 31536000, as ilert's refresh_token_expires_in
MAX_REFRESH = 10
ISSUER = "ilert"


@dataclass
class AccessRecord:
    client_id: str
    username: str
    scope: str
    tenant: str
    app_id: int
    expires: int
    revoked: bool = False


@dataclass
class RefreshRecord:
    key: str  # the il_k claim
    client_id: str
    username: str
    scope: str
    tenant: str
    app_id: int
    expires: int
    family: str  # the authorization code the chain started from
    seq: int  # mint order, to find the oldest
    secretless: bool = True  # the grant was obtained without a client secret
    revoked: bool = False


class TokenError(Exception):
    """A refresh token that cannot be used; ``str()`` is the message for the client."""


class TokenService:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        # Generated per process: tokens from another emulator run never verify.
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self._private_key.public_key()
        self._hmac_secret = secrets.token_bytes(32)
        self._seq = itertools.count()
        self.access: dict[str, AccessRecord] = {}
        self.refresh: dict[str, RefreshRecord] = {}

    def clear(self) -> None:
        self.access.clear()
        self.refresh.clear()

    # -- minting -----------------------------------------------------------------------
    def mint_access(
        self, *, client_id: str, app_id: int, username: str, scope: str, tenant: str, tenant_id: int
    ) -> str:
        exp = int(self._clock.now()) + ACCESS_TTL
        claims = {
            "il_n": format(int(tenant_id), "x"),
            "il_a": app_id,
            "il_s": scope,
            "iss": ISSUER,
            "il_u": username,
            "il_t": "ACCESS",
            "il_v": 1,
            "exp": exp,
        }
        token = jwt.encode(claims, self._private_key, algorithm="RS256")
        # Two tokens minted in the same second for the same grant are identical (no jti in
        # ilert's claims); re-recording makes a re-issued token live again.
        self.access[token] = AccessRecord(client_id, username, scope, tenant, app_id, exp)
        return token

    def mint_refresh(
        self,
        *,
        client_id: str,
        app_id: int,
        username: str,
        scope: str,
        tenant: str,
        tenant_id: int,
        family: str,
        secretless: bool = True,
    ) -> str:
        key = secrets.token_hex(16)
        exp = int(self._clock.now()) + REFRESH_TTL
        claims = {
            "il_n": format(int(tenant_id), "x"),
            "il_a": app_id,
            "iss": ISSUER,
            "il_u": username,
            "il_t": "OAUTH",
            "il_k": key,
            "il_v": 1,
            "exp": exp,
        }
        token = jwt.encode(claims, self._hmac_secret, algorithm="HS256")
        record = RefreshRecord(
            key,
            client_id,
            username,
            scope,
            tenant,
            app_id,
            exp,
            family,
            next(self._seq),
            secretless,
        )
        self.refresh[key] = record
        self._enforce_cap(client_id, username)
        return token

    def _enforce_cap(self, client_id: str, username: str) -> None:
        live = sorted(
            (
                r
                for r in self.refresh.values()
                if r.client_id == client_id and r.username == username and self._live(r)
            ),
            key=lambda r: r.seq,
        )
        for record in live[: max(0, len(live) - MAX_REFRESH)]:
            record.revoked = True

    # -- checking ----------------------------------------------------------------------
    def _live(self, record: AccessRecord | RefreshRecord) -> bool:
        return not record.revoked and self._clock.now() < record.expires

    def check_access(self, token: str) -> AccessRecord | None:
        """The record of a live access token, or None (unknown, forged, expired, revoked)."""
        record = self.access.get(token)
        if record is None or not self._live(record):
            return None
        claims = _claims(token, self.public_key, "RS256", "ACCESS", ["exp", "il_t", "il_u"])
        if claims is None or claims.get("iss") != ISSUER:
            return None
        return record

    def refresh_record(self, token: str) -> RefreshRecord | None:
        """The record a refresh token names (live or not), or None if it is not ours."""
        claims = _claims(token, self._hmac_secret, "HS256", "OAUTH", ["exp", "il_k", "il_t"])
        return None if claims is None else self.refresh.get(str(claims["il_k"]))

    def check_refresh(self, token: str) -> RefreshRecord:
        """The live record of a refresh token; TokenError says why it cannot be used."""
        record = self.refresh_record(token)
        if record is None:
            raise TokenError("Provided refresh token is unknown")
        if record.revoked:
            raise TokenError("Provided refresh token has been revoked")
        if self._clock.now() >= record.expires:
            raise TokenError("Provided refresh token has expired")
        return record

    # -- revoking ----------------------------------------------------------------------
    def revoke_refresh(self, token: str) -> bool:
        record = self.refresh_record(token)
        if record is None or record.revoked:
            return False
        record.revoked = True
        return True

    def revoke_family(self, family: str) -> int:
        count = 0
        for record in self.refresh.values():
            if record.family == family and not record.revoked:
                record.revoked = True
                count += 1
        return count

    def revoke_grants(
        self, username: str, client_id: str | None = None, access_tokens: bool = False
    ) -> int:
        """Revoke a user's refresh tokens (and optionally access tokens); returns the count."""
        count = 0
        records: list[AccessRecord | RefreshRecord] = list(self.refresh.values())
        if access_tokens:
            records += list(self.access.values())
        for record in records:
            if (
                record.username == username
                and (client_id is None or record.client_id == client_id)
                and not record.revoked
            ):
                record.revoked = True
                count += 1
        return count


def _claims(
    token: str, key: object, algorithm: str, token_type: str, required: list[str]
) -> dict | None:
    """The claims of a token signed by us with ``key``, of ilert type ``token_type`` (il_t).

    Expiry is the store's records' business (the emulator's clock can be moved), so not checked.
    """
    try:
        claims = jwt.decode(
            token, key, algorithms=[algorithm], options={"verify_exp": False, "require": required}
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("il_t") == token_type else None
