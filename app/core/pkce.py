"""PKCE (RFC 7636): code verifier and S256 challenge."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

# RFC 7636 §4.1: 43–128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7636 Appendix A)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_verifier(nbytes: int = 32) -> str:
    """A fresh verifier: ``nbytes`` random bytes (≥ 32 = 256 bits) → 43+ base64url characters."""
    if not 32 <= nbytes <= 96:
        raise ValueError("nbytes must be between 32 and 96")
    return b64url(secrets.token_bytes(nbytes))


def is_valid_verifier(verifier: str) -> bool:
    return bool(_VERIFIER_RE.match(verifier or ""))


def challenge_s256(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(verifier))), no padding."""
    if not is_valid_verifier(verifier):
        raise ValueError("not a valid PKCE code verifier")
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())
