"""Which origins the page trusts: what config.json vouches for, the recipients to confirm."""

from __future__ import annotations

from dataclasses import replace

from app.core import servers, trust
from app.core import settings as settings_model
from app.core.settings import Settings

EMU = {
    "client_id": "ilert-pkce-demo",
    "ilert_host": "http://localhost:4598",
    "api_base": "http://localhost:4598/api",
    "scope": "profile source:w",
}


# --- hosts that config.json does not vouch for --------------------------------------------------


def test_nothing_to_confirm_with_config_json_hosts() -> None:
    s = Settings.from_dict(EMU)
    assert trust.unvouched(EMU, s, "http://localhost:4597/") == []
    assert trust.vouched_origins(EMU) == {"http://localhost:4598"}


def test_planted_api_base_is_listed_exactly() -> None:
    s = replace(Settings.from_dict(EMU), api_base="https://evil.example/api")
    found = trust.unvouched(EMU, s, "http://localhost:4597/")
    assert [r.origin for r in found] == ["https://evil.example"]
    assert any("authorization code" in item for item in found[0].receives)
    assert any("API calls" in item for item in found[0].receives)


def test_look_alike_login_host_is_listed_and_tenants_are_not() -> None:
    s = replace(Settings.from_dict(EMU), ilert_host="https://app.ilert.com.evil.example")
    assert settings_model.validate(s) == []  # a valid host, but not the page's
    found = trust.unvouched(EMU, s, "http://localhost:4597/")
    assert [(r.origin, r.receives) for r in found] == [
        ("https://app.ilert.com.evil.example", ("your sign-in (its login and consent page)",))
    ]
    real = {
        "client_id": "c",
        "ilert_host": "https://app.ilert.com",
        "api_base": "https://api.ilert.com/api",
    }
    tenant = servers.apply_preset(Settings.from_dict(real), servers.ILERT_TENANT, real, "acme")
    assert trust.unvouched(real, tenant) == []


def test_allowed_origins_vouch_and_ilert_preset_needs_confirmation() -> None:
    ilert = servers.apply_preset(Settings.from_dict(EMU), servers.ILERT)
    assert {r.origin for r in trust.unvouched(EMU, ilert)} == {
        "https://app.ilert.com",
        "https://api.ilert.com",
    }
    allowed = ["https://api.ilert.com", "https://app.ilert.com", "bad", 5, "http://x.example"]
    defaults = EMU | {"allowed_origins": allowed}
    assert trust.unvouched(defaults, ilert) == []
    assert "http://x.example" not in trust.vouched_origins(defaults)  # plain http, public host


def test_custom_server_recipients_and_redirect_uri() -> None:
    s = Settings(
        client_id="c",
        scope="openid",
        server="custom",
        authorize_url="https://auth.example.org/authorize",
        token_url="https://auth.example.org/token",
        revoke_url="https://revoke.example.org/revoke",
        info_url="",
        api_base="",
        redirect_uri="https://elsewhere.example/cb",
    )
    assert settings_model.validate(s) == []
    origins = {r.origin for r in trust.recipients(s, "https://page.example/app/")}
    assert origins == {
        "https://auth.example.org",  # sign-in page and token endpoint
        "https://revoke.example.org",
        "https://elsewhere.example",
    }
    same_page = replace(s, redirect_uri="https://page.example/app/")
    assert "https://page.example" not in {
        r.origin for r in trust.unvouched({}, same_page, "https://page.example/app/")
    }


# --- a settings change while signed in -----------------------------------------------------


def test_changes_server() -> None:
    s = Settings.from_dict(EMU)
    recorded = s.endpoints()
    assert not trust.changes_server(recorded, replace(s, scope="profile"))
    assert trust.changes_server(recorded, replace(s, api_base="https://api.ilert.com/api"))
    assert trust.changes_server(recorded, replace(s, client_id="other"))
    assert not trust.changes_server(None, s)
