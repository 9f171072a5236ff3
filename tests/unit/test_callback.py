"""The redirect back from ilert."""

from __future__ import annotations

import pytest

from app import address, authorize, callback, storage
from app.config import Settings
from app.errors import (
    AuthorizationError,
    CallbackReplayed,
    ConsentDenied,
    MissingVerifier,
    StateMismatch,
    StateMissing,
    explain,
)

SETTINGS = Settings(
    client_id="c",
    ilert_host="http://localhost:4598",
    api_base="http://localhost:4598/api",
    scope="profile",
)


def begin() -> tuple[storage.MemoryStorage, storage.Attempt]:
    store = storage.MemoryStorage()
    authorize.start(SETTINGS, store, "http://localhost:4597/")
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
    assert result == callback.CallbackResult("abc", attempt.verifier, "http://localhost:4597/")
    assert storage.peek_attempt(store) is None  # verifier and state removed once used
    with pytest.raises(CallbackReplayed):
        callback.handle({"code": "abc", "state": attempt.state}, store)


def test_state_mismatch_and_missing() -> None:
    store, attempt = begin()
    with pytest.raises(StateMismatch):
        callback.handle({"code": "abc", "state": attempt.state + "x"}, store)
    assert storage.peek_attempt(store) is None
    store, _ = begin()
    with pytest.raises(StateMissing):
        callback.handle({"code": "abc"}, store)
    assert storage.peek_attempt(store) is None


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
