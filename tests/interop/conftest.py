"""Fixtures of the interop suite: an independent authorization server (django-oauth-toolkit)
on ilert's paths, started for the session on 127.0.0.1 and stopped at the end. README.md in
this folder documents the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.interop.witness import HttpUser, WitnessServer, start_witness

# Where the self-tests pretend the app lives: nothing listens there, the user agent in
# witness.HttpUser returns the redirect to it instead of following it.
DEMO_REDIRECT_URI = "http://localhost:4597/"


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[WitnessServer]:
    """One witness for the session; its demo public client (``client_id`` ``interop-spa``)
    is registered for ``DEMO_REDIRECT_URI``. Re-point it, or add a client, for an app at
    run time with ``oauth_server.register_client(app_url)``."""
    server = start_witness(redirect_uris=[DEMO_REDIRECT_URI])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oauth_server_factory() -> Iterator[Callable[..., WitnessServer]]:
    """``oauth_server_factory(**start_witness_kwargs)`` starts another witness (e.g. without
    the RFC 9207 ``iss`` parameter); all are stopped at the end of the session."""
    started: list[WitnessServer] = []

    def start(**kwargs: object) -> WitnessServer:
        server = start_witness(**kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def oauth_user(oauth_server: WitnessServer) -> HttpUser:
    """A fresh user agent (no cookies: the first authorize asks for the login)."""
    return HttpUser(oauth_server)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium with the project's launch settings (as tests/e2e)."""
    from scripts.chromium import CHROMIUM, CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
