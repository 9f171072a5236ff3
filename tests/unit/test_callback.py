"""The redirect back from ilert."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.boot import address
from app.core import authorize, callback, storage
from app.core.errors import (
    AuthorizationError,
    CallbackReplayed,
    ConfigError,
    ConsentDenied,
    IgnoredCallback,
    IssuerMismatch,
    IssuerMissing,
    MissingVerifier,
    StateMismatch,
    StateMissing,
)
from app.core.explain import explain
from app.core.settings import Settings

SETTINGS = Settings(
    client_id="c",
    ilert_host="http://localhost:4598",
    api_base="http://localhost:4598/api",
    scope="profile",
)


def begin(settings: Settings = SETTINGS) -> tuple[storage.MemoryStorage, storage.Attempt]:
    store = storage.MemoryStorage()
    authorize.start(settings, store, "http://localhost:4597/")
    attempt = storage.peek_attempt(store)
    assert attempt is not None
    return store, attempt


def test_parse_query() -> None:
    assert address.parse_query("?code=a&state=b&x=") == {"code": "a", "state": "b", "x": ""}
    assert address.is_callback({"code": "a"})
    assert not address.is_callback({"x": "1"})


def test_success_consumes_attempt_once() -> None:
    store, attempt = begin()
    result = callback.handle({"code": "abc", "state": attempt.state}, store)
    assert result == callback.CallbackResult(
        "abc", attempt.verifier, "http://localhost:4597/", SETTINGS.endpoints()
    )  # the attempt recorded its server: the code is exchanged there
    assert storage.peek_attempt(store) is None  # verifier and state removed once used
    with pytest.raises(CallbackReplayed):
        callback.handle({"code": "abc", "state": attempt.state}, store)


@pytest.mark.parametrize(
    ("forged", "refused"),
    [
        ({"code": "abc", "state": "forged-state-value"}, StateMismatch),
        ({"code": "abc"}, StateMissing),
        ({"code": "abc", "state": ""}, StateMissing),
    ],
)
def test_a_code_that_is_not_ours_keeps_the_sign_in(forged: dict, refused: type) -> None:
    """Like an error link that is not ours: refused, and the sign-in under way survives
    (a forged ?code= link used to destroy it)."""
    store, attempt = begin()
    with pytest.raises(refused):
        callback.handle(forged, store)
    assert storage.peek_attempt(store) == attempt
    result = callback.handle({"code": "real", "state": attempt.state}, store)
    assert result.code == "real" and result.verifier == attempt.verifier


def test_missing_verifier_other_tab() -> None:
    with pytest.raises(MissingVerifier):
        callback.handle({"code": "abc", "state": "s" * 32}, storage.MemoryStorage())


def test_denied_and_other_errors() -> None:
    store, attempt = begin()
    with pytest.raises(ConsentDenied) as info:
        callback.handle({"error": "access_denied", "state": attempt.state}, store)
    assert storage.peek_attempt(store) is None
    assert explain(info.value).kind == "consent_denied"
    store, attempt = begin()
    with pytest.raises(AuthorizationError) as err:
        callback.handle(
            {"error": "invalid_scope", "error_description": "<b>bad</b>", "state": attempt.state},
            store,
        )
    assert err.value.description == "<b>bad</b>"
    assert "<b>bad</b>" in explain(err.value).message  # the page sets it as text


def test_code_missing_with_good_state() -> None:
    store, attempt = begin()
    with pytest.raises(AuthorizationError):
        callback.handle({"state": attempt.state}, store)


def test_strip_callback_params() -> None:
    assert address.strip_callback_params("?code=a&state=b") == ""
    assert address.strip_callback_params("?lang=de&code=a&error=x") == "?lang=de"


# --- answers that are not ours (hardening) ---------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"error": "x", "error_description": "Your account is locked, call +1 555 0100"},
        {"error": "access_denied", "state": "forged-state-value"},
        {"error": "server_error", "state": ""},
    ],
)
def test_error_that_is_not_ours_is_ignored_and_keeps_the_sign_in(params: dict) -> None:
    store, attempt = begin()
    with pytest.raises(IgnoredCallback) as info:
        callback.handle(params, store)
    note = explain(info.value)
    assert note.severity == "info" and note.kind == "callback_ignored"
    assert "locked" not in note.message and "+1 555" not in note.message
    assert storage.peek_attempt(store) == attempt  # the sign-in under way is intact
    result = callback.handle({"code": "abc", "state": attempt.state}, store)
    assert result.verifier == attempt.verifier


def test_error_without_any_attempt_is_ignored() -> None:
    with pytest.raises(IgnoredCallback):
        callback.handle({"error": "x", "state": "s" * 32}, storage.MemoryStorage())


def test_replayed_error_of_our_own_attempt() -> None:
    store, attempt = begin()
    with pytest.raises(ConsentDenied):
        callback.handle({"error": "access_denied", "state": attempt.state}, store)
    _, fresh = begin_in(store)
    with pytest.raises(CallbackReplayed):
        callback.handle({"error": "access_denied", "state": attempt.state}, store)
    assert storage.peek_attempt(store) == fresh


def begin_in(store: storage.MemoryStorage) -> tuple[storage.MemoryStorage, storage.Attempt]:
    authorize.start(SETTINGS, store, "http://localhost:4597/")
    attempt = storage.peek_attempt(store)
    assert attempt is not None
    return store, attempt


# --- iss (RFC 9207) ----------------------------------------------------------------------------


def test_iss_must_equal_the_configured_issuer() -> None:
    with_issuer = replace(SETTINGS, issuer="https://auth.example.org")
    store, attempt = begin(with_issuer)
    with pytest.raises(IssuerMismatch) as info:
        callback.handle(
            {"code": "abc", "state": attempt.state, "iss": "https://evil.example"}, store
        )
    assert storage.peek_attempt(store) is None  # the sign-in stops: no exchange
    text = explain(info.value, "auth.example.org").message
    assert "https://evil.example" in text and "https://auth.example.org" in text
    assert "auth.example.org (https://auth.example.org)" in text
    store, attempt = begin(with_issuer)
    result = callback.handle(
        {"code": "abc", "state": attempt.state, "iss": "https://auth.example.org"}, store
    )
    assert result.code == "abc"


ILERT = Settings(client_id="c", scope="profile")  # the ilert preset: no issuer published
TENANT = replace(ILERT, tenant="acme")


@pytest.mark.parametrize(
    ("settings", "iss"),
    [
        (ILERT, "https://app.ilert.com"),
        (ILERT, "https://app.ilert.com/"),
        (TENANT, "https://acme.ilert.com"),
        (SETTINGS, "http://localhost:4598"),  # the emulator
    ],
)
def test_issuer_less_ilert_accepts_the_sign_in_hosts_origin(settings: Settings, iss: str) -> None:
    # RFC 9207 §2.4: the issuer of the server the request was sent to. ilert publishes none,
    # so its authorization server's origin (where the sign-in went) stands for it.
    store, attempt = begin(settings)
    result = callback.handle({"code": "abc", "state": attempt.state, "iss": iss}, store)
    assert result.code == "abc"


@pytest.mark.parametrize(
    ("settings", "iss"),
    [
        (ILERT, "https://api.ilert.com"),  # not where the sign-in went
        (ILERT, "https://evil.example"),
        (ILERT, "ilert"),  # the `iss` claim of ilert's tokens is not an issuer URL
        (ILERT, "https://app.ilert.com/api"),
        (TENANT, "https://app.ilert.com"),  # the sign-in went to the tenant's host
        (SETTINGS, "http://localhost:4599"),
    ],
)
def test_issuer_less_ilert_refuses_any_other_iss(settings: Settings, iss: str) -> None:
    store, attempt = begin(settings)
    with pytest.raises(IssuerMismatch) as info:
        callback.handle({"code": "abc", "state": attempt.state, "iss": iss}, store)
    assert storage.peek_attempt(store) is None
    expected = callback.accepted_issuers(settings.endpoints())[0]
    assert f"not from ilert ({expected})" in explain(info.value).message


def test_custom_server_without_issuer_refuses_any_iss_and_absent_iss_passes() -> None:
    custom = Settings(
        client_id="c",
        server="custom",
        authorize_url="https://auth.example.org/authorize",
        token_url="https://auth.example.org/token",
        api_base="",
        scope="profile",
    )
    store, attempt = begin(custom)
    with pytest.raises(IssuerMismatch) as info:
        callback.handle(
            {"code": "abc", "state": attempt.state, "iss": "https://auth.example.org"}, store
        )
    assert (
        "no issuer is configured for auth.example.org"
        in explain(info.value, "auth.example.org").message
    )
    store, attempt = begin(custom)
    assert callback.handle({"code": "abc", "state": attempt.state}, store).code == "abc"


def test_missing_iss_refused_when_the_server_says_it_always_sends_one() -> None:
    # RFC 9207 §2.4: metadata with authorization_response_iss_parameter_supported: an
    # answer without `iss` is refused, before any exchange.
    strict = replace(SETTINGS, issuer="https://auth.example.org", iss_parameter="required")
    store, attempt = begin(strict)
    with pytest.raises(IssuerMissing) as info:
        callback.handle({"code": "abc", "state": attempt.state}, store)
    assert storage.peek_attempt(store) is None
    ex = explain(info.value, "auth.example.org")
    assert ex.kind == "issuer_missing" and "no iss" in ex.message
    store, attempt = begin(strict)
    with pytest.raises(ConsentDenied):  # an error answer ends the attempt anyway, sends nothing
        callback.handle({"error": "access_denied", "state": attempt.state}, store)
    assert storage.peek_attempt(store) is None
    store, attempt = begin(strict)
    params = {"code": "abc", "state": attempt.state, "iss": "https://auth.example.org"}
    assert callback.handle(params, store).code == "abc"
    # Not said by the server: an absent iss passes (ilert sends none).
    store, attempt = begin(replace(strict, iss_parameter=""))
    assert callback.handle({"code": "abc", "state": attempt.state}, store).code == "abc"


def test_iss_checked_on_our_error_answers_too() -> None:
    store, attempt = begin()
    with pytest.raises(IssuerMismatch):
        callback.handle(
            {"error": "access_denied", "state": attempt.state, "iss": "https://evil.example"},
            store,
        )


def test_recorded_endpoints_win_over_current_settings() -> None:
    store = storage.MemoryStorage()
    endpoints = Settings(client_id="c", issuer="https://auth.example.org").endpoints()
    attempt = storage.Attempt(
        "v" * 43, "s" * 32, "http://localhost:4597/", 0.0, endpoints.to_dict()
    )
    storage.save_attempt(store, attempt)
    params = {"code": "abc", "state": "s" * 32, "iss": "https://auth.example.org"}
    other = Settings(client_id="c", issuer="https://other.example").endpoints()
    result = callback.handle(params, store, other)
    assert result.endpoints == endpoints
    tampered = endpoints.to_dict() | {"token": "https://a@evil.example/token"}
    storage.save_attempt(store, storage.Attempt("v" * 43, "t" * 32, "", 0.0, tampered))
    with pytest.raises(ConfigError):
        callback.handle({"code": "abc", "state": "t" * 32}, store)
