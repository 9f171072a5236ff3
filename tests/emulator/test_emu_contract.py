"""ilert's documented behaviours, section by section (docs/ilert.md), each checked over HTTP.

Behaviours already covered elsewhere are named here so this file reads as the checklist:
- authorize: error page for unknown client / redirect URI (test_emu_authorize), errors
  redirect with ``error``/``error_description``/``state``, codes of 28 hex characters,
  consent lists the scopes; tenant host skips the login when signed in.
- token: contract shape, claims, refresh shape, no refresh token without offline_access,
  code 2 minutes and single use, invalid_grant 401 cases (test_emu_token); redirect_uri
  optional but matching, refresh as documented, PKCE without the secret
  (test_emu_refresh_modes); token_info shape and ``{"active": false}``; revoke 200 empty also
  for unknown tokens, revoked refresh token -> invalid_grant, access token lives on.
- scopes: test_emu_scopes_agree and test_emu_api.
- API: error shape, users/current, alert sources, PUT full object, alerts filters and count,
  accept/resolve, on-calls, schedules (test_emu_api); rate limit 429 until the next window.
This file adds what those leave out.
"""

from __future__ import annotations

import pytest
from emu_http import api, authorize_url, get, post

ORIGIN = "http://localhost:4597"


def tokens(emulator, scope: str = "profile offline_access", username: str = "alice") -> dict:
    reply = post(emulator.token_url, emulator.code_form(scope, username=username))
    assert reply.status == 200, reply.text
    return reply.json()


def swap_host(url: str, host: str) -> str:
    return url.replace("//localhost:", f"//{host}:", 1)


# -- 1. endpoints: app.ilert.com and api.ilert.com both serve /api/... ---------------------------


@pytest.mark.parametrize("host", ["app.localhost", "api.localhost"])
def test_both_generic_hosts_serve_token_and_api(emulator, host):
    form = emulator.code_form()
    reply = post(swap_host(emulator.token_url, host), form, headers={"Origin": ORIGIN})
    assert reply.status == 200
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN  # the browser may read it
    access = reply.json()["access_token"]
    assert api(swap_host(emulator.api_url, host) + "/users/current", access).status == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:4597",  # no trailing slash
        "http://localhost:4597/?x=1",
        "http://LOCALHOST:4597/",
        "http://localhost:4598/",
        "https://localhost:4597/",
    ],
)
def test_redirect_uri_must_match_exactly(emulator, redirect_uri):
    reply = get(authorize_url(emulator, redirect_uri=redirect_uri, scope="profile", state=None))
    assert reply.status == 400
    assert reply.location is None  # never a redirect to an unregistered URI


# -- token errors: ilert's shape and statuses ----------------------------------------------------


def test_token_error_statuses(emulator):
    form = emulator.code_form()
    cases = {
        "invalid_request": ({**form, "code": ""}, 400),
        "unsupported_grant_type": ({**form, "grant_type": "password"}, 400),
        "invalid_grant": ({**form, "code": "0" * 28}, 401),
    }
    for code, (body, status) in cases.items():
        reply = post(emulator.token_url, body)
        assert reply.status == status, code
        assert set(reply.json()) == {"code", "error"}  # ilert's shape, not RFC 6749's
        assert reply.json()["code"] == code
    emulator.faults.add("token", status=500)
    failed = post(emulator.token_url, form)
    assert (failed.status, failed.json()["code"]) == (500, "server_error")


def test_refresh_token_only_with_offline_access_or_secret(emulator):
    assert "refresh_token" not in tokens(emulator, "profile")
    with_offline = tokens(emulator, "profile offline_access")
    assert with_offline["refresh_token"]
    assert with_offline["refresh_token_expires_in"] == 31536000
    secret_app = "ilert-server-demo"
    code = emulator.issue_code(secret_app, "http://localhost:4599/oauth/callback", "profile", None)
    reply = post(
        emulator.token_url,
        {
            "grant_type": "authorization_code",
            "client_id": secret_app,
            "client_secret": "demo-server-secret-not-for-production",
            "code": code,
        },
    )
    assert reply.json()["refresh_token"]


# -- revoke: what a standard client sends is accepted ---------------------------------------------


