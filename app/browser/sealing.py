"""AES-GCM through the browser's WebCrypto, for what windows and tabs hand each other.

Browser-facing (``js``). Used for the token hand-over and sign-out between tabs
(``app.browser.tabs``) and for a popup's answer on the shared channel (``app.browser.popup``):
the key is derived from a secret both ends hold and no other listener on the origin does.
"""

from __future__ import annotations

import secrets

import js
from pyodide.ffi import to_js

from app.browser import web as b
from app.core.tab_messages import IV_BYTES


def subtle() -> object | None:
    """``crypto.subtle``, or None where the browser has none (then nothing is sealed)."""
    crypto = b.optional(getattr(js, "crypto", None))
    return None if crypto is None else b.optional(getattr(crypto, "subtle", None))


async def _key(api: object, raw: bytes) -> object:
    return await api.importKey("raw", to_js(raw), "AES-GCM", False, to_js(["encrypt", "decrypt"]))


def _params(iv: bytes, aad: bytes) -> object:
    return to_js(
        {"name": "AES-GCM", "iv": to_js(iv), "additionalData": to_js(aad)},
        dict_converter=js.Object.fromEntries,
    )


async def seal(api: object, raw_key: bytes, aad: bytes, plain: bytes) -> tuple[bytes, bytes]:
    """(IV, ciphertext) of ``plain`` under AES-GCM with ``raw_key`` and ``aad``."""
    iv = secrets.token_bytes(IV_BYTES)
    key = await _key(api, raw_key)
    sealed = await api.encrypt(_params(iv, aad), key, to_js(plain))
    return iv, js.Uint8Array.new(sealed).to_bytes()


async def open_sealed(api: object, raw_key: bytes, aad: bytes, iv: bytes, sealed: bytes) -> bytes:
    """The plain text; raises when it was not sealed with this key and ``aad``."""
    key = await _key(api, raw_key)
    plain = await api.decrypt(_params(iv, aad), key, to_js(sealed))
    return js.Uint8Array.new(plain).to_bytes()
