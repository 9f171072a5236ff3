"""serve.py answers only to the names it serves (DNS rebinding against a loopback server).

A page on evil.example can make its name resolve to 127.0.0.1: its scripts then reach the
local server as same-origin requests, sending ``Host: evil.example:PORT``. Over real HTTP.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.serving import ServeProcess, start_serve


@pytest.fixture(scope="module")
def app() -> Iterator[ServeProcess]:
    server = start_serve("--emulator-port", "0")
    yield server
    server.stop()


def get(url: str, host: str | None, path: str = "/config.json") -> tuple[int, str, str]:
    """(status, content type, body) of GET ``path`` at ``url``'s port with this Host header."""
    port = urlsplit(url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        if host is not None:
            conn.putheader("Host", host.format(port=port))
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read().decode()
    finally:
        conn.close()


FOREIGN = [
    "evil.example:{port}",
    "localhost.evil.example:{port}",
    "127.0.0.1.nip.io:{port}",
    "10.0.0.5:{port}",
    "localhost:1{port}",  # another port: not this server
    "localhost",  # port 80, not this one
    "",
    "localhost:{port}@evil.example",
]


@pytest.mark.parametrize("host", FOREIGN)
def test_a_foreign_host_gets_421_and_no_page(app: ServeProcess, host: str) -> None:
    for url, path in ((app.app_url, "/config.json"), (app.app_url, "/"), (app.emulator_url, "/")):
        status, kind, body = get(url, host, path)
        assert status == 421, (url, path)
        assert kind.startswith("text/plain")
        assert "client_id" not in body and "<html" not in body.lower()


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}"])
def test_the_names_it_serves_are_answered(app: ServeProcess, host: str) -> None:
    assert get(app.app_url, host)[0] == 200
    assert get(app.app_url, host.replace("localhost", "LocalHost"))[0] == 200
    assert get(app.emulator_url, host, "/")[0] == 200
    assert get(app.emulator_url, host, "/api/developers/oauth2/token")[0] != 421


def test_the_configured_host_name_is_answered() -> None:
    server = start_serve("--no-emulator", "--host", "localhost")
    try:
        assert get(server.app_url, "localhost:{port}")[0] == 200
        assert get(server.app_url, "evil.example:{port}")[0] == 421
    finally:
        server.stop()