def test_revoke_accepts_client_id_and_token_type_hint(emulator):
    body = tokens(emulator)
    reply = post(
        emulator.revoke_url,
        {
            "token": body["refresh_token"],
            "client_id": emulator.client_id,
            "token_type_hint": "refresh_token",
        },
        headers={"Origin": ORIGIN},
    )
    assert (reply.status, reply.body) == (200, b"")
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN
    refused = post(
        emulator.token_url,
        {
            "grant_type": "refresh_token",
            "client_id": emulator.client_id,
            "refresh_token": body["refresh_token"],
        },
    )
    assert (refused.status, refused.json()["code"]) == (401, "invalid_grant")


def test_revoking_an_access_token_leaves_it_valid(emulator):
    body = tokens(emulator)
    hint = {"token_type_hint": "access_token", "client_id": emulator.client_id}
    assert post(emulator.revoke_url, {"token": body["access_token"], **hint}).status == 200
    assert api(emulator.api_url + "/users/current", body["access_token"]).status == 200


# -- 2. lifetimes ----------------------------------------------------------------------------------


def test_access_token_lives_one_hour(emulator):
    body = tokens(emulator)
    assert body["expires_in"] == 3600
    emulator.clock.advance(3590)
    assert api(emulator.api_url + "/users/current", body["access_token"]).status == 200
    emulator.clock.advance(11)
    expired = api(emulator.api_url + "/users/current", body["access_token"])
    assert expired.status == 401
    assert set(expired.json()) == {"status", "message", "code"}
    # ... and the refresh token (one year) gets a new one.
    again = post(
        emulator.token_url,
        {
            "grant_type": "refresh_token",
            "client_id": emulator.client_id,
            "refresh_token": body["refresh_token"],
        },
    )
    assert again.status == 200
    assert api(emulator.api_url + "/users/current", again.json()["access_token"]).status == 200


def test_refresh_token_lives_one_year(emulator):
    body = tokens(emulator)
    emulator.clock.advance(31536000 - 60)
    form = {"grant_type": "refresh_token", "client_id": emulator.client_id}
    assert post(emulator.token_url, {**form, "refresh_token": body["refresh_token"]}).status == 200


# -- 4. paging: the documented maximum page sizes -------------------------------------------------

MAXIMA = {
    "/alert-sources": ("alertSources", 50, "source"),
    "/escalation-policies": ("escalationPolicies", 50, "policy"),
    "/alerts": ("alerts", 100, "alert"),
    "/users": ("users", 100, "user"),
    "/teams": ("teams", 100, "team"),
    "/schedules": ("schedules", 20, "schedule"),
    "/on-calls": ("onCalls", 250, "schedule"),
}


@pytest.mark.parametrize("path", list(MAXIMA))
def test_maximum_page_sizes(emulator, path):
    key, maximum, scope = MAXIMA[path]
    data = emulator.emu._data_source
    template = data[key][0]
    many = [dict(template, id=100000 + i) for i in range(maximum + 7)]
    emulator.set_data(dict(data, **{key: many}))
    access = tokens(emulator, scope)["access_token"]
    first = api(f"{emulator.api_url}{path}?max-results=1000", access)
    assert first.status == 200
    assert isinstance(first.json(), list)  # a bare array, no total
    assert len(first.json()) == maximum
    assert len(api(f"{emulator.api_url}{path}", access).json()) == maximum  # the default
    rest = api(f"{emulator.api_url}{path}?start-index={maximum}&max-results=1000", access)
    assert len(rest.json()) == 7


# -- 5. rate limit: fixed one-minute windows, no rate-limit headers --------------------------------


def test_429_has_no_rate_limit_headers_and_ends_with_the_window(emulator):
    access = tokens(emulator)["access_token"]
    emulator.set_rate_limit(2)
    emulator.clock.advance(60 - emulator.clock.now() % 60 + 0.5)
    for _ in range(2):
        assert api(emulator.api_url + "/users/current", access).status == 200
    emulator.clock.advance(50)  # still the same window: no sliding, no refill
    reply = api(emulator.api_url + "/users/current", access, headers={"Origin": ORIGIN})
    assert reply.status == 429
    assert reply.json()["code"] == "TOO_MANY_REQUESTS"
    assert reply.header("Access-Control-Allow-Origin") == ORIGIN
    names = {name.lower() for name in reply.headers}
    assert "retry-after" not in names
    assert not any("ratelimit" in name or "rate-limit" in name for name in names)
    emulator.clock.advance(10)
    assert api(emulator.api_url + "/users/current", access).status == 200
