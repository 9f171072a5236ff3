"""Settings are untrusted input: addresses, stored settings, endpoints, presets, metadata."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core import servers, urls
from app.core import settings as settings_model
from app.core.settings import Settings
from app.core.urls import Endpoints, SettingsError

GOOD = Settings(client_id="demo", scope="profile")
EMU = {
    "client_id": "ilert-pkce-demo",
    "ilert_host": "http://localhost:4598",
    "api_base": "http://localhost:4598/api",
    "scope": "profile source:w",
}


# --- addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://app.ilert.com@evil.example",  # goes to evil.example
        "https://app.ilert.com:x@evil.example/api",
        "https://evil.example\\@app.ilert.com",  # browsers: host evil.example
        "https://app.ilert.com .evil.example",
        "https://app.ilert.com\t/api",
        "http://api.ilert.com/api",  # plain http to a public host
        "http://192.168.1.10/api",
        "http://[::ffff:127.0.0.1]/api",
        "http://127.1/api",  # browsers read 127.0.0.1; refused rather than compared
        "https://0x7f000001/api",
        "https://1.2.3/api",
        "https://app.ilert.com./api",  # trailing dot: another origin for the browser
        "https://аpp.ilert.com/api",  # Cyrillic a: a look-alike
        "https://app.ilert.com:99999/api",
        "https://[::1/api",
        "ftp://app.ilert.com/api",
        "//app.ilert.com/api",
        "https:///api",
        "https://app.ilert.com/api?x=1",
        "https://app.ilert.com/api#frag",
        "",
    ],
)
def test_bad_addresses_are_refused(url: str) -> None:
    assert urls.url_problems(url, "the API base"), url
    assert settings_model.validate(Settings(client_id="x", scope="profile", api_base=url))


@pytest.mark.parametrize(
    "url",
    [
        "https://api.ilert.com/api",
        "https://app.ilert.com.evil.example/api",  # valid, but a different host (see below)
        "http://localhost:4598/api",
        "http://acme.localhost:4598/api",
        "http://127.0.0.1:4598/api",
        "http://127.3.4.5/api",
        "http://[::1]:4598/api",
        "https://xn--pp-8cd.ilert.com/api",
        "HTTPS://API.ILERT.COM/api",
    ],
)
def test_good_addresses_pass(url: str) -> None:
    assert urls.url_problems(url, "the API base") == []


def test_origins_compare_parsed_hosts_not_strings() -> None:
    assert urls.origin("HTTPS://API.ilert.com:443/api") == "https://api.ilert.com"
    assert urls.origin("http://[::1]:4598/x") == "http://[::1]:4598"
    assert urls.origin("https://app.ilert.com.evil.example") != urls.origin("https://app.ilert.com")
    assert urls.origin("https://app.ilert.com@evil.example") == ""
    assert urls.origin("not a url") == ""
    assert urls.is_loopback_host("127.9.9.9") and urls.is_loopback_host("x.localhost")
    assert not urls.is_loopback_host("localhost.evil.example")
    assert not urls.is_loopback_host("127.0.0.1.nip.io")


def test_ilert_host_must_be_a_bare_host_and_tenant_needs_a_name() -> None:
    problems = settings_model.validate(replace_(GOOD, ilert_host="https://app.ilert.com/x"))
    assert any("without a path" in p for p in problems)
    problems = settings_model.validate(
        replace_(GOOD, ilert_host="http://127.0.0.1:4598", tenant="acme")
    )
    assert any("tenant" in p for p in problems)


def replace_(settings: Settings, **changes: str) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


# --- stored settings -----------------------------------------------------------------------


def test_load_uses_valid_saved_settings() -> None:
    loaded = settings_model.load(EMU, {"tenant": "acme", "scope": "profile"})
    assert loaded.settings.tenant == "acme" and loaded.settings.scope == "profile"
    assert loaded.dropped == () and loaded.problems == ()


@pytest.mark.parametrize(
    "saved",
    [
        {"api_base": "https://app.ilert.com@evil.example/api"},
        {"api_base": "http://203.0.113.9/api"},  # a bearer token in clear
        {"server": "custom", "authorize_url": "https://evil.example/a"},  # no token endpoint
        {"server": "warp"},
        {"scope": "profile bogus:x"},
    ],
)
def test_load_drops_invalid_saved_settings_with_a_reason(saved: dict) -> None:
    loaded = settings_model.load(EMU, saved)
    assert loaded.settings == Settings.from_dict(EMU)
    assert loaded.dropped and all(isinstance(r, str) and r for r in loaded.dropped)


@pytest.mark.parametrize("saved", ["garbage", ["api_base"], 5, {"api_base": 7}])
def test_load_drops_unreadable_saved_settings(saved: object) -> None:
    loaded = settings_model.load(EMU, saved)
    assert loaded.settings == Settings.from_dict(EMU) and loaded.dropped


def test_load_keeps_problems_of_the_defaults_apart() -> None:
    loaded = settings_model.load({}, None)
    assert loaded.dropped == () and any("client id" in p for p in loaded.problems)
    # saving a client id fixes a config without one
    loaded = settings_model.load({}, {"client_id": "mine"})
    assert loaded.settings.client_id == "mine" and loaded.dropped == () and not loaded.problems


def test_custom_server_without_api_base_stays_without_one() -> None:
    custom = servers.apply_preset(Settings.from_dict(EMU), servers.CUSTOM)
    custom = replace_(custom, api_base="", issuer="https://auth.example.org")
    assert settings_model.validate(custom) == []
    loaded = settings_model.load(EMU, settings_model.saved_diff(EMU, custom))
    assert loaded.settings == custom and loaded.settings.endpoints().api_base == ""


# --- endpoints: what a session is bound to ---------------------------------------------------


def test_endpoints_from_ilert_settings_and_round_trip() -> None:
    s = Settings(client_id="c", tenant="acme", scope="profile")
    ep = s.endpoints()
    assert ep.authorize == "https://acme.ilert.com/api/developers/oauth2/authorize"
    assert ep.token == "https://api.ilert.com/api/developers/oauth2/token"
    assert ep.revoke == "https://api.ilert.com/api/developers/oauth2/revoke"
    assert ep.info == "https://api.ilert.com/api/developers/oauth2/token_info"
    assert ep.info_kind == urls.INFO_TOKEN_INFO and ep.api_base == "https://api.ilert.com/api"
    assert Endpoints.from_dict(ep.to_dict()) == ep
    assert s.token_endpoint() == ep.token and s.authorize_endpoint() == ep.authorize


@pytest.mark.parametrize(
    "change",
    [
        {"token": "https://api.ilert.com@evil.example/t"},
        {"api_base": "http://evil.example/api"},
        {"info_kind": "magic"},
        {"client_id": ""},
    ],
)
def test_recorded_endpoints_are_validated_on_load(change: dict) -> None:
    data = Settings(client_id="c").endpoints().to_dict() | change
    with pytest.raises(SettingsError):
        Endpoints.from_dict(data)


@pytest.mark.parametrize("data", [None, "x", [], {"client_id": "c"}, {"authorize": 1}])
def test_recorded_endpoints_unreadable(data: object) -> None:
    with pytest.raises(SettingsError):
        Endpoints.from_dict(data)


# --- presets -------------------------------------------------------------------------------------


def test_presets_and_active_preset() -> None:
    keys = [p.key for p in servers.presets(EMU)]
    assert keys == [servers.ILERT, servers.ILERT_TENANT, servers.EMULATOR, servers.CUSTOM]
    s = Settings.from_dict(EMU)
    assert servers.active_preset(s, EMU) == servers.EMULATOR
    ilert = servers.apply_preset(s, servers.ILERT, EMU)
    assert servers.active_preset(ilert, EMU) == servers.ILERT
    assert ilert.endpoints().authorize == ("https://app.ilert.com/api/developers/oauth2/authorize")
    assert ilert.endpoints().token == "https://api.ilert.com/api/developers/oauth2/token"
    tenant = servers.apply_preset(s, servers.ILERT_TENANT, EMU, tenant=" Acme ")
    assert servers.active_preset(tenant, EMU) == servers.ILERT_TENANT
    assert tenant.endpoints().authorize.startswith("https://acme.ilert.com/")
    back = servers.apply_preset(tenant, servers.EMULATOR, EMU)
    assert back == s and servers.active_preset(back, EMU) == servers.EMULATOR
    custom = servers.apply_preset(s, servers.CUSTOM, EMU)
    assert servers.active_preset(custom, EMU) == servers.CUSTOM
    assert custom.endpoints().token == s.endpoints().token  # starts from what was in use
    other = replace_(
        s, ilert_host="https://ilert.example.org", api_base="https://ilert.example.org/api"
    )
    assert servers.active_preset(other, EMU) == servers.CUSTOM
    with pytest.raises(KeyError):
        servers.apply_preset(s, "nope")


def test_emulator_preset_without_a_local_config() -> None:
    real = {"client_id": "abc", "ilert_host": "https://app.ilert.com"}
    values = dict(servers.preset(servers.EMULATOR, real).values)
    assert values["ilert_host"] == "http://localhost:4598" and "client_id" not in values


# --- RFC 8414 metadata ---------------------------------------------------------------

META = {
    "issuer": "https://auth.example.org",
    "authorization_endpoint": "https://auth.example.org/oauth2/auth",
    "token_endpoint": "https://auth.example.org/oauth2/token",
    "revocation_endpoint": "https://auth.example.org/oauth2/revoke",
    "introspection_endpoint": "https://auth.example.org/oauth2/introspect",
    "response_types_supported": ["code"],
    "code_challenge_methods_supported": ["S256", "plain"],
}


def test_metadata_urls() -> None:
    assert servers.metadata_urls("https://auth.example.org") == [
        "https://auth.example.org/.well-known/oauth-authorization-server",
        "https://auth.example.org/.well-known/openid-configuration",
    ]
    assert servers.metadata_urls("https://h.example/tenant/x/") == [
        "https://h.example/.well-known/oauth-authorization-server/tenant/x",
        "https://h.example/tenant/x/.well-known/openid-configuration",
    ]
    with pytest.raises(SettingsError):
        servers.metadata_urls("http://auth.example.org")


def test_from_metadata_fills_a_custom_server() -> None:
    base = Settings(client_id="c", scope="openid offline")
    found = servers.from_metadata("https://auth.example.org", META, base)
    s = found.settings
    assert s.server == settings_model.SERVER_CUSTOM and settings_model.validate(s) == []
    ep = s.endpoints()
    assert ep.authorize == META["authorization_endpoint"] and ep.token == META["token_endpoint"]
    assert ep.revoke == META["revocation_endpoint"] and ep.info == META["introspection_endpoint"]
    assert ep.info_kind == urls.INFO_INTROSPECTION and ep.issuer == "https://auth.example.org"
    assert ep.api_base == "" and s.client_id == "c" and found.notes == ()
    bare = {k: v for k, v in META.items() if k.startswith(("issuer", "authorization", "token"))}
    notes = servers.from_metadata("https://auth.example.org", bare, base).notes
    assert len(notes) == 3


def test_from_metadata_requires_iss_when_the_server_says_it_always_sends_it() -> None:
    # RFC 9207 §3: then an answer without `iss` is refused (callback.check_issuer).
    base = Settings(client_id="c", scope="openid")
    plain = servers.from_metadata("https://auth.example.org", META, base).settings
    assert plain.iss_parameter == "" and plain.endpoints().iss_parameter == ""
    said = {**META, "authorization_response_iss_parameter_supported": True}
    strict = servers.from_metadata("https://auth.example.org", said, base).settings
    assert strict.iss_parameter == urls.ISS_REQUIRED and settings_model.validate(strict) == []
    assert strict.endpoints().iss_parameter == urls.ISS_REQUIRED
    for odd in ("true", 1, False):  # only the JSON value true says so
        meta = {**META, "authorization_response_iss_parameter_supported": odd}
        assert (
            servers.from_metadata("https://auth.example.org", meta, base).settings.iss_parameter
            == ""
        )
    # A preset starts clean: ilert publishes no issuer and sends no iss.
    assert servers.apply_preset(strict, servers.ILERT).iss_parameter == ""
    # Required without an issuer, or any other value, is refused like typed input.
    assert settings_model.validate(replace(strict, issuer=""))
    assert settings_model.validate(replace(strict, iss_parameter="always"))


@pytest.mark.parametrize(
    "change",
    [
        {"issuer": "https://evil.example"},  # RFC 8414 §3.3
        {"issuer": "https://auth.example.org/"},  # identical means identical
        {"issuer": None},
        {"token_endpoint": None},
        {"token_endpoint": 5},
        {"token_endpoint": "http://auth.example.org/token"},
        {"authorization_endpoint": "https://auth.example.org@evil.example/a"},
        {"code_challenge_methods_supported": ["plain"]},
        {"response_types_supported": ["token"]},
    ],
)
def test_from_metadata_refuses(change: dict) -> None:
    meta = {k: v for k, v in (META | change).items() if v is not None}
    with pytest.raises(SettingsError) as info:
        servers.from_metadata("https://auth.example.org", meta, GOOD)
    assert info.value.problems


def test_from_metadata_refuses_non_objects() -> None:
    for meta in (None, [], "x"):
        with pytest.raises(SettingsError):
            servers.from_metadata("https://auth.example.org", meta, GOOD)


def test_custom_scope_syntax() -> None:
    s = servers.from_metadata("https://auth.example.org", META, GOOD).settings
    assert settings_model.validate(replace_(s, scope="openid email offline_access")) == []
    assert settings_model.validate(replace_(s, scope='openid "x"'))


def test_zone_ids_are_refused() -> None:
    assert urls.url_problems("https://[fe80::1%25eth0]/api", "x")
