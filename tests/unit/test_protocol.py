"""The protocol core, with no network: requests built, answers read, errors in every shape."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from app.core import errors, explain, protocol
from app.core.http import HttpResponse

JSON = {"content-type": "application/json"}


def form(request) -> dict[str, list[str]]:
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    return parse_qs(request.body.decode())


def resp(status: int, body: str = "", headers: dict | None = None) -> HttpResponse:
    return HttpResponse(status, {**JSON, **(headers or {})}, body.encode())


def test_exchange_sends_the_exact_redirect_uri() -> None:
    req = protocol.exchange_request("https://t/token", "cid", "CODE", "VER", "https://a/b/?x")
    assert req.method == "POST" and req.url == "https://t/token"
    assert form(req) == {
        "client_id": ["cid"],
        "grant_type": ["authorization_code"],
        "code": ["CODE"],
        "code_verifier": ["VER"],
        "redirect_uri": ["https://a/b/?x"],
    }
    assert req.header("accept") == "application/json"


def test_refresh_token_info_and_revoke_requests() -> None:
    assert form(protocol.refresh_request("u", "cid", "RT")) == {
        "client_id": ["cid"],
        "grant_type": ["refresh_token"],
        "refresh_token": ["RT"],
    }
    assert form(protocol.token_info_request("u", "AT")) == {"token": ["AT"]}
    assert form(protocol.revoke_request("u", "cid", "RT")) == {
        "token": ["RT"],
        "token_type_hint": ["refresh_token"],
        "client_id": ["cid"],
    }


def test_introspection_authenticates_the_client_not_with_the_token() -> None:
    # RFC 7662 §2.1 asks for client authentication; a public client's is its client_id in
    # the form. The token being introspected is no credential: a strict server answers an
    # `Authorization: Bearer` there with 400 (tests/interop checks against one).
    req = protocol.introspection_request("https://as/introspect", "cid", "AT")
    assert (req.method, req.url) == ("POST", "https://as/introspect")
    assert form(req) == {
        "token": ["AT"],
        "token_type_hint": ["access_token"],
        "client_id": ["cid"],
    }
    assert req.header("Authorization") is None
    # ilert's token_info stays as ilert documents it: the token alone, no client_id.
    info = protocol.token_info_request("https://api/token_info", "AT")
    assert form(info) == {"token": ["AT"]} and info.header("Authorization") is None


def test_api_request() -> None:
    req = protocol.api_request("https://x/api/", "put", "/a/1", "AT", {"s": ["A", "B"]}, {"k": 1})
    assert (req.method, req.url) == ("PUT", "https://x/api/a/1?s=A&s=B")
    assert req.header("Authorization") == "Bearer AT"
    assert req.header("Content-Type") == "application/json" and req.body == b'{"k": 1}'
    assert protocol.api_request("https://x/api", "GET", "/u", "AT").body is None


GOOD = '{"access_token":"opaque-123","token_type":"bearer","expires_in":60,"scope":"profile"}'


def test_token_response_opaque_token_works() -> None:
    tokens = protocol.token_set(resp(200, GOOD), now=100.0)
    assert tokens.access_token == "opaque-123" and tokens.expires_at == 160.0
    assert tokens.token_type == "Bearer" and tokens.refresh_token is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"access_token":"a","token_type":"Bearer","expires_in":0}', "is 0, not a number"),
        ('{"access_token":"a","token_type":"Bearer","expires_in":-5}', "is -5, not a number"),
        ('{"access_token":"a","token_type":"Bearer"}', "missing"),
        ('{"access_token":"a","token_type":"Bearer","expires_in":"3600"}', "not a number"),
        ('{"access_token":"a","token_type":"Bearer","expires_in":1e400}', "inf"),
        ('{"access_token":"a","token_type":"Bearer","expires_in":NaN}', "nan"),
        ('{"access_token":"a","token_type":"Bearer","expires_in":Infinity}', "inf"),
        ('{"access_token":"a","token_type":"Bearer","expires_in":1e12}', "up to a year"),
        ('{"access_token":"a","token_type":"mac","expires_in":60}', "only Bearer"),
        ('{"access_token":"a","expires_in":60}', "only Bearer"),
        ('{"token_type":"Bearer","expires_in":60}', "no access_token"),
    ],
)
def test_token_response_validated(body: str, words: str) -> None:
    with pytest.raises(errors.InvalidTokenResponse) as info:
        protocol.token_set(resp(200, body), now=0)
    assert words in str(info.value)
    assert "not usable" in explain.explain(info.value).message


def test_an_odd_refresh_token_lifetime_is_unknown_not_infinite() -> None:
    body = '{"access_token":"a","token_type":"Bearer","expires_in":60,'
    for odd in ("1e400", "NaN", "-1", '"x"', "true"):
        tokens = protocol.token_set(
            resp(200, body + '"refresh_token":"r","refresh_token_expires_in":' + odd + "}"), 0
        )
        assert tokens.refresh_token == "r" and tokens.refresh_expires_at is None


GOOD_STORED = {
    "access_token": "a",
    "expires_at": 1_700_003_600.0,
    "scope": "profile",
    "token_type": "Bearer",
    "refresh_token": "r",
    "refresh_expires_at": None,
    "obtained_at": 1_700_000_000.0,
}


def test_stored_tokens_round_trip() -> None:
    tokens = protocol.TokenSet.from_dict(GOOD_STORED)
    assert tokens is not None and tokens.to_dict() == GOOD_STORED
    assert protocol.TokenSet.from_dict(tokens.to_dict()) == tokens


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("refresh_token", 42),  # was accepted and broke every action
        ("refresh_token", ["r"]),
        ("refresh_token", ""),
        ("access_token", 1),
        ("access_token", ""),
        ("expires_at", float("inf")),
        ("expires_at", float("nan")),
        ("expires_at", "1700003600"),
        ("expires_at", True),
        ("expires_at", 1e300),
        ("refresh_expires_at", float("inf")),
        ("refresh_expires_at", "soon"),
        ("obtained_at", float("nan")),
        ("scope", ["profile"]),
        ("token_type", "mac"),
    ],
)
def test_stored_tokens_are_checked_field_by_field(field: str, value: object) -> None:
    assert protocol.TokenSet.from_dict({**GOOD_STORED, field: value}) is None


@pytest.mark.parametrize(
    ("status", "body", "headers", "code", "description"),
    [
        (
            401,
            '{"code":"invalid_grant","error":"Provided code is unknown"}',
            {},
            "invalid_grant",
            "Provided code is unknown",
        ),
        (
            400,
            '{"error":"invalid_request","error_description":"missing redirect_uri",'
            '"error_uri":"https://e/x"}',
            {},
            "invalid_request",
            "missing redirect_uri (see https://e/x)",
        ),
        (
            401,
            "",
            {
                "www-authenticate": 'Bearer realm="x", error="invalid_token", '
                'error_description="The access token expired"'
            },
            "invalid_token",
            "The access token expired",
        ),
    ],
)
def test_oauth_error_shapes(status, body, headers, code, description) -> None:
    err = protocol.token_error(resp(status, body, headers), grant="refresh_token")
    assert isinstance(err, errors.OAuthError)
    assert (err.code, err.description, err.grant) == (code, description, "refresh_token")


def test_other_token_error_answers() -> None:
    assert isinstance(protocol.token_error(resp(429)), errors.RateLimited)
    five = protocol.token_error(resp(503, '{"error":"server_error","error_description":"x"}'))
    assert isinstance(five, errors.ServerError) and five.message == "x"
    page = HttpResponse(404, {"content-type": "text/html"}, b"<h1>no</h1>")
    assert isinstance(protocol.token_error(page), errors.NonJsonResponse)
    assert isinstance(protocol.token_error(resp(400, "{broken")), errors.MalformedResponse)


def test_bearer_challenge_marks_an_unauthorized_answer() -> None:
    header = {"www-authenticate": 'Bearer error="invalid_token"'}
    assert protocol.is_unauthorized(resp(400, "", header))
    assert protocol.is_unauthorized(resp(401))
    assert not protocol.is_unauthorized(resp(403, "", {"www-authenticate": 'Bearer error="x"'}))
    assert protocol.bearer_challenge("Basic realm=x") == {}


def test_api_results() -> None:
    assert protocol.api_result(resp(200, "[1,2]"), "GET", "/alerts", "alert") == [1, 2]
    assert protocol.api_result(resp(204), "PUT", "/alerts/1/accept", "alert:w") is None
    with pytest.raises(errors.ApiError) as nf:
        protocol.api_result(
            resp(404, '{"status":404,"message":"gone","code":"NOT_FOUND"}'), "GET", "/x", ""
        )
    assert (nf.value.message, nf.value.code) == ("gone", "NOT_FOUND")
    with pytest.raises(errors.ScopeNotGranted):
        protocol.api_result(resp(403, "{}"), "PUT", "/alert-sources/1", "source")
    with pytest.raises(errors.RoleForbidden):
        protocol.api_result(resp(403, "{}"), "PUT", "/alert-sources/1", "source:w")
    with pytest.raises(errors.RateLimited) as limited:
        protocol.api_result(resp(429), "GET", "/alerts", "alert", attempt=3)
    assert limited.value.retry_after == 30
    with pytest.raises(errors.MalformedResponse):
        protocol.api_result(resp(200, "[1,"), "GET", "/alerts", "alert")
    with pytest.raises(errors.NonJsonResponse):
        page = HttpResponse(200, {"content-type": "text/html"}, b"<p>hi</p>")
        protocol.api_result(page, "GET", "/alerts", "alert")


def test_revoke_refusal_is_the_servers_reason() -> None:
    with pytest.raises(errors.OAuthError) as info:
        protocol.revoked(resp(400, '{"error":"invalid_client","error_description":"who?"}'))
    assert info.value.code == "invalid_client"
    protocol.revoked(resp(200))
