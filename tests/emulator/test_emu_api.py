"""The REST API: auth, scopes, shapes, paging, filters, writes and the rate limit."""

from __future__ import annotations

import pytest
from emu_http import api, post

USER_FIELDS = {
    "id",
    "username",
    "firstName",
    "lastName",
    "email",
    "timezone",
    "position",
    "department",
    "avatarUrl",
    "language",
    "region",
    "role",
    "shiftColor",
    "mutedUntil",
    "createdAt",
    "updatedAt",
}
SOURCE_FIELDS = {
    "id",
    "name",
    "integrationType",
    "integrationKey",
    "status",
    "active",
    "escalationPolicy",
    "teams",
    "alertCreation",
    "autoResolutionTimeout",
    "createdAt",
    "updatedAt",
}
ALERT_FIELDS = {
    "id",
    "summary",
    "details",
    "reportTime",
    "resolvedOn",
    "status",
    "priority",
    "alertKey",
    "alertSource",
    "responders",
}
ALL = "profile source:w alert:w schedule policy user team"


def token(emulator, scope: str = ALL, username: str = "alice") -> str:
    reply = post(emulator.token_url, emulator.code_form(scope, username=username))
    assert reply.status == 200, reply.text
    return reply.json()["access_token"]


def get_json(emulator, path: str, tok: str, status: int = 200):
    reply = api(emulator.api_url + path, tok)
    assert reply.status == status, reply.text
    return reply.json()


def assert_api_error(reply, status: int, code: str) -> None:
    assert reply.status == status, reply.text
    body = reply.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["message"]


# -- 401 / 403 / 404 ---------------------------------------------------------------------


def test_missing_token_is_401(emulator):
    reply = api(emulator.api_url + "/users/current", None)
    assert_api_error(reply, 401, "UNAUTHORIZED")
    assert reply.header("WWW-Authenticate").startswith("Bearer")


@pytest.mark.parametrize("value", ["Basic abc", "Bearer", "Bearer not.a.jwt", "token"])
def test_malformed_token_is_401(emulator, value):
    reply = api(emulator.api_url + "/users/current", None, headers={"Authorization": value})
    assert_api_error(reply, 401, "UNAUTHORIZED")


def test_expired_token_is_401(emulator):
    tok = token(emulator)
    assert api(emulator.api_url + "/users/current", tok).status == 200
    emulator.clock.advance(3600)
    assert_api_error(api(emulator.api_url + "/users/current", tok), 401, "UNAUTHORIZED")


def test_revoked_access_token_is_401(emulator):
    tok = token(emulator)
    emulator.revoke_grants("alice", access_tokens=True)
    assert_api_error(api(emulator.api_url + "/users/current", tok), 401, "UNAUTHORIZED")
    assert api(emulator.api_url + "/users/current", token(emulator)).status == 200


def test_tampered_token_is_401(emulator):
    head, payload, sig = token(emulator, "profile").split(".")
    forged = f"{head}.{payload}.{sig[:-4]}AAAA"
    assert api(emulator.api_url + "/users/current", forged).status == 401


def test_scope_suffix_rules(emulator):
    read_only = token(emulator, "source")
    writer = token(emulator, "source:w")
    source = get_json(emulator, "/alert-sources/4001", read_only)
    reply = api(emulator.api_url + "/alert-sources/4001", read_only, "PUT", json_body=source)
    assert_api_error(reply, 403, "FORBIDDEN")
    reply = api(emulator.api_url + "/alert-sources/4001", writer, "PUT", json_body=source)
    assert reply.status == 200, reply.text
    assert get_json(emulator, "/alert-sources", writer)


def test_scope_must_cover_the_resource(emulator):
    tok = token(emulator, "source")
    for path in ("/users/current", "/alerts", "/schedules", "/on-calls", "/users"):
        assert_api_error(api(emulator.api_url + path, tok), 403, "FORBIDDEN")
    profile = token(emulator, "profile")
    assert api(emulator.api_url + "/users/current", profile).status == 200
    assert_api_error(api(emulator.api_url + "/users/1001", profile), 403, "FORBIDDEN")


def test_delete_needs_d_and_is_then_405(emulator):
    writer = token(emulator, "source:w")
    reply = api(emulator.api_url + "/alert-sources/4001", writer, "DELETE")
    assert_api_error(reply, 403, "FORBIDDEN")
    deleter = token(emulator, "source:d")
    reply = api(emulator.api_url + "/alert-sources/4001", deleter, "DELETE")
    assert_api_error(reply, 405, "METHOD_NOT_ALLOWED")


