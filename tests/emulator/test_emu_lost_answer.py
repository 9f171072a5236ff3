"""The "lost answer" fault: the emulator does the work, then the answer never arrives intact.

A code is redeemed, a refresh done, a token revoked, an alert resolved - and the client gets a
502 (or any status) in ilert's error shape, or a connection closed without an HTTP answer.
"""

from __future__ import annotations

import http.client
import json
import urllib.request

import pytest
from emu_http import api, post

ORIGIN = "http://localhost:4597"


def tokens(emulator, scope: str = "profile alert:w offline_access") -> dict:
    reply = post(emulator.token_url, emulator.code_form(scope))
    assert reply.status == 200, reply.text
    return reply.json()


def test_code_is_redeemed_although_the_answer_is_a_502(emulator):
    emulator.faults.add("token", after_work=True)
    form = emulator.code_form()
    lost = post(emulator.token_url, form, headers={"Origin": ORIGIN})
    assert lost.status == 502
    assert lost.json() == {"code": "server_error", "error": lost.json()["error"]}
    assert lost.header("Access-Control-Allow-Origin") == ORIGIN
    assert lost.header("Cache-Control") == "no-store"
    again = post(emulator.token_url, form)  # the code was spent by the lost call
    assert (again.status, again.json()["code"]) == (401, "invalid_grant")
    assert "already been used" in again.json()["error"]


def test_status_is_configurable_and_count_applies(emulator):
    emulator.faults.add("token", after_work=True, status=504, count=2)
    assert post(emulator.token_url, emulator.code_form()).status == 504
    assert post(emulator.token_url, emulator.code_form()).status == 504
    assert post(emulator.token_url, emulator.code_form()).status == 200


def test_dropped_connection_after_the_code_is_redeemed(emulator):
    emulator.faults.add("token", after_work=True, drop=True)
    form = emulator.code_form()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        post(emulator.token_url, form)
    again = post(emulator.token_url, form)
    assert (again.status, again.json()["code"]) == (401, "invalid_grant")


def test_lost_refresh_answer_the_refresh_still_happened(emulator):
    first = tokens(emulator)
    emulator.faults.add("token", after_work=True)
    form = {
        "grant_type": "refresh_token",
        "client_id": emulator.client_id,
        "refresh_token": first["refresh_token"],
    }
    assert post(emulator.token_url, form).status == 502
    # The refresh was done: a second refresh token was minted for alice and the app.
    assert len(emulator.tokens.refresh) == 2


def test_alert_resolved_although_the_answer_is_lost(emulator):
    tok = tokens(emulator)["access_token"]
    emulator.faults.add("api", after_work=True)
    lost = api(emulator.api_url + "/alerts/5001/resolve", tok, method="PUT")
    assert lost.status == 502
    assert set(lost.json()) == {"status", "message", "code"}
    assert lost.json()["code"] == "BAD_GATEWAY"
    assert api(emulator.api_url + "/alerts/5001", tok).json()["status"] == "RESOLVED"


def test_revoke_done_then_dropped(emulator):
    refresh = tokens(emulator)["refresh_token"]
    emulator.faults.add("revoke", after_work=True, drop=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        post(emulator.revoke_url, {"token": refresh, "client_id": emulator.client_id})
    form = {"grant_type": "refresh_token", "client_id": emulator.client_id}
    refused = post(emulator.token_url, {**form, "refresh_token": refresh})
    assert (refused.status, refused.json()["code"]) == (401, "invalid_grant")


def test_token_info_lost_answer(emulator):
    access = tokens(emulator)["access_token"]
    emulator.faults.add("token_info", after_work=True, status=503)
    assert post(emulator.token_info_url, {"token": access}).status == 503
    assert post(emulator.token_info_url, {"token": access}).json()["active"] is True


def test_drop_without_after_work_does_no_work(emulator):
    emulator.faults.add("token", drop=True)
    form = emulator.code_form()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        post(emulator.token_url, form)
    assert post(emulator.token_url, form).status == 200  # the code was not spent


def test_validation(emulator):
    with pytest.raises(ValueError):
        emulator.faults.add("authorize", after_work=True)
    with pytest.raises(ValueError):
        emulator.faults.add("token", after_work=True, drop=True, status=502)


def _admin(emulator, path: str, payload: object) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"{emulator.url}/_emulator/{path}",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_admin_endpoint_status_and_drop(emulator):
    assert (
        _admin(emulator, "faults", {"endpoint": "token", "after_work": True, "status": 502})[0]
        == 200
    )
    form = emulator.code_form()
    assert post(emulator.token_url, form).status == 502
    assert post(emulator.token_url, form).status == 401
    status, _ = _admin(emulator, "faults", {"endpoint": "token", "after_work": True, "drop": True})
    assert status == 200
    form = emulator.code_form()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        post(emulator.token_url, form)
    assert post(emulator.token_url, form).status == 401
    status, body = _admin(emulator, "faults", {"endpoint": "token", "after_work": "yes"})
    assert status == 400 and "after_work" in body["error"]
