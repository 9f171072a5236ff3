"""Shared pytest fixtures: a local ilert emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # make `app` and `ilert_emulator` importable under bare `pytest`
    sys.path.insert(0, str(ROOT))

from ilert_emulator import Emulator  # noqa: E402
from ilert_emulator.testing import EmulatorFixture  # noqa: E402


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorFixture]:
    """One emulator for the whole session: ``Emulator(test_controls=True)`` serving on
    127.0.0.1 on a free port, stopped at the end. Prefer the ``emulator`` fixture, which
    also resets it."""
    emu = Emulator(test_controls=True)
    handle = emu.serve(host="127.0.0.1", port=0)
    try:
        yield EmulatorFixture(emu, handle)
    finally:
        handle.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorFixture) -> EmulatorFixture:
    """The session's emulator, freshly ``reset()`` (data, clock, tokens, faults, rate limit).

    Attributes (an ``ilert_emulator.testing.EmulatorFixture``):

    - ``emu``: the ``Emulator`` (any other attribute falls through to it, so
      ``emulator.clock.advance(130)``, ``emulator.faults.add("token", status=500)``,
      ``emulator.revoke_grants("alice")``, ``emulator.set_data(...)`` work);
    - ``handle``: the ``ServerHandle``; ``port``;
    - ``url`` = ``http://localhost:PORT``, ``ip_url`` = ``http://127.0.0.1:PORT``,
      ``tenant_url`` = ``http://demo.localhost:PORT`` (send that Host header yourself);
    - ``authorize_url``, ``token_url``, ``token_info_url``, ``revoke_url``, ``api_url``;
    - ``client_id`` (``ilert-pkce-demo``), ``redirect_uri`` (``http://localhost:4597/``),
      ``origin`` (``http://localhost:4597``);
    - ``code(scope="profile", username="alice", client_id=None, redirect_uri=None)`` ->
      ``(code, verifier)``: a fresh authorization code as Approve would issue it.
    """
    emulator_server.emu.reset()
    return emulator_server
