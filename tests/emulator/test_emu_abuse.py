"""The emulator under abuse: slow clients, cross-site pages, oversized and hostile bodies.

Each test here failed before the fix it covers (issue "Hardening", item 5).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlencode

import pytest
from emu_http import authorize_url, get, parse_page, post, request

from ilert_emulator import server
from ilert_emulator.authorize import MAX_PENDING

ORIGIN = "http://localhost:4597"


def tokens(emulator, scope: str = "profile source:w offline_access") -> dict:
    return post(emulator.token_url, emulator.code_form(scope)).json()


# -- a slow body blocks only its own request -----------------------------------------------------


class Trickler:
    """A raw connection that sends a request's head, then its body a few bytes at a time."""

    def __init__(self, port: int, head: str, body: bytes) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(head.encode() + b"\r\n\r\n")
        self.body = body
        self.reply = b""

    def finish(self) -> bytes:
        for i in range(0, len(self.body), 8):
            self.sock.sendall(self.body[i : i + 8])
        chunks = []
        while chunk := self.sock.recv(65536):
            chunks.append(chunk)
        self.sock.close()
        return b"".join(chunks)


def reading_body(monkeypatch: pytest.MonkeyPatch, path: str) -> threading.Event:
    """An event set when the emulator starts reading the body of a request for ``path``:
    the request has been accepted and is being handled, and waits for its body."""
    started = threading.Event()
    real = server.preload

    def spy(request):
        if request.path == path:
            started.set()
        return real(request)

    monkeypatch.setattr(server, "preload", spy)
    return started


def head(method: str, path: str, port: int, content_type: str, length: int) -> str:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}"
    )


@pytest.mark.parametrize("kind", ["token form", "api json"])
def test_a_slow_body_does_not_block_other_requests(emulator, kind, monkeypatch):
    access = tokens(emulator)["access_token"]
    path = "/api/developers/oauth2/token" if kind == "token form" else "/api/alert-sources/4001"
    slow_one_read = reading_body(monkeypatch, path)
    if kind == "token form":
        body = urlencode(emulator.code_form()).encode()
        trickler = Trickler(
            emulator.port,
            head(
                "POST",
                path,
                emulator.port,
                "application/x-www-form-urlencoded",
                len(body),
            ),
            body,
        )
    else:
        body = json.dumps({"name": "x"}).encode()
        trickler = Trickler(
            emulator.port,
            head("PUT", path, emulator.port, "application/json", len(body))
            + f"\r\nAuthorization: Bearer {access}",
            body,
        )
    try:
        # Only its head is sent: once the server reads its body, it is being handled and
        # stays so (body missing) until finish().
        assert slow_one_read.wait(5), "the emulator never started on the slow request"
        started = time.monotonic()
        # Other requests, CORS preflight included, are answered at once.
        assert post(emulator.token_info_url, {"token": access}, timeout=3).status == 200
        preflight = request(
            "OPTIONS",
            emulator.token_url,
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
            timeout=3,
        )
        assert preflight.status == 204
        assert time.monotonic() - started < 2
    finally:
        reply = trickler.finish()
    # And the slow one gets its real answer in the end: tokens, or "integrationType is required".
    status_line = reply.split(b"\r\n")[0]
    assert status_line.startswith(b"HTTP/1.1 " + (b"200" if kind == "token form" else b"400"))


# -- test controls: JSON only, loopback Host only -------------------------------------------------


def test_controls_refuse_simple_cross_site_posts(emulator):
    before = emulator.clock.now()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        reply = request(
            "POST",
            f"{emulator.url}/_emulator/clock",
            body=b'{"advance": 100000}',
            headers=headers,
        )
        assert reply.status == 403, content_type
    assert emulator.clock.now() - before < 100
    reply = request("POST", f"{emulator.url}/_emulator/reset", body=b"", headers={})
    assert reply.status == 403


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "10.0.0.5"])
def test_controls_refuse_a_foreign_host_header(emulator, host):
    for method, name in (("GET", "state"), ("POST", "reset")):
        reply = request(
            method,
            f"{emulator.url}/_emulator/{name}",
            json_body={},
            headers={"Host": f"{host}:{emulator.port}"},
        )
        assert reply.status == 421  # like every path (tests/emulator/test_emu_hosts.py)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "demo.localhost", "[::1]"])
