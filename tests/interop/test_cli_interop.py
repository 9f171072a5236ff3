"""The terminal client (``ilert-pkce``, a subprocess) against the independent server
(django-oauth-toolkit): RFC 8414 discovery, a loopback redirect on any port (DOT follows
RFC 8252 §7.3 for a registered ``http://127.0.0.1/callback``) and on a fixed one, the
RFC 9207 ``iss`` check, profile, introspection, refresh with rotation, and revocation
(the revoked refresh token then refused by the witness itself)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.interop.witness import HttpUser, WitnessServer, query_of
from tests.native.cli_run import Running, cli_env, deliver, run, token_file

SCOPE = "profile introspection"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home)


def cli_args(server: WitnessServer, client_id: str, *more: str) -> list[str]:
    return [
        "--preset",
        "custom",
        "--issuer",
        server.issuer,
        "--api-base",
        server.api_base,
        "--client-id",
        client_id,
        "--scope",
        SCOPE,
        *more,
    ]


def sign_in(server: WitnessServer, running: Running, allow: bool = True):
    url = running.opened_url()
    assert url.startswith(server.authorize_url + "?"), url
    answer = HttpUser(server).authorize(allow=allow, **query_of(url))
    assert answer.status == 302, (answer.status, answer.body[:300])
    return query_of(answer.location), deliver(answer.location)


def test_cli_against_the_witness(oauth_server: WitnessServer, env, home):
    client_id = oauth_server.register_client("http://127.0.0.1/callback")
    running = Running(["login", *cli_args(oauth_server, client_id, "--port", "0")], env)
    try:
        query, page = sign_in(oauth_server, running)
        done = running.finish()
    finally:
        running.kill()
    assert done.code == 0, done.stderr + oauth_server.log()[-2000:]
    assert query["iss"] == oauth_server.issuer  # checked by the client before the exchange
    assert "Reading the metadata of" in done.stderr
    assert page.status == 200
    record = json.loads(token_file(home).read_text())
    assert record["endpoints"]["issuer"] == oauth_server.issuer
    assert record["endpoints"]["info_kind"] == "introspection"

    me = run(["whoami", "--json"], env)
    assert me.code == 0, me.stderr
    assert json.loads(me.stdout)["username"] == oauth_server.username

    info = run(["token-info", "--json"], env)
    assert info.code == 0, info.stderr
    assert json.loads(info.stdout)["server_says"]["active"] is True

    first_refresh = record["refresh_token"]
    assert run(["refresh"], env).code == 0
    rotated = json.loads(token_file(home).read_text())["refresh_token"]
    assert rotated != first_refresh  # DOT rotates

    assert run(["logout"], env).code == 0
    assert not token_file(home).exists()
    refused = oauth_server.token(
        grant_type="refresh_token", refresh_token=rotated, client_id=client_id
    )
    assert refused.status == 400 and refused.json()["error"] == "invalid_grant"


def test_cli_fixed_port_and_denied(oauth_server: WitnessServer, env, home):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://127.0.0.1:{port}/callback"
    client_id = oauth_server.register_client(uri)
    running = Running(["login", *cli_args(oauth_server, client_id, "--redirect-uri", uri)], env)
    try:
        query, page = sign_in(oauth_server, running, allow=False)
        done = running.finish()
    finally:
        running.kill()
    assert query["error"] == "access_denied"
    assert done.code == 4
    assert "declined" in done.stderr
    assert page.status == 400
    assert not token_file(home).exists()
