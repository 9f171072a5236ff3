"""PKCE, settings and the authorization request."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.core import authorize, pkce
from app.core import settings as settings_model
from app.core.errors import ConfigError
from app.core.settings import Settings
from app.core.storage import MemoryStorage, peek_attempt

GOOD = Settings(
    client_id="ilert-pkce-demo",
    ilert_host="http://localhost:4598",
    api_base="http://localhost:4598/api",
    scope="profile source:w",
)


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_alphabet_length_and_entropy() -> None:
    seen = set()
    for _ in range(50):
        v = pkce.new_verifier()
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", v)
        seen.add(v)
    assert len(seen) == 50
    assert len(pkce.new_verifier(96)) == 128
    with pytest.raises(ValueError):
        pkce.new_verifier(16)


def test_challenge_rejects_invalid_verifier() -> None:
    with pytest.raises(ValueError):
        pkce.challenge_s256("short")
    assert "=" not in pkce.challenge_s256(pkce.new_verifier())


@pytest.mark.parametrize(
    ("host", "tenant", "expected"),
    [
        ("https://app.ilert.com", "", "https://app.ilert.com"),
        ("https://app.ilert.com/", "acme", "https://acme.ilert.com"),
        ("http://localhost:4598", "demo", "http://demo.localhost:4598"),
        ("https://ilert.example", "t1", "https://t1.ilert.example"),
    ],
)
def test_authorize_host_with_tenant(host: str, tenant: str, expected: str) -> None:
    s = Settings(client_id="x", ilert_host=host, tenant=tenant)
    assert s.authorize_host() == expected
    assert s.authorize_endpoint() == expected + "/api/developers/oauth2/authorize"


def test_endpoints_from_api_base() -> None:
    s = Settings(client_id="x", api_base="https://api.ilert.com/api/")
    assert s.token_endpoint() == "https://api.ilert.com/api/developers/oauth2/token"
    assert s.token_info_endpoint().endswith("/developers/oauth2/token_info")
    assert s.revoke_endpoint().endswith("/developers/oauth2/revoke")


def test_redirect_uri_defaults_to_page_url() -> None:
    s = Settings(client_id="x")
    assert s.effective_redirect_uri("http://localhost:4597/?code=1&state=2#x") == (
        "http://localhost:4597/"
    )
    assert (
        Settings(client_id="x", redirect_uri="https://a.b/cb").effective_redirect_uri(
            "http://localhost:4597/"
        )
        == "https://a.b/cb"
    )


def test_validate_good_and_bad() -> None:
    assert settings_model.validate(GOOD) == []
    problems = settings_model.validate(
        Settings(
            client_id="",
            ilert_host="ftp://x",
            tenant="Bad Tenant!",
            api_base="http://ilert.example/api",
            redirect_uri="https://a/b?c=1",
            scope="profile bogus:x",
        )
    )
    text = " | ".join(problems)
    for needle in ("client id", "ilert host", "tenant", "https", "redirect URI", "scope"):
        assert needle in text
    assert settings_model.validate(Settings(client_id="x", scope=" ")) == [
        "choose at least one scope"
    ]


def test_merge_defaults_with_saved() -> None:
    defaults = {
        "client_id": "demo",
        "ilert_host": "http://localhost:4598",
        "tenant": "demo",
        "unknown": "ignored",
        "scope": 5,
    }
    merged = settings_model.merge(defaults, {"client_id": "", "tenant": "", "scope": "profile"})
    assert merged.client_id == "demo"  # empty saved value falls back to the default
    assert merged.tenant == ""  # but an emptied tenant is the user's choice
    assert merged.scope == "profile"
    assert merged.ilert_host == "http://localhost:4598"
    assert settings_model.merge(None, None) == Settings()
    assert settings_model.saved_diff(defaults, merged) == {"tenant": "", "scope": "profile"}


def test_authorize_start_builds_url_and_saves_attempt() -> None:
    store = MemoryStorage()
    url = authorize.start(GOOD, store, "http://localhost:4597/?x=1", clock=lambda: 100.0)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "http://localhost:4598/api/developers/oauth2/authorize"
    )
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    attempt = peek_attempt(store)
    assert attempt is not None
    assert q == {
        "client_id": "ilert-pkce-demo",
        "response_type": "code",
        "redirect_uri": "http://localhost:4597/",
        "scope": "profile source:w",
        "state": attempt.state,
        "code_challenge": pkce.challenge_s256(attempt.verifier),
        "code_challenge_method": "S256",
    }
    assert "%20" in parts.query and "+" not in parts.query
    assert len(attempt.state) >= 22  # ≥ 128 bits
    assert attempt.verifier not in url
    # a new attempt gets a new verifier and state and replaces the old one
    authorize.start(GOOD, store, "http://localhost:4597/")
    again = peek_attempt(store)
    assert again is not None
    assert (again.state, again.verifier) != (attempt.state, attempt.verifier)


def test_authorize_refuses_bad_settings() -> None:
    with pytest.raises(ConfigError) as info:
        authorize.start(Settings(), MemoryStorage(), "http://localhost:4597/")
    assert "client id" in str(info.value)
