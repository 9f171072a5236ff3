"""Refresh and code exchange as ilert documents them, and the two strict modes.

Default: a refresh returns a new refresh token and the used one stays valid (at most 10 per app
and user, the oldest revoked beyond that); ``redirect_uri`` may be left out of the exchange but
must match when sent. ``strict_rotation`` revokes a used refresh token at once;
``require_redirect_uri`` refuses an exchange without it. Both switch at run time through
POST /_emulator/modes, and reset() restores the start-up modes.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from emu_http import Browser, api, post

from ilert_emulator import Emulator
from ilert_emulator.testing import challenge_for

# ilert's sample web app (plain HTML + JavaScript), as published.
SAMPLE_CLIENT = "ilert-sample-webapp"
SAMPLE_REDIRECT = "http://localhost:4597/webapp"
SAMPLE_SCOPE = "profile source:w offline_access"
SAMPLE_APPS = {
    "apps": [
        {
            "client_id": SAMPLE_CLIENT,
            "name": "ilert sample web app",
            "redirect_uris": [SAMPLE_REDIRECT],
            "origins": ["http://localhost:4597"],
        }
    ]
}


def admin(base: str, path: str, payload: object) -> dict:
    req = urllib.request.Request(
        f"{base}/_emulator/{path}",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def refresh(token_url: str, client_id: str, token: str):
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}
    return post(token_url, form)


def sample_webapp_flow(base: str) -> list[tuple[str, int]]:
    """ilert's sample SPA, step by step: sign in, exchange (no redirect_uri), fetch data,
    "Refresh token" twice - each time with the ORIGINAL refresh token, as the sample keeps it
    - fetch data, revoke. Returns (step, status) pairs; stops at the first failure."""
    steps: list[tuple[str, int]] = []
    verifier = secrets.token_hex(28)  # 56 hex characters, as the sample
    query = urlencode(
        {
            "client_id": SAMPLE_CLIENT,
            "response_type": "code",
            "redirect_uri": SAMPLE_REDIRECT,
            "scope": SAMPLE_SCOPE,
            "state": "state",  # the sample's fixed state
            "code_challenge": challenge_for(verifier),
            "code_challenge_method": "S256",
        }
    )
    browser = Browser()
    login = browser.open(f"{base}/api/developers/oauth2/authorize?{query}")
    consent = browser.click(login, "Continue as Alice Meier")
    done = browser.click(consent, "Approve")
    code = done.location_query()["code"]
    token_url = f"{base}/api/developers/oauth2/token"
    exchange = post(
        token_url,
        {
            "grant_type": "authorization_code",
            "client_id": SAMPLE_CLIENT,
            "code": code,
            "code_verifier": verifier,
        },
    )
    steps.append(("exchange", exchange.status))
    if exchange.status != 200:
        return steps
    original = exchange.json()
    steps.append(("fetch", api(f"{base}/api/users/current", original["access_token"]).status))
    access = original["access_token"]
    for step in ("refresh 1", "refresh 2"):
        reply = refresh(token_url, SAMPLE_CLIENT, original["refresh_token"])
        steps.append((step, reply.status))
        if reply.status != 200:
            assert reply.json()["code"] == "invalid_grant"
            return steps
        access = reply.json()["access_token"]
    steps.append(("fetch again", api(f"{base}/api/users/current", access).status))
    revoke = post(f"{base}/api/developers/oauth2/revoke", {"token": original["refresh_token"]})
    steps.append(("revoke", revoke.status))
    return steps


@pytest.fixture
def sample_server():
    emu = Emulator(apps=SAMPLE_APPS, test_controls=True)
    handle = emu.serve(port=0)
    try:
        yield emu, handle.url
    finally:
        handle.stop()


def test_ilert_sample_webapp_flow_passes_by_default(sample_server):
    _, base = sample_server
    assert sample_webapp_flow(base) == [
        ("exchange", 200),
        ("fetch", 200),
        ("refresh 1", 200),
        ("refresh 2", 200),
        ("fetch again", 200),
        ("revoke", 200),
    ]


def test_ilert_sample_webapp_flow_fails_in_strict_rotation(sample_server):
    emu, base = sample_server
    assert admin(base, "modes", {"strict_rotation": True}) == {
        "strict_rotation": True,
        "require_redirect_uri": False,
    }
    assert sample_webapp_flow(base) == [
        ("exchange", 200),
        ("fetch", 200),
        ("refresh 1", 200),
        ("refresh 2", 401),
    ]
    admin(base, "reset", {})
    assert emu.modes.strict_rotation is False
    assert sample_webapp_flow(base)[-1] == ("revoke", 200)


def test_strict_rotation_from_the_constructor_survives_reset():
    emu = Emulator(strict_rotation=True, require_redirect_uri=True)
    emu.set_modes(strict_rotation=False, require_redirect_uri=False)
    emu.reset()
    assert (emu.modes.strict_rotation, emu.modes.require_redirect_uri) == (True, True)


def tokens_for(emulator, scope: str = "profile offline_access") -> dict:
    reply = post(emulator.token_url, emulator.code_form(scope))
    assert reply.status == 200, reply.text
    return reply.json()


def test_strict_rotation_revokes_the_used_token_only(emulator):
    emulator.set_modes(strict_rotation=True)
    first = tokens_for(emulator)
    second = refresh(emulator.token_url, emulator.client_id, first["refresh_token"])
    assert second.status == 200
    reused = refresh(emulator.token_url, emulator.client_id, first["refresh_token"])
    assert (reused.status, reused.json()["code"]) == (401, "invalid_grant")
    new = second.json()["refresh_token"]
    assert refresh(emulator.token_url, emulator.client_id, new).status == 200
    # The access token from the first grant still works (only refresh tokens are revoked).
    assert api(emulator.api_url + "/users/current", first["access_token"]).status == 200


def test_default_refresh_chain_keeps_at_most_ten(emulator):
    first = tokens_for(emulator)
    issued = [first["refresh_token"]]
    for _ in range(10):  # refresh with the newest each time
        reply = refresh(emulator.token_url, emulator.client_id, issued[-1])
        assert reply.status == 200
        issued.append(reply.json()["refresh_token"])
    # 11 minted for alice and this app: the oldest (the original) was revoked.
    gone = refresh(emulator.token_url, emulator.client_id, issued[0])
    assert (gone.status, gone.json()["code"]) == (401, "invalid_grant")
    assert refresh(emulator.token_url, emulator.client_id, issued[1]).status == 200


# -- redirect_uri at the token endpoint --------------------------------------------------------


def exchange(emulator, **extra: str):
    code, verifier = emulator.code()
    form = {
        "grant_type": "authorization_code",
        "client_id": emulator.client_id,
        "code": code,
        "code_verifier": verifier,
        **extra,
    }
    return post(emulator.token_url, form)


def test_redirect_uri_optional_by_default(emulator):
    assert exchange(emulator).status == 200
    assert exchange(emulator, redirect_uri=emulator.redirect_uri).status == 200
    wrong = exchange(emulator, redirect_uri="http://localhost:4597/other")
    assert (wrong.status, wrong.json()["code"]) == (401, "invalid_grant")


def test_require_redirect_uri_mode(emulator):
    admin(emulator.url, "modes", {"require_redirect_uri": True})
    missing = exchange(emulator)
    assert (missing.status, missing.json()["code"]) == (400, "invalid_request")
    assert "redirect_uri" in missing.json()["error"]
    assert exchange(emulator, redirect_uri=emulator.redirect_uri).status == 200
    wrong = exchange(emulator, redirect_uri="http://localhost:4597/other")
    assert (wrong.status, wrong.json()["code"]) == (401, "invalid_grant")
    emulator.emu.reset()
    assert exchange(emulator).status == 200


def test_modes_endpoint_validates(emulator):
    for payload in ({"strict_rotation": "yes"}, {"nonsense": True}):
        with pytest.raises(urllib.error.HTTPError) as info:
            admin(emulator.url, "modes", payload)
        assert info.value.code == 400
    state = json.loads(urllib.request.urlopen(emulator.url + "/_emulator/state").read())
    assert state["modes"] == {"strict_rotation": False, "require_redirect_uri": False}


# -- PKCE without the secret, for an app that has one --------------------------------------------

SERVER_APP = "ilert-server-demo"
SERVER_REDIRECT = "http://localhost:4599/oauth/callback"
SERVER_SECRET = "demo-server-secret-not-for-production"


def server_code(emulator, scope: str, pkce: bool) -> tuple[str, str | None]:
    verifier = secrets.token_hex(32) if pkce else None
    challenge = challenge_for(verifier) if verifier else None
    return emulator.issue_code(SERVER_APP, SERVER_REDIRECT, scope, challenge), verifier


def test_pkce_exchange_without_secret_for_a_confidential_app(emulator):
    code, verifier = server_code(emulator, "profile", pkce=True)
    form = {"grant_type": "authorization_code", "client_id": SERVER_APP, "code": code}
    reply = post(emulator.token_url, {**form, "code_verifier": verifier})
    assert reply.status == 200, reply.text
    body = reply.json()
    # No secret and no offline_access: no refresh token (ilert's rule).
    assert "refresh_token" not in body
    assert api(emulator.api_url + "/users/current", body["access_token"]).status == 200


def test_pkce_without_secret_with_offline_access_can_refresh(emulator):
    code, verifier = server_code(emulator, "profile offline_access", pkce=True)
    form = {"grant_type": "authorization_code", "client_id": SERVER_APP, "code": code}
    body = post(emulator.token_url, {**form, "code_verifier": verifier}).json()
    again = refresh(emulator.token_url, SERVER_APP, body["refresh_token"])
    assert again.status == 200, again.text


def test_without_pkce_the_secret_is_still_required(emulator):
    code, _ = server_code(emulator, "profile", pkce=False)
    form = {"grant_type": "authorization_code", "client_id": SERVER_APP, "code": code}
    reply = post(emulator.token_url, form)
    assert (reply.status, reply.json()["code"]) == (401, "invalid_client")
    # A secret-authenticated grant's refresh token needs the secret again.
    body = post(emulator.token_url, {**form, "client_secret": SERVER_SECRET}).json()
    without = refresh(emulator.token_url, SERVER_APP, body["refresh_token"])
    assert (without.status, without.json()["code"]) == (401, "invalid_client")
    with_secret = post(
        emulator.token_url,
        {
            "grant_type": "refresh_token",
            "client_id": SERVER_APP,
            "client_secret": SERVER_SECRET,
            "refresh_token": body["refresh_token"],
        },
    )
    assert with_secret.status == 200


def test_pkce_with_a_wrong_secret_is_refused(emulator):
    code, verifier = server_code(emulator, "profile", pkce=True)
    form = {
        "grant_type": "authorization_code",
        "client_id": SERVER_APP,
        "code": code,
        "code_verifier": verifier,
        "client_secret": "wrong",
    }
    reply = post(emulator.token_url, form)
    assert (reply.status, reply.json()["code"]) == (401, "invalid_client")


def test_code_is_28_hex(emulator):
    code, _ = emulator.code()
    assert re.fullmatch(r"[0-9a-f]{28}", code)
