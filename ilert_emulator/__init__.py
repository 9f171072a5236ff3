"""A local stand-in for ilert: OAuth2 authorization server (code + PKCE) and REST API.

    from ilert_emulator import Emulator
    emu = Emulator(test_controls=True)
    handle = emu.serve(port=0)          # background thread on 127.0.0.1
    print(handle.url, emu.demo_client_id)
    handle.stop()

See ``server.Emulator`` for the test API and ``python -m ilert_emulator --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import DEMO_CLIENT_ID, Emulator, ServerHandle

__all__ = ["DEMO_CLIENT_ID", "Emulator", "ServerHandle"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that serve.py can import the pure ``hosts`` module without
    # Werkzeug (it serves the app alone, --no-emulator, without the emulator's packages).
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
