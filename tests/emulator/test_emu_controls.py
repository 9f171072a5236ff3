"""Test controls: faults, clock, grants, rate limit, data, reset; admin endpoints; the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from emu_http import api, get, post, request

from ilert_emulator import Emulator
from ilert_emulator.store import load_tenant, resolve_times
from tests.serving import emulator_cli, run_on_busy_port

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://localhost:4597"


def access_token(emulator, scope: str = "profile source alert:w offline_access") -> dict:
    reply = post(emulator.token_url, emulator.code_form(scope))
    return reply.json()


# -- faults --------------------------------------------------------------------------------


def test_token_fault_500_then_recovers(emulator):
    emulator.faults.add("token", count=2, status=500)
    form = emulator.code_form()
    for _ in range(2):
        reply = post(emulator.token_url, form, headers={"Origin": ORIGIN})
        assert reply.status == 500
        assert reply.json()["code"] == "server_error"
        assert reply.header("Access-Control-Allow-Origin") == ORIGIN
    assert post(emulator.token_url, form).status == 200  # the code survived the faults


def test_api_fault_with_custom_body(emulator):
    tok = access_token(emulator)["access_token"]
    emulator.faults.add("api", status=502, body="<html><h1>Bad gateway</h1></html>")
    emulator.faults.add("api", status=200, body="{oops")
    reply = api(emulator.api_url + "/users/current", tok, headers={"Origin": ORIGIN})
    assert reply.status == 502
    assert reply.header("Content-Type").startswith("text/html")
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN
    broken = api(emulator.api_url + "/users/current", tok)
    assert (broken.status, broken.text, broken.header("Content-Type")) == (
        200,
        "{oops",
        "application/json",
    )
    assert api(emulator.api_url + "/users/current", tok).status == 200


def test_api_fault_429_uses_ilert_body(emulator):
    tok = access_token(emulator)["access_token"]
    emulator.faults.add("api", status=429)
    reply = api(emulator.api_url + "/alerts", tok)
    assert reply.status == 429
    assert reply.json()["code"] == "TOO_MANY_REQUESTS"


def test_hang_delays_then_answers(emulator):
    emulator.faults.add("token_info", hang=0.3)
    start = time.monotonic()
    reply = post(emulator.token_info_url, {"token": "x"})
    assert time.monotonic() - start >= 0.3
    assert reply.json() == {"active": False}


def test_hang_times_out_a_client_and_reset_releases_it(emulator):
    emulator.faults.add("revoke", hang=30, status=504)
    with pytest.raises(TimeoutError):
        post(emulator.revoke_url, {"token": "x"}, timeout=0.3)
    emulator.emu.reset()  # wakes the hanging handler
    assert post(emulator.revoke_url, {"token": "x"}).status == 200


def test_authorize_fault_is_an_html_page(emulator):
    emulator.faults.add("authorize", status=503)
    reply = get(emulator.authorize_url)
    assert reply.status == 503
    assert reply.header("Content-Type").startswith("text/html")


def test_preflights_are_not_faulted(emulator):
    emulator.faults.add("token", status=500)
    reply = request(
        "OPTIONS",
        emulator.token_url,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert reply.status == 204
    assert post(emulator.token_url, {}).status == 500


def test_fault_validation(emulator):
    with pytest.raises(ValueError):
        emulator.faults.add("nope")
    with pytest.raises(ValueError):
        emulator.faults.add("api", count=0)


# -- data ----------------------------------------------------------------------------------


def test_set_data_serves_hostile_content_verbatim(emulator):
    tok = access_token(emulator)["access_token"]
    data = json.loads(json.dumps(emulator.emu._data_source))
    data["alertSources"][0]["name"] = "<img src=x onerror=alert(1)>"
    emulator.set_data(data)
    sources = api(emulator.api_url + "/alert-sources", tok).json()
    assert sources[0]["name"] == "<img src=x onerror=alert(1)>"


def test_set_data_rejects_garbage(emulator):
    with pytest.raises(ValueError):
        emulator.set_data({"users": []})
    with pytest.raises(ValueError):
        emulator.set_data({"tenant": {"name": "x"}, "alerts": {}})


def test_relative_times():
    assert resolve_times("@now", 0) == "1970-01-01T00:00:00Z"
    assert resolve_times("@now-1h30m", 7200) == "1970-01-01T00:30:00Z"
    assert resolve_times(["@now+1d"], 0) == ["1970-01-02T00:00:00Z"]
    assert resolve_times("@nowhere", 0) == "@nowhere"
    assert load_tenant({"tenant": {"name": "Demo"}}, 0)["tenant"] == {"name": "demo", "id": 1}


def test_data_and_apps_from_files(tmp_path):
    data = json.loads((ROOT / "ilert_emulator/data/demo.json").read_text(encoding="utf-8"))
    data["tenant"]["name"] = "acme"
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    apps = tmp_path / "apps.json"
    apps.write_text(
        json.dumps(
            {
                "apps": [
                    {"client_id": "mine", "name": "Mine", "redirect_uris": ["http://localhost:1/"]}
                ]
            }
        ),
        encoding="utf-8",
    )
    emu = Emulator(data=path, apps=apps)
    assert emu.state.tenant["name"] == "acme"
    assert emu.demo_client_id == "mine"


# -- admin endpoints -----------------------------------------------------------------------


def admin(emulator, method: str, name: str, body=None):
    return request(
        method, f"{emulator.url}/_emulator/{name}", json_body=body if body is not None else {}
    )


def test_admin_endpoints_map_to_the_python_api(emulator):
    tokens = access_token(emulator)
    before = emulator.clock.now()
    assert admin(emulator, "POST", "clock", {"advance": 100}).status == 200
    assert emulator.clock.now() - before >= 100
    assert admin(emulator, "POST", "rate-limit", {"limit": 5}).json() == {"limit": 5}
    assert emulator.rate_limiter.limit == 5
    assert admin(emulator, "POST", "faults", {"endpoint": "api", "status": 503}).status == 200
    assert api(emulator.api_url + "/users/current", tokens["access_token"]).status == 503
    reply = admin(emulator, "POST", "revoke-grants", {"username": "alice", "access_tokens": True})
    assert reply.json()["revoked"] >= 2
    assert api(emulator.api_url + "/users/current", tokens["access_token"]).status == 401
    data = json.loads(json.dumps(emulator.emu._data_source))
    data["users"][0]["firstName"] = "Alicia"
    assert admin(emulator, "PUT", "data", data).status == 200
    assert emulator.state.user("alice")["firstName"] == "Alicia"
    code = admin(
        emulator,
        "POST",
        "issue-code",
        {
            "client_id": emulator.client_id,
            "redirect_uri": emulator.redirect_uri,
            "scope": "profile",
            "code_challenge": "A" * 43,
        },
    ).json()["code"]
    assert code in emulator.state.codes
    state = admin(emulator, "GET", "state").json()
    assert state["demo_client_id"] == "ilert-pkce-demo"
    assert admin(emulator, "POST", "reset").status == 200
    assert emulator.rate_limiter.limit == 700
    assert emulator.state.user("alice")["firstName"] == "Alice"


def test_admin_bad_input_is_400(emulator):
    assert admin(emulator, "POST", "faults", {"endpoint": "nope"}).status == 400
    assert admin(emulator, "POST", "clock", {"advance": -5}).status == 400
    assert admin(emulator, "PUT", "data", {"no": "tenant"}).status == 400
    assert admin(emulator, "GET", "reset").status == 405
    assert admin(emulator, "POST", "unknown").status == 404


def test_admin_endpoints_are_off_by_default():
    with Emulator().serve() as handle:
        reply = request("POST", f"{handle.url}/_emulator/reset", json_body={})
    assert reply.status == 404


# -- server and CLI ------------------------------------------------------------------------


def test_serve_reports_localhost_url_and_busy_port():
    emu = Emulator()
    with emu.serve(host="127.0.0.1", port=0) as handle:
        assert handle.url == f"http://localhost:{handle.port}"
        assert handle.tenant_url() == f"http://demo.localhost:{handle.port}"
        with pytest.raises(OSError) as info:
            emu.serve(host="127.0.0.1", port=handle.port)
        assert info.value.errno == 98 or "in use" in str(info.value).lower()


def test_cli_busy_port_gives_one_clear_line():
    _, result = run_on_busy_port("-m", "ilert_emulator")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "already in use" in lines[0]


def test_index_page(emulator):
    reply = get(emulator.url + "/")
    assert reply.status == 200
    assert "ilert-pkce-demo" in reply.text


def test_cli_prints_url_and_client_id():
    with emulator_cli("--quiet") as process:
        first = process.stdout.readline()
        second = process.stdout.readline()
    assert first.startswith("ilert emulator running at http://localhost:")
    assert second.strip() == "demo app client_id: ilert-pkce-demo"


def test_concurrent_requests_share_one_consistent_state(emulator):
    from concurrent.futures import ThreadPoolExecutor

    tok = access_token(emulator)["access_token"]
    emulator.set_rate_limit(30)
    emulator.clock.advance(60 - emulator.clock.now() % 60 + 0.5)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(
            pool.map(lambda _: api(emulator.api_url + "/alerts/count", tok).status, range(50))
        )
    assert statuses.count(200) == 30
    assert statuses.count(429) == 20
