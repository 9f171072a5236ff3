"""A local stand-in for ilert: OAuth2 authorization server (code + PKCE) and REST API.

    from ilert_emulator import Emulator
    emu = Emulator(test_controls=True)
    handle = emu.serve(port=0)          # background thread on 127.0.0.1
    print(handle.url, emu.demo_client_id)
    handle.stop()

See ``server.Emulator`` for the test API and ``python -m ilert_emulator --help``.
"""

from .server import DEMO_CLIENT_ID, Emulator, ServerHandle

__all__ = ["DEMO_CLIENT_ID", "Emulator", "ServerHandle"]
