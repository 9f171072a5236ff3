"""The witness works: django-oauth-toolkit on ilert's paths behaves as the interop suite
assumes, over real HTTP. The exact answers asserted here are the ones the app must cope with."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.interop.conftest import DEMO_REDIRECT_URI
from tests.interop.witness import HttpUser, WitnessServer, pkce_pair, query_of, request

R = DEMO_REDIRECT_URI
ORIGIN = "http://localhost:4597"


def authorize(user: HttpUser, allow: bool = True, **params: str) -> tuple[dict[str, str], str]:
    """Authorize (login and consent as needed); returns (redirect query, code_verifier)."""
    verifier, challenge = pkce_pair()
    params = {
        "redirect_uri": R,
        "scope": "profile offline_access",
        "state": "s-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    result = user.authorize(allow=allow, **params)
    assert result.status == 302, (result.status, result.body[:500])
    return query_of(result.location), verifier


def sign_in(user: HttpUser, **params: str) -> dict:
    query, verifier = authorize(user, **params)
    server = user.server
    answer = server.token(
        grant_type="authorization_code",
        client_id=params.get("client_id", server.client_id),
        code=query["code"],
        code_verifier=verifier,
        redirect_uri=params.get("redirect_uri", R),
    )
    assert answer.status == 200, answer.body
    return answer.json()  # type: ignore[return-value]


def refresh(server: WitnessServer, refresh_token: str):
    return server.token(
        grant_type="refresh_token", client_id=server.client_id, refresh_token=refresh_token
    )


def test_authorize_asks_for_login_then_consent_listing_scopes(oauth_user: HttpUser) -> None:
    server = oauth_user.server
    _, challenge = pkce_pair()
    url = server.authorize_request_url(
        redirect_uri=R,
        scope="profile source:w",
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    first = oauth_user.get(url)
    assert first.status == 302
    assert first.location.startswith("/accounts/login/?next=")
    login_url, login_page = oauth_user.follow(url, first)
    fields = HttpUser.forms(login_page)[0]["fields"]
    assert {"username", "password", "csrfmiddlewaretoken"} <= set(fields)

    wrong_url, wrong = oauth_user.log_in(login_url, login_page, password="wrong")
    assert wrong.status == 200 and wrong_url == login_url  # still the login page

    consent_url, consent = oauth_user.log_in(wrong_url, wrong)
    assert consent.status == 200 and consent_url.startswith(server.authorize_url)
    page = consent.body.decode()
    assert "Your profile" in page and "Write source" in page  # the requested scopes
    assert ("allow", "Authorize") in HttpUser.forms(consent)[0]["submits"]


def test_consent_redirects_with_code_state_and_iss(oauth_user: HttpUser) -> None:
    state = "a b/c?d=e&f"  # returned unchanged, whatever it contains
    query, _ = authorize(oauth_user, state=state)
    assert set(query) == {"code", "state", "iss"}
    assert query["state"] == state
    assert query["iss"] == oauth_user.server.issuer  # RFC 9207
    # Logged in now: the next authorize goes straight to consent (DOT's "force" prompt).
    again, _ = authorize(oauth_user, state="s-2")
    assert again["state"] == "s-2" and again["code"] != query["code"]


def test_denied_consent_redirects_with_access_denied(oauth_user: HttpUser) -> None:
    query, _ = authorize(oauth_user, allow=False, state="s-deny")
    assert query == {"error": "access_denied", "state": "s-deny"}  # no description, no iss


def test_authorize_errors(oauth_user: HttpUser) -> None:
    query, _ = authorize(oauth_user, scope="profile no-such-scope", state="s-scope")
    assert query == {"error": "invalid_scope", "state": "s-scope"}
    query, _ = authorize(oauth_user, code_challenge_method="plain", state="s-plain")
    assert query["error"] == "invalid_request"
    assert query["error_description"] == 'Unsupported "plain" code_challenge_method; use "S256".'
    no_pkce = oauth_user.authorize(redirect_uri=R, scope="profile", state="s-nopkce")
    assert query_of(no_pkce.location) == {
        "error": "invalid_request",
        "error_description": "Code challenge required.",
        "state": "s-nopkce",
    }
    # An unregistered redirect URI: an error page, never a redirect to it.
    _, challenge = pkce_pair()
    page = oauth_user.authorize(
        redirect_uri=f"{ORIGIN}/elsewhere",
        scope="profile",
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert page.status == 400 and "location" not in page.headers
    assert b"Mismatching redirect URI." in page.body


def test_exchange_requires_the_authorize_redirect_uri(oauth_user: HttpUser) -> None:
    server = oauth_user.server
    query, verifier = authorize(oauth_user)
    base = {
        "grant_type": "authorization_code",
        "client_id": server.client_id,
        "code": query["code"],
        "code_verifier": verifier,
    }
    missing = server.token(**base)
    assert missing.status == 400
    assert missing.json() == {
        "error": "invalid_request",
        "error_description": "Missing redirect URI.",
    }
    assert missing.headers["content-type"] == "application/json"
    other = server.token(**base, redirect_uri=f"{ORIGIN}/interop-witness-second-redirect-uri")
    assert other.status == 400
    assert other.json() == {
        "error": "invalid_request",
        "error_description": "Mismatching redirect URI.",
    }
    bad_verifier = server.token(**{**base, "code_verifier": "x" * 50}, redirect_uri=R)
    assert (bad_verifier.status, bad_verifier.json()) == (400, {"error": "invalid_grant"})
    # Those refusals did not use the code up (nor did the wrong verifier).
    ok = server.token(**base, redirect_uri=R)
    assert ok.status == 200, ok.body
    tokens = ok.json()
    assert set(tokens) == {"access_token", "expires_in", "token_type", "scope", "refresh_token"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "profile offline_access"
    assert ok.headers["cache-control"] == "no-store"
    assert "." not in tokens["access_token"]  # opaque, not a JWT
    reused = server.token(**base, redirect_uri=R)
    assert (reused.status, reused.json()) == (400, {"error": "invalid_grant"})


def test_single_redirect_uri_client_may_omit_it(oauth_server: WitnessServer) -> None:
    """With one registered URI DOT uses it as the default: the exchange needs none."""
    app = "http://localhost:4599/single/"
    client_id = oauth_server.register_client(app, require_redirect_uri=False)
    user = HttpUser(oauth_server)
    query, verifier = authorize(user, client_id=client_id, redirect_uri=app)
    answer = oauth_server.token(
        grant_type="authorization_code",
        client_id=client_id,
        code=query["code"],
        code_verifier=verifier,
    )
    assert answer.status == 200, answer.body


def test_refresh_rotates_and_the_used_one_dies(oauth_user: HttpUser) -> None:
    server = oauth_user.server
    first = sign_in(oauth_user)
    second = refresh(server, first["refresh_token"])
    assert second.status == 200, second.body
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    assert rotated["scope"] == "profile offline_access"
    # The used refresh token is refused, and its access token is no longer active.
    replay = refresh(server, first["refresh_token"])
    assert (replay.status, replay.json()) == (400, {"error": "invalid_grant"})
    assert server.introspect(first["access_token"]) == {"active": False}
    # A second refresh with the new one works (rotation again).
    third = refresh(server, rotated["refresh_token"])
    assert third.status == 200 and third.json()["refresh_token"] != rotated["refresh_token"]


def test_revoke_needs_client_id_then_refresh_is_refused(oauth_user: HttpUser) -> None:
    server = oauth_user.server
    tokens = sign_in(oauth_user)
    anonymous = server.revoke(token=tokens["refresh_token"])
    assert (anonymous.status, anonymous.json()) == (401, {"error": "invalid_client"})
    still = refresh(server, tokens["refresh_token"])
    assert still.status == 200  # not revoked: the 401 above changed nothing
    tokens = still.json()

    revoked = server.revoke(
        token=tokens["refresh_token"], token_type_hint="refresh_token", client_id=server.client_id
    )
    assert (revoked.status, revoked.body) == (200, b"")
    refused = refresh(server, tokens["refresh_token"])
    assert (refused.status, refused.json()) == (400, {"error": "invalid_grant"})
    # DOT revokes the refresh token's access token with it.
    assert server.introspect(tokens["access_token"]) == {"active": False}
    unknown = server.revoke(token="no-such-token", client_id=server.client_id)
    assert (unknown.status, unknown.body) == (200, b"")  # RFC 7009 §2.2


def test_introspection_and_who_may_call_it(oauth_user: HttpUser) -> None:
    server = oauth_user.server
    tokens = sign_in(oauth_user)
    info = server.introspect(tokens["access_token"])
    assert info["active"] is True
    assert info["client_id"] == server.client_id and info["username"] == server.username
    assert info["scope"] == "profile offline_access" and isinstance(info["exp"], int)
    assert server.introspect(tokens["refresh_token"]) == {"active": False}  # access tokens only
    assert server.introspect("no-such-token") == {"active": False}

    # Client authentication as strict servers have it: nothing → 403; any scheme but
    # Basic → 400 (the token itself is no client credential); a public client names itself
    # with client_id in the form and learns about its own tokens only.
    nothing = request(server.introspection_url, data={"token": tokens["access_token"]})
    assert (nothing.status, nothing.body) == (403, b"")
    for scheme_token in (tokens["access_token"], own_token(server)):
        bearer = request(
            server.introspection_url,
            data={"token": tokens["access_token"], "client_id": server.client_id},
            headers={"Authorization": f"Bearer {scheme_token}"},
        )
        assert bearer.status == 400
        assert bearer.json() == {
            "error": "invalid_request",
            "error_description": "invalid authorization header value format",
        }
    public = request(
        server.introspection_url,
        data={"token": tokens["access_token"], "client_id": server.client_id},
        headers={"Origin": ORIGIN},
    )
    assert public.status == 200 and public.json()["active"] is True
    assert public.headers["access-control-allow-origin"] == ORIGIN
    other = server.register_client([DEMO_REDIRECT_URI], client_id="another-public-client")
    foreign = request(
        server.introspection_url, data={"token": tokens["access_token"], "client_id": other}
    )
    assert (foreign.status, foreign.json()) == (200, {"active": False})


def own_token(server: WitnessServer) -> str:
    """An access token granted the `introspection` scope (DOT's own bearer rule, now 400)."""
    return sign_in(HttpUser(server), scope="profile introspection")["access_token"]


def test_profile_endpoint_with_bearer_errors(oauth_user: HttpUser) -> None:
    server = oauth_user.server
    tokens = sign_in(oauth_user)
    ok = request(server.profile_url, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert ok.status == 200
    assert ok.json()["username"] == server.username  # type: ignore[index]
    bad = request(server.profile_url, headers={"Authorization": "Bearer nope"})
    assert (bad.status, bad.body) == (401, b"")
    assert bad.headers["www-authenticate"] == (
        'Bearer error="invalid_token",error_description="The access token is invalid."'
    )
    no_scope = sign_in(HttpUser(server), scope="source")
    forbidden = request(
        server.profile_url, headers={"Authorization": f"Bearer {no_scope['access_token']}"}
    )
    assert forbidden.status == 403
    assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]


@pytest.mark.parametrize("path", ["token", "revoke", "introspect"])
def test_cors_for_registered_origins_only(oauth_server: WitnessServer, path: str) -> None:
    url = f"{oauth_server.base_url}/api/developers/oauth2/{path}"

    def preflight(origin: str) -> dict[str, str]:
        answer = request(
            url,
            method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert answer.status == 200
        return answer.headers

    assert preflight(ORIGIN)["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in preflight("http://localhost:45")
    app = "http://localhost:4600/sub/app/"
    oauth_server.register_client(app)
    assert preflight("http://localhost:4600")["access-control-allow-origin"] == (
        "http://localhost:4600"
    )
    assert "access-control-allow-origin" not in preflight("http://localhost:460")


def test_registered_client_signs_in(oauth_server: WitnessServer) -> None:
    app = "http://localhost:4601/"
    client_id = oauth_server.register_client(app)
    tokens = sign_in(HttpUser(oauth_server), client_id=client_id, redirect_uri=app)
    assert oauth_server.introspect(tokens["access_token"])["client_id"] == client_id


def test_metadata_lists_the_endpoints(oauth_server: WitnessServer) -> None:
    meta = request(oauth_server.metadata_url)
    assert meta.status == 200
    data = meta.json()
    assert data["issuer"] == oauth_server.issuer
    assert data["authorization_endpoint"] == oauth_server.authorize_url
    assert data["token_endpoint"] == oauth_server.token_url
    assert data["revocation_endpoint"] == oauth_server.revoke_url
    assert data["introspection_endpoint"] == oauth_server.introspection_url
    assert {data[f"{role}_endpoint"] for role in ("authorization", "token", "revocation")} | {
        data["introspection_endpoint"],
        data["issuer"],
    } == set(oauth_server.endpoints.values()) - {oauth_server.api_base}
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["authorization_response_iss_parameter_supported"] is True
    assert {"profile", "offline_access", "source:w"} <= set(data["scopes_supported"])
    assert meta.headers["access-control-allow-origin"] == "*"
    oidc = request(oauth_server.openid_configuration_url).json()
    assert oidc["issuer"] == oauth_server.issuer
    assert oidc["authorization_endpoint"] == oauth_server.authorize_url
    assert oidc["token_endpoint"] == oauth_server.token_url
    assert "revocation_endpoint" not in oidc  # only RFC 8414's document names it


def test_witness_without_iss_parameter(oauth_server_factory) -> None:
    server = oauth_server_factory(redirect_uris=[R], iss_parameter=False, oidc=False)
    query, _ = authorize(HttpUser(server))
    assert set(query) == {"code", "state"}
    meta = request(server.metadata_url).json()
    assert "authorization_response_iss_parameter_supported" not in meta
    assert request(server.openid_configuration_url).status == 404
    assert urllib.parse.urlsplit(server.base_url).hostname == "127.0.0.1"


def test_client_registration_needs_the_control_token(oauth_server: WitnessServer) -> None:
    url = f"{oauth_server.base_url}/_witness/clients"
    for headers in ({}, {"X-Witness-Control": "guess"}):
        answer = request(url, data={"client_id": "intruder"}, headers=headers)
        assert answer.status == 403
    # No such client was made: after the login, the witness's error page, not a redirect.
    page = HttpUser(oauth_server).authorize(client_id="intruder", redirect_uri=R)
    assert page.status == 400 and "location" not in page.headers
    assert b"Invalid client_id parameter value." in page.body