def test_unknown_ids_and_paths_are_404(emulator):
    tok = token(emulator)
    for path in (
        "/alert-sources/999",
        "/alerts/999",
        "/alert-sources/abc",
        "/nothing-here",
        "/schedules/1",
    ):
        assert_api_error(api(emulator.api_url + path, tok), 404, "NOT_FOUND")
    reply = api(emulator.api_url + "/alerts/999/accept", tok, "PUT")
    assert_api_error(reply, 404, "NOT_FOUND")


# -- shapes and reads ----------------------------------------------------------------------


def test_current_user(emulator):
    me = get_json(emulator, "/users/current", token(emulator, "profile"))
    assert set(me) == USER_FIELDS
    assert me["username"] == "alice"
    assert (me["firstName"], me["lastName"], me["role"]) == ("Alice", "Meier", "ADMIN")
    other = get_json(emulator, "/users/current", token(emulator, "profile", username="juergen"))
    assert (other["firstName"], other["lastName"]) == ("Jürgen", "Groß")


def test_alert_sources_shape_and_states(emulator):
    sources = get_json(emulator, "/alert-sources", token(emulator))
    assert len(sources) >= 5
    for source in sources:
        assert set(source) == SOURCE_FIELDS
        assert set(source["escalationPolicy"]) == {"id", "name"}
    statuses = {s["name"]: s["status"] for s in sources}
    assert statuses["Datadog staging"] == "DISABLED"
    assert statuses["Checkout API"] == "PENDING"
    assert "ALL_ACCEPTED" in statuses.values()
    assert "ALL_RESOLVED" in statuses.values()
    assert len({s["integrationType"] for s in sources}) >= 4


def test_paging(emulator):
    tok = token(emulator)
    everything = get_json(emulator, "/alert-sources", tok)
    page = get_json(emulator, "/alert-sources?start-index=2&max-results=2", tok)
    assert page == everything[2:4]
    assert get_json(emulator, "/alert-sources?start-index=100", tok) == []
    # Above the maximum is clamped, not an error.
    assert get_json(emulator, "/alert-sources?max-results=500", tok) == everything
    reply = api(emulator.api_url + "/alerts?max-results=-1", tok)
    assert_api_error(reply, 400, "BAD_REQUEST")
    assert_api_error(api(emulator.api_url + "/alerts?start-index=x", tok), 400, "BAD_REQUEST")


def test_schedule_paging_maximum_is_20(emulator):
    data = emulator.emu._data_source
    many = [dict(data["schedules"][0], id=9000 + i) for i in range(25)]
    emulator.set_data(dict(data, schedules=many))
    tok = token(emulator)
    assert len(get_json(emulator, "/schedules?max-results=25", tok)) == 20
    assert len(get_json(emulator, "/schedules?start-index=20", tok)) == 5


def test_alerts_shape_filters_and_count(emulator):
    tok = token(emulator)
    alerts = get_json(emulator, "/alerts", tok)
    assert all(set(a) == ALERT_FIELDS for a in alerts)
    assert {a["status"] for a in alerts} == {"PENDING", "ACCEPTED", "RESOLVED"}
    times = [a["reportTime"] for a in alerts]
    assert times == sorted(times, reverse=True)
    pending = get_json(emulator, "/alerts?states=PENDING", tok)
    assert pending and all(a["status"] == "PENDING" for a in pending)
    open_ = get_json(emulator, "/alerts?states=PENDING&states=ACCEPTED", tok)
    assert {a["status"] for a in open_} == {"PENDING", "ACCEPTED"}
    by_source = get_json(emulator, "/alerts?sources=4004", tok)
    assert by_source and all(a["alertSource"]["id"] == 4004 for a in by_source)
    count = get_json(emulator, "/alerts/count?states=PENDING", tok)
    assert count == {"count": len(pending)}
    assert get_json(emulator, "/alerts/count", tok) == {"count": len(alerts)}
    assert_api_error(api(emulator.api_url + "/alerts?states=OPEN", tok), 400, "BAD_REQUEST")


def test_alerts_time_filter(emulator):
    tok = token(emulator)
    alerts = get_json(emulator, "/alerts", tok)
    newest = alerts[0]["reportTime"]
    assert get_json(emulator, f"/alerts?from={newest}", tok) == alerts[:1]
    assert newest not in [
        a["reportTime"] for a in get_json(emulator, "/alerts?until=" + alerts[1]["reportTime"], tok)
    ]
    reply = api(emulator.api_url + "/alerts?from=yesterday", tok)
    assert_api_error(reply, 400, "BAD_REQUEST")


