"""The token, token_info and revoke endpoints over real HTTP."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from emu_http import api, post, request

from ilert_emulator.testing import pkce_pair


def exchange(emulator, code: str, verifier: str, **extra: str):
    form = {
        "grant_type": "authorization_code",
        "client_id": emulator.client_id,
        "code": code,
        "code_verifier": verifier,
    }
    form.update(extra)
    return post(emulator.token_url, form)


def refresh(emulator, token: str, client_id: str | None = None):
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id or emulator.client_id,
        "refresh_token": token,
    }
    return post(emulator.token_url, form)


def tokens_for(emulator, scope: str = "profile offline_access", username: str = "alice") -> dict:
    code, verifier = emulator.code(scope, username=username)
    reply = exchange(emulator, code, verifier)
    assert reply.status == 200, reply.text
    return reply.json()


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def assert_oauth_error(reply, status: int, code: str) -> None:
    assert reply.status == status, reply.text
    body = reply.json()
    assert body["code"] == code
    assert isinstance(body["error"], str) and body["error"]


# -- code exchange -------------------------------------------------------------------------


def test_happy_path_returns_contract_shape(emulator):
    code, verifier = emulator.code("profile source:w offline_access")
    reply = exchange(emulator, code, verifier)
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.header("Cache-Control") == "no-store"
    body = reply.json()
    assert set(body) == {
        "token_type",
        "access_token",
        "expires_in",
        "scope",
        "refresh_token",
        "refresh_token_expires_in",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token_expires_in"] == 31536000
    assert body["scope"] == "profile source:w offline_access"


def test_access_token_claims_are_ilerts(emulator):
    body = tokens_for(emulator, "profile source:w offline_access")
    access = claims(body["access_token"])
    assert header(body["access_token"]) == {"alg": "RS256", "typ": "JWT"}
    assert set(access) == {"il_n", "il_a", "il_s", "iss", "il_u", "il_t", "il_v", "exp"}
    assert access["il_t"] == "ACCESS"
    assert access["iss"] == "ilert"
    assert access["il_u"] == "alice"
    assert access["il_s"] == "profile source:w offline_access"
    assert access["il_v"] == 1
    assert access["il_a"] == 250
    assert access["il_n"] == "5cf"
    assert abs(access["exp"] - (emulator.clock.now() + 3600)) < 5
    # The signature is real RS256 with the emulator's key.
    verified = jwt.decode(
        body["access_token"],
        emulator.tokens.public_key,
        algorithms=["RS256"],
        options={"verify_exp": False},
    )
    assert verified == access
    refresh_claims = claims(body["refresh_token"])
    assert header(body["refresh_token"])["alg"] == "HS256"
    assert refresh_claims["il_t"] == "OAUTH"
    assert refresh_claims["il_k"]
    assert abs(refresh_claims["exp"] - (emulator.clock.now() + 31536000)) < 5


def test_no_refresh_token_without_offline_access(emulator):
    body = tokens_for(emulator, "profile source")
    assert "refresh_token" not in body
    assert "refresh_token_expires_in" not in body
    assert body["scope"] == "profile source"


def test_wrong_verifier_is_invalid_grant_and_keeps_the_code(emulator):
    code, verifier = emulator.code()
    other, _ = pkce_pair()
    assert_oauth_error(exchange(emulator, code, other), 401, "invalid_grant")
    assert exchange(emulator, code, verifier).status == 200


def test_malformed_verifier_is_invalid_request(emulator):
    code, _ = emulator.code()
    assert_oauth_error(exchange(emulator, code, "short"), 400, "invalid_request")


def test_reused_code_fails_and_revokes_its_refresh_tokens(emulator):
    code, verifier = emulator.code("profile offline_access")
    first = exchange(emulator, code, verifier).json()
    assert_oauth_error(exchange(emulator, code, verifier), 401, "invalid_grant")
    assert "already been used" in exchange(emulator, code, verifier).json()["error"]
    assert_oauth_error(refresh(emulator, first["refresh_token"]), 401, "invalid_grant")


def test_expired_code(emulator):
    code, verifier = emulator.code()
    emulator.clock.advance(121)
    reply = exchange(emulator, code, verifier)
    assert_oauth_error(reply, 401, "invalid_grant")
    assert "expired" in reply.json()["error"]


def test_code_still_valid_just_before_two_minutes(emulator):
    code, verifier = emulator.code()
    emulator.clock.advance(110)
    assert exchange(emulator, code, verifier).status == 200


def test_unknown_code(emulator):
    _, verifier = pkce_pair()
    reply = exchange(emulator, "0" * 28, verifier)
    assert_oauth_error(reply, 401, "invalid_grant")
    assert reply.json()["error"] == "Provided code is unknown"


def test_code_from_another_client(emulator):
    code, verifier = emulator.code(
        client_id="ilert-cli-demo", redirect_uri="http://127.0.0.1:8765/callback"
    )
    assert_oauth_error(exchange(emulator, code, verifier), 401, "invalid_grant")
    reply = exchange(emulator, code, verifier, client_id="ilert-cli-demo")
    assert reply.status == 200


def test_redirect_uri_is_optional_but_must_match(emulator):
    code, verifier = emulator.code()
    reply = exchange(emulator, code, verifier, redirect_uri="http://localhost:4597/other")
    assert_oauth_error(reply, 401, "invalid_grant")
    assert exchange(emulator, code, verifier, redirect_uri=emulator.redirect_uri).status == 200


def test_unknown_grant_type(emulator):
    reply = post(emulator.token_url, {"grant_type": "password", "client_id": emulator.client_id})
    assert_oauth_error(reply, 400, "unsupported_grant_type")


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "code", "code_verifier"])
def test_missing_parameters(emulator, missing):
    form = emulator.code_form()
    del form[missing]
    assert_oauth_error(post(emulator.token_url, form), 400, "invalid_request")


def test_missing_refresh_token_parameter(emulator):
    form = {"grant_type": "refresh_token", "client_id": emulator.client_id}
    assert_oauth_error(post(emulator.token_url, form), 400, "invalid_request")


def test_unknown_client(emulator):
    code, verifier = emulator.code()
    assert_oauth_error(exchange(emulator, code, verifier, client_id="nope"), 401, "invalid_client")


def test_json_body_is_refused(emulator):
    code, verifier = emulator.code()
    reply = request(
        "POST",
        emulator.token_url,
        json_body={"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
    )
    assert_oauth_error(reply, 400, "invalid_request")


def test_get_on_token_endpoint_is_refused(emulator):
    reply = request("GET", emulator.token_url)
    assert reply.status == 405
    assert reply.json()["code"] == "invalid_request"


# -- refresh -------------------------------------------------------------------------------


def test_refresh_issues_a_new_refresh_token_and_keeps_scope(emulator):
    first = tokens_for(emulator, "profile alert:w offline_access")
    emulator.clock.advance(600)
    reply = refresh(emulator, first["refresh_token"])
    assert reply.status == 200
    second = reply.json()
    assert second["scope"] == "profile alert:w offline_access"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token_expires_in"] == 31536000
    # As ilert documents it: the old refresh token stays valid, the new one works too.
    assert refresh(emulator, first["refresh_token"]).status == 200
    assert refresh(emulator, second["refresh_token"]).status == 200


def test_refresh_with_another_client_fails(emulator):
    first = tokens_for(emulator)
    reply = refresh(emulator, first["refresh_token"], client_id="ilert-cli-demo")
    assert_oauth_error(reply, 401, "invalid_grant")


def test_garbage_refresh_token(emulator):
    assert_oauth_error(refresh(emulator, "not-a-jwt"), 401, "invalid_grant")
    access = tokens_for(emulator)["access_token"]
    assert_oauth_error(refresh(emulator, access), 401, "invalid_grant")


def test_eleventh_refresh_token_revokes_the_first(emulator):
    issued = [tokens_for(emulator)["refresh_token"] for _ in range(11)]
    assert_oauth_error(refresh(emulator, issued[0]), 401, "invalid_grant")
    assert refresh(emulator, issued[1]).status == 200
    # Other users and apps are counted separately.
    other = tokens_for(emulator, username="juergen")["refresh_token"]
    assert refresh(emulator, other).status == 200


def test_revoke_then_refresh_fails(emulator):
    first = tokens_for(emulator)
    reply = post(emulator.revoke_url, {"token": first["refresh_token"]})
    assert reply.status == 200
    assert reply.body == b""
    assert_oauth_error(refresh(emulator, first["refresh_token"]), 401, "invalid_grant")
    # The access token lives on until it expires (ilert's rule).
    assert api(emulator.api_url + "/users/current", first["access_token"]).status == 200


def test_revoke_unknown_token_is_200(emulator):
    assert post(emulator.revoke_url, {"token": "whatever"}).status == 200
    assert_oauth_error(post(emulator.revoke_url, {}), 400, "invalid_request")


def test_expired_refresh_token(emulator):
    first = tokens_for(emulator)
    emulator.clock.advance(365 * 24 * 3600 + 1)
    reply = refresh(emulator, first["refresh_token"])
    assert_oauth_error(reply, 401, "invalid_grant")
    assert "expired" in reply.json()["error"]


def test_revoke_grants_kills_refresh_tokens_at_once(emulator):
    first = tokens_for(emulator)
    assert emulator.revoke_grants("alice") >= 1
    assert_oauth_error(refresh(emulator, first["refresh_token"]), 401, "invalid_grant")
    assert api(emulator.api_url + "/users/current", first["access_token"]).status == 200
    emulator.revoke_grants("alice", client_id=emulator.client_id, access_tokens=True)
    assert api(emulator.api_url + "/users/current", first["access_token"]).status == 401


# -- confidential app ----------------------------------------------------------------------

SERVER_APP = "ilert-server-demo"
SERVER_REDIRECT = "http://localhost:4599/oauth/callback"
SERVER_SECRET = "demo-server-secret-not-for-production"


def test_confidential_app_gets_refresh_token_with_secret(emulator):
    code = emulator.issue_code(SERVER_APP, SERVER_REDIRECT, "profile", None)
    form = {
        "grant_type": "authorization_code",
        "client_id": SERVER_APP,
        "code": code,
        "client_secret": SERVER_SECRET,
    }
    reply = post(emulator.token_url, form)
    assert reply.status == 200, reply.text
    assert "refresh_token" in reply.json()


def test_confidential_app_must_authenticate(emulator):
    code = emulator.issue_code(SERVER_APP, SERVER_REDIRECT, "profile", None)
    form = {"grant_type": "authorization_code", "client_id": SERVER_APP, "code": code}
    assert_oauth_error(post(emulator.token_url, form), 401, "invalid_client")
    form["client_secret"] = "wrong"
    assert_oauth_error(post(emulator.token_url, form), 401, "invalid_client")


def test_public_app_sending_a_secret_is_refused(emulator):
    code, verifier = emulator.code()
    reply = exchange(emulator, code, verifier, client_secret="guess")
    assert_oauth_error(reply, 401, "invalid_client")


# -- token_info ----------------------------------------------------------------------------


def test_token_info_live(emulator):
    body = tokens_for(emulator, "profile source:w offline_access")
    reply = post(emulator.token_info_url, {"token": body["access_token"]})
    assert reply.status == 200
    assert reply.json() == {
        "active": True,
        "tenant_id": "demo",
        "username": "alice",
        "scope": "profile source:w offline_access",
        "app_id": 250,
    }


def test_token_info_dead(emulator):
    body = tokens_for(emulator)
    for token in ("garbage", body["refresh_token"]):
        assert post(emulator.token_info_url, {"token": token}).json() == {"active": False}
    emulator.clock.advance(3601)
    assert post(emulator.token_info_url, {"token": body["access_token"]}).json() == {
        "active": False
    }


def test_token_info_after_reset_is_dead(emulator):
    body = tokens_for(emulator)
    emulator.emu.reset()
    assert post(emulator.token_info_url, {"token": body["access_token"]}).json() == {
        "active": False
    }


# -- RFC 6749 §3.1 and RFC 7009 §2.1 -------------------------------------------------------------


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(pairs).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("repeated", ["grant_type", "client_id", "code", "code_verifier"])
def test_a_parameter_sent_twice_is_invalid_request(emulator, repeated: str) -> None:
    code, verifier = emulator.code("profile offline_access")
    pairs = [
        ("grant_type", "authorization_code"),
        ("client_id", emulator.client_id),
        ("code", code),
        ("code_verifier", verifier),
    ]
    pairs.append(next(p for p in pairs if p[0] == repeated))
    reply = request("POST", emulator.token_url, body=form_body(pairs), headers=FORM)
    assert_oauth_error(reply, 400, "invalid_request")
    assert repeated in reply.json()["error"]
    assert exchange(emulator, code, verifier).status == 200  # the code was not used up


@pytest.mark.parametrize("endpoint", ["revoke_url", "token_info_url"])
def test_token_twice_is_refused_by_revoke_and_token_info(emulator, endpoint: str) -> None:
    first = tokens_for(emulator)
    pairs = [("token", first["refresh_token"]), ("token", "other")]
    reply = request("POST", getattr(emulator, endpoint), body=form_body(pairs), headers=FORM)
    assert_oauth_error(reply, 400, "invalid_request")
    assert refresh(emulator, first["refresh_token"]).status == 200


def test_revoke_by_another_client_revokes_nothing(emulator) -> None:
    first = tokens_for(emulator)
    reply = post(
        emulator.revoke_url, {"token": first["refresh_token"], "client_id": "ilert-cli-demo"}
    )
    assert (reply.status, reply.body) == (200, b"")  # as for an unknown token: no oracle
    assert refresh(emulator, first["refresh_token"]).status == 200  # still valid
    mine = {"token": first["refresh_token"], "client_id": emulator.client_id}
    assert post(emulator.revoke_url, mine).status == 200
    assert_oauth_error(refresh(emulator, first["refresh_token"]), 401, "invalid_grant")
