"""CORS on token, token_info, revoke and the REST API."""

from __future__ import annotations

import pytest
from emu_http import api, post, request

ORIGIN = "http://localhost:4597"
EVIL = "http://evil.example"
PATHS = [
    "/api/developers/oauth2/token",
    "/api/developers/oauth2/token_info",
    "/api/developers/oauth2/revoke",
    "/api/users/current",
    "/api/alert-sources/4001",
]


def preflight(emulator, path: str, origin: str | None, method: str = "POST"):
    headers = {"Access-Control-Request-Method": method}
    if origin:
        headers["Origin"] = origin
    headers["Access-Control-Request-Headers"] = "authorization, content-type"
    return request("OPTIONS", emulator.url + path, headers=headers)


@pytest.mark.parametrize("path", PATHS)
def test_preflight_allowed_for_the_app_origin(emulator, path):
    reply = preflight(emulator, path, ORIGIN)
    assert reply.status == 204
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN
    assert "POST" in reply.header("Access-Control-Allow-Methods")
    assert "PUT" in reply.header("Access-Control-Allow-Methods")
    allowed = {h.strip().lower() for h in reply.header("Access-Control-Allow-Headers").split(",")}
    assert {"authorization", "content-type", "accept"} <= allowed
    assert int(reply.header("Access-Control-Max-Age")) > 0
    assert "Origin" in reply.header("Vary")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("origin", [EVIL, "http://localhost:4598", None])
def test_preflight_refused_for_other_origins(emulator, path, origin):
    reply = preflight(emulator, path, origin)
    assert reply.status == 403
    assert reply.header("Access-Control-Allow-Origin") is None


def test_twin_origin_is_allowed(emulator):
    reply = preflight(emulator, PATHS[0], "http://127.0.0.1:4597")
    assert reply.header("Access-Control-Allow-Origin") == "http://127.0.0.1:4597"


def test_actual_responses_carry_the_header_even_on_errors(emulator):
    headers = {"Origin": ORIGIN}
    replies = [
        post(emulator.token_url, {"grant_type": "nope"}, headers=headers),  # 400
        post(
            emulator.token_url,
            {"grant_type": "refresh_token", "client_id": emulator.client_id, "refresh_token": "x"},
            headers=headers,
        ),  # 401
        post(emulator.token_info_url, {"token": "x"}, headers=headers),
        post(emulator.revoke_url, {"token": "x"}, headers=headers),
        api(emulator.api_url + "/users/current", None, headers=headers),  # 401
        api(emulator.api_url + "/nothing", "x", headers=headers),  # 401
    ]
    for reply in replies:
        assert reply.header("Access-Control-Allow-Origin") == ORIGIN, reply.status
    other = api(emulator.api_url + "/users/current", None, headers={"Origin": EVIL})
    assert other.status == 401
    assert other.header("Access-Control-Allow-Origin") is None


def test_403_404_429_carry_the_header(emulator):
    tok = post(emulator.token_url, emulator.code_form("source")).json()["access_token"]
    headers = {"Origin": ORIGIN}
    assert api(emulator.api_url + "/alerts", tok, headers=headers).status == 403
    missing = api(emulator.api_url + "/alert-sources/1", tok, headers=headers)
    assert missing.status == 404
    emulator.set_rate_limit(0)
    limited = api(emulator.api_url + "/alert-sources", tok, headers=headers)
    assert limited.status == 429
    for reply in (missing, limited):
        assert reply.header("Access-Control-Allow-Origin") == ORIGIN


def test_add_app_url_registers_origin_and_redirect(emulator):
    emulator.add_app_url("http://localhost:5123/")
    for origin in ("http://localhost:5123", "http://127.0.0.1:5123"):
        reply = preflight(emulator, PATHS[0], origin)
        assert reply.header("Access-Control-Allow-Origin") == origin
    app = emulator.state.apps[emulator.client_id]
    assert {"http://localhost:5123/", "http://127.0.0.1:5123/"} <= set(app.redirect_uris)
    emulator.emu.reset()  # it describes where the app is served: kept across resets
    assert "http://localhost:5123/" in emulator.state.apps[emulator.client_id].redirect_uris