def test_schedules_on_calls_policies(emulator):
    tok = token(emulator)
    plain = get_json(emulator, "/schedules", tok)
    assert {s["type"] for s in plain} == {"STATIC", "RECURRING"}
    assert "currentShift" not in plain[0]
    full = get_json(emulator, "/schedules?include=currentShift&include=nextShift", tok)
    assert all({"currentShift", "nextShift"} <= set(s) for s in full)
    assert full[0]["currentShift"]["start"] < full[0]["currentShift"]["end"]
    on_calls = get_json(emulator, "/on-calls", tok)
    keys = {"user", "escalationPolicy", "schedule", "start", "end", "escalationLevel"}
    assert on_calls and all(set(o) == keys for o in on_calls)
    policies = get_json(emulator, "/escalation-policies", tok)
    assert len(policies) == 3
    assert get_json(emulator, "/escalation-policies/2001", tok)["name"] == "Platform on-call"


# -- writes --------------------------------------------------------------------------------


def test_put_alert_source_replaces_and_persists(emulator):
    tok = token(emulator)
    source = get_json(emulator, "/alert-sources/4001", tok)
    source.update(name="Checkout API (renamed)", active=False)
    reply = api(emulator.api_url + "/alert-sources/4001", tok, "PUT", json_body=source)
    assert reply.status == 200
    saved = reply.json()
    assert saved["name"] == "Checkout API (renamed)"
    assert saved["status"] == "DISABLED"
    assert saved["integrationKey"] == source["integrationKey"]
    again = get_json(emulator, "/alert-sources/4001", tok)
    assert again == saved
    alerts = get_json(emulator, "/alerts?sources=4001", tok)
    assert {a["alertSource"]["name"] for a in alerts} == {"Checkout API (renamed)"}


@pytest.mark.parametrize("field", ["name", "integrationType", "escalationPolicy"])
def test_put_alert_source_requires_fields(emulator, field):
    tok = token(emulator)
    source = get_json(emulator, "/alert-sources/4001", tok)
    del source[field]
    reply = api(emulator.api_url + "/alert-sources/4001", tok, "PUT", json_body=source)
    assert_api_error(reply, 400, "BAD_REQUEST")
    assert field in reply.json()["message"]


def test_put_alert_source_rejects_bad_bodies(emulator):
    tok = token(emulator)
    url = emulator.api_url + "/alert-sources/4001"
    assert_api_error(api(url, tok, "PUT", body=b"{oops"), 400, "BAD_REQUEST")
    source = get_json(emulator, "/alert-sources/4001", tok)
    source["escalationPolicy"] = {"id": 1}
    assert_api_error(api(url, tok, "PUT", json_body=source), 400, "BAD_REQUEST")
    source["escalationPolicy"] = {"id": 2002}
    source["active"] = "no"
    assert_api_error(api(url, tok, "PUT", json_body=source), 400, "BAD_REQUEST")


def test_accept_and_resolve(emulator):
    tok = token(emulator, "alert:w", username="juergen")
    accepted = api(emulator.api_url + "/alerts/5001/accept", tok, "PUT")
    assert accepted.status == 200
    body = accepted.json()
    assert body["status"] == "ACCEPTED"
    assert body["responders"][-1]["user"]["username"] == "juergen"
    resolved = api(emulator.api_url + "/alerts/5001/resolve", tok, "PUT").json()
    assert resolved["status"] == "RESOLVED"
    assert resolved["resolvedOn"]
    assert get_json(emulator, "/alerts/5001", tok)["status"] == "RESOLVED"
    again = api(emulator.api_url + "/alerts/5001/accept", tok, "PUT")
    assert_api_error(again, 400, "BAD_REQUEST")
    read_only = token(emulator, "alert")
    reply = api(emulator.api_url + "/alerts/5002/resolve", read_only, "PUT")
    assert_api_error(reply, 403, "FORBIDDEN")


def test_reset_restores_data(emulator):
    tok = token(emulator, "alert:w")
    api(emulator.api_url + "/alerts/5001/resolve", tok, "PUT")
    emulator.emu.reset()
    assert get_json(emulator, "/alerts/5001", token(emulator, "alert"))["status"] == "PENDING"


# -- rate limit ----------------------------------------------------------------------------


def test_rate_limit_429_until_next_window(emulator):
    tok = token(emulator)
    emulator.set_rate_limit(3)
    emulator.clock.advance(60 - emulator.clock.now() % 60 + 0.5)  # start of a fresh window
    for _ in range(3):
        assert api(emulator.api_url + "/users/current", tok).status == 200
    reply = api(emulator.api_url + "/users/current", tok)
    assert_api_error(reply, 429, "TOO_MANY_REQUESTS")
    assert reply.header("Retry-After") is None
    # Unauthenticated calls count too, and stay refused.
    assert api(emulator.api_url + "/users/current", None).status == 429
    emulator.clock.advance(60)
    assert api(emulator.api_url + "/users/current", tok).status == 200