def test_controls_answer_on_loopback_names(emulator, host):
    reply = request(
        "GET",
        f"{emulator.url}/_emulator/state",
        json_body={},
        headers={"Host": f"{host}:{emulator.port}"},
    )
    assert reply.status == 200


# -- reset restores the registered apps -----------------------------------------------------------


def authorize(emulator, redirect_uri: str):
    return get(authorize_url(emulator, redirect_uri=redirect_uri, scope="profile", state="s"))


def test_reset_forgets_a_redirect_uri_added_through_the_controls(emulator):
    foreign = "https://evil.example/steal"
    reply = request("POST", f"{emulator.url}/_emulator/app-url", json_body={"url": foreign})
    assert reply.status == 200
    assert authorize(emulator, foreign).status == 200  # registered for now
    emulator.emu.reset()
    refused = authorize(emulator, foreign)
    assert refused.status == 400
    assert "not registered" in parse_page(refused.text).text
    origins = request("GET", f"{emulator.url}/_emulator/state", json_body={}).json()["apps"][0]
    assert "https://evil.example" not in origins["origins"]
    assert authorize(emulator, emulator.redirect_uri).status == 200  # start-up ones stay


# -- body limits: 413 in ilert's shape, with CORS; hostile JSON is a 400 ---------------------------


def test_oversized_form_is_413_in_ilerts_shape_with_cors(emulator):
    form = {**emulator.code_form(), "padding": "x" * 600_000}
    reply = post(emulator.token_url, form, headers={"Origin": ORIGIN})
    assert reply.status == 413
    assert reply.json()["code"] == "invalid_request"
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN


def test_too_many_form_fields_is_413(emulator):
    form = {f"f{i}": "1" for i in range(1500)}
    reply = post(emulator.token_url, form, headers={"Origin": ORIGIN})
    assert reply.status == 413
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN


def test_oversized_api_body_is_413_in_the_api_shape(emulator):
    access = tokens(emulator)["access_token"]
    reply = request(
        "PUT",
        f"{emulator.api_url}/alert-sources/4001",
        body=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={
            "Authorization": f"Bearer {access}",
            "Content-Type": "application/json",
            "Origin": ORIGIN,
        },
    )
    assert reply.status == 413
    assert reply.json() == {
        "status": 413,
        "message": reply.json()["message"],
        "code": "PAYLOAD_TOO_LARGE",
    }
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN


def test_deeply_nested_json_is_400_not_500(emulator):
    access = tokens(emulator)["access_token"]
    deep = b"[" * 200_000 + b"]" * 200_000
    reply = request(
        "PUT",
        f"{emulator.api_url}/alert-sources/4001",
        body=deep,
        headers={
            "Authorization": f"Bearer {access}",
            "Content-Type": "application/json",
            "Origin": ORIGIN,
        },
    )
    assert reply.status == 400
    assert reply.json()["code"] == "BAD_REQUEST"
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN
    admin = request(
        "PUT",
        f"{emulator.url}/_emulator/data",
        body=b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert admin.status == 400


# -- pending sign-ins are bounded ---------------------------------------------------------------


def test_pending_sign_ins_are_bounded(emulator):
    first = authorize(emulator, emulator.redirect_uri)
    first_id = parse_page(first.text).forms[0].fields["request"]
    for _ in range(MAX_PENDING + 20):
        assert authorize(emulator, emulator.redirect_uri).status == 200
    assert len(emulator.state.pending) == MAX_PENDING
    # The oldest was forgotten, the newest still works.
    gone = get(f"{emulator.url}/api/developers/oauth2/login?request={first_id}")
    assert gone.status == 400
    newest = next(reversed(emulator.state.pending))
    assert get(f"{emulator.url}/api/developers/oauth2/login?request={newest}").status == 200


def test_the_server_keeps_answering_after_abuse(emulator):
    # Belt and braces: none of the above left a thread holding the lock.
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(get(emulator.url + "/").status))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert results == [200] * 5
