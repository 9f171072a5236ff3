"""serve.py under abuse, over raw sockets: request bodies are read or refused (never taken for
the next request), and every answer carries the security headers, its own errors included."""

from __future__ import annotations

import http.client
import io
import json
import socket
import struct
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from scripts import csp
from serve import make_app_server
from tests.serving import ROOT, ServeProcess, start_serve


@pytest.fixture(scope="module")
def app() -> Iterator[ServeProcess]:
    server = start_serve("--no-emulator")
    yield server
    server.stop()


def connect(server: ServeProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", urlsplit(server.app_url).port), timeout=10)
    return sock


class _Unclosable(io.BufferedReader):
    def close(self) -> None:  # http.client closes its file after each response
        pass


def reader(sock: socket.socket) -> io.BufferedReader:
    """One buffered reader per connection: several responses are read from the same buffer."""
    return _Unclosable(socket.SocketIO(sock, "rb"))


def read_response(fp: io.BufferedReader | socket.socket) -> http.client.HTTPResponse:
    if isinstance(fp, socket.socket):
        fp = reader(fp)
    resp = http.client.HTTPResponse(_Source(fp))  # type: ignore[arg-type]
    resp.begin()
    resp.body = resp.read()  # type: ignore[attr-defined]
    return resp


class _Source:
    """What http.client.HTTPResponse wants: something with makefile()."""

    def __init__(self, fp: io.BufferedReader) -> None:
        self.fp = fp

    def makefile(self, *args: object, **kwargs: object) -> io.BufferedReader:
        return self.fp


def assert_security_headers(resp: http.client.HTTPResponse) -> None:
    assert resp.getheader("Referrer-Policy") == "no-referrer"
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    policy = resp.getheader("Content-Security-Policy") or ""
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


def closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def named(server: ServeProcess, data: bytes) -> bytes:
    """Raw requests with ``Host: x`` sent with the server's own name instead (serve.py
    answers only to its names: tests/server/test_serve_hosts.py)."""
    port = urlsplit(server.app_url).port
    return data.replace(b"Host: x\r\n", f"Host: localhost:{port}\r\n".encode())


def test_get_body_is_not_answered_as_a_second_request(app) -> None:
    smuggled = b"GET /serve.py HTTP/1.1\r\nHost: y\r\n\r\n"  # (a body: not renamed)
    with connect(app) as sock:
        sock.sendall(
            named(
                app,
                b"GET /pyscript.toml HTTP/1.1\r\nHost: x\r\n"
                + f"Content-Length: {len(smuggled)}\r\n\r\n".encode()
                + smuggled
                + b"GET /config.json HTTP/1.1\r\nHost: x\r\n\r\n",
            )
        )
        fp = reader(sock)
        first = read_response(fp)
        second = read_response(fp)
        assert (first.status, second.status) == (200, 200)
        assert b"interpreter" in first.body
        assert json.loads(second.body)["client_id"]
        sock.settimeout(1)
        with pytest.raises(TimeoutError):
            fp.read1(1)  # no third answer (a 404 for the smuggled /serve.py)


def test_oversized_body_is_refused_and_the_connection_closed(app) -> None:
    with connect(app) as sock:
        data = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"x" * 100
        sock.sendall(named(app, data))
        resp = read_response(sock)
        assert resp.status == 413
        assert resp.getheader("Connection") == "close"
        assert_security_headers(resp)
        assert closed(sock)


def test_chunked_body_is_refused(app) -> None:
    with connect(app) as sock:
        sock.sendall(
            named(
                app,
                b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"1a\r\nGET /serve.py HTTP/1.1\r\n\r\n\r\n0\r\n\r\n",
            )
        )
        resp = read_response(sock)
        assert resp.status == 411
        assert_security_headers(resp)
        assert closed(sock)


def test_414_carries_the_security_headers(app) -> None:
    with connect(app) as sock:
        sock.sendall(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = read_response(sock)
        assert resp.status == 414
        assert_security_headers(resp)


def test_501_carries_the_security_headers_and_drops_the_body(app) -> None:
    with connect(app) as sock:
        body = b"GET /serve.py HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        resp = read_response(sock)
        assert resp.status == 501
        assert_security_headers(resp)
        assert closed(sock)


@pytest.mark.parametrize("path", ["/", "/static/vendor/pyscript-0.7.31/core.js", "/nope"])
def test_every_answer_has_the_security_headers(app, path: str) -> None:
    with connect(app) as sock:
        sock.sendall(named(app, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()))
        assert_security_headers(read_response(sock))


def served_page(server: ServeProcess) -> tuple[http.client.HTTPResponse, str]:
    with connect(server) as sock:
        sock.sendall(named(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        resp = read_response(sock)
    return resp, resp.body.decode()


def meta_policy(page: str) -> str:
    match = csp.META_RE.search(page)
    assert match, "no CSP <meta> in the page"
    return match.group(0).split('content="', 1)[1].rstrip('">').replace("&quot;", '"')


def test_page_policy_in_meta_and_header_agree(app) -> None:
    resp, page = served_page(app)
    header = resp.getheader("Content-Security-Policy")
    assert header == meta_policy(page) + "; frame-ancestors 'none'"
    # Without the emulator the page is served as committed, with config.json from disk.
    assert page == (ROOT / "index.html").read_text(encoding="utf-8")


def test_policy_follows_the_emulators_ports() -> None:
    server = start_serve("--emulator-port", "0")
    try:
        resp, page = served_page(server)
    finally:
        server.stop()
    emulator = urlsplit(server.emulator_url)
    connect_src = next(
        d for d in meta_policy(page).split("; ") if d.startswith("connect-src ")
    ).split()[1:]
    assert connect_src == [
        "'self'",
        f"http://localhost:{emulator.port}",
        f"http://*.localhost:{emulator.port}",
    ]
    assert f"http://*.localhost:{emulator.port}" in resp.getheader("Content-Security-Policy")


def test_a_connection_reset_by_the_browser_prints_no_traceback(capfd) -> None:
    server = make_app_server("127.0.0.1", 0, None, verbose=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for _ in range(3):  # a cancelled load: half a request line, then a reset (RST)
            sock = socket.create_connection(server.server_address[:2], timeout=10)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(b"GET /index.h")
            sock.close()
        conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200  # and it still serves
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err
