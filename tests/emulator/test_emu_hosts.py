"""The emulator answers only to the names it serves, on every path (DNS rebinding).

Its own names are ``localhost``, ``127.0.0.1``, ``[::1]`` and ``*.localhost`` (browsers
resolve those to loopback without DNS) with its port, plus the address it listens on.
"""

from __future__ import annotations

import pytest
from emu_http import request

PATHS = [
    ("GET", "/"),
    ("GET", "/api/developers/oauth2/authorize?client_id=x"),
    ("POST", "/api/developers/oauth2/token"),
    ("GET", "/api/users/current"),
    ("GET", "/_emulator/state"),
]


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "localhost.evil.example:{port}",
        "10.0.0.5:{port}",
        "localhost:1{port}",
        "demo.localhost",
        "",
    ],
)
def test_a_foreign_host_gets_421_with_a_plain_body(emulator, host: str) -> None:
    for method, path in PATHS:
        reply = request(
            method, emulator.url + path, body=b"", headers={"Host": host.format(port=emulator.port)}
        )
        assert reply.status == 421, (method, path)
        assert reply.header("Content-Type").startswith("text/plain")
        assert "<html" not in reply.text.lower()


@pytest.mark.parametrize(
    "host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "demo.localhost:{port}"]
)
def test_its_own_names_are_answered(emulator, host: str) -> None:
    reply = request("GET", emulator.url + "/", headers={"Host": host.format(port=emulator.port)})
    assert reply.status == 200
