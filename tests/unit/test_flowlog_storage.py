"""Redaction by meaning, a bounded flow log, and storage that refuses without losing data."""

from __future__ import annotations

import base64
import json

import pytest

from app.boot.keys import ATTEMPT_KEY, LOG_KEY, TOKENS_KEY
from app.core import flowlog, jwt_display, storage
from app.core.errors import StorageRefused
from app.core.explain import explain
from app.core.flowlog import REDACTED, Entry, FlowLog
from app.core.storage import FallbackStorage
from tests.storage_doubles import QuotaExceeded, QuotaStorage

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpbF91IjoiYWxpY2UifQ.c2lnbmF0dXJlX3NpZ25hdHVyZQ"
CODE = "3f9a1c0b7d2e4f6a8b0c1d2e3f4a"  # 28 hex characters, like ilert's
SECRETS = (CODE, "VERIFIER-xyz", "STATE-abc", "opaque-refresh-1", "opaque-access-9")


def shown(value: object) -> str:
    return json.dumps(flowlog.redact(value))


# --- redaction by meaning ------------------------------------------------------------------


def test_api_and_oauth_error_codes_are_shown() -> None:
    api = {"status": 401, "message": "Unauthorized", "code": "UNAUTHORIZED"}
    assert flowlog.redact(api) == api
    oauth = {"code": "invalid_grant", "error": "Provided code is unknown"}
    assert flowlog.redact(oauth) == oauth
    assert flowlog.redact({"status": 404, "code": 404}) == {"status": 404, "code": 404}
    nested = {"response": {"body": json.dumps(api)}}
    assert "UNAUTHORIZED" in shown(nested)


@pytest.mark.parametrize(
    "value",
    [
        # the token request's form, as a dict and as a body string
        {"grant_type": "authorization_code", "code": CODE, "code_verifier": "VERIFIER-xyz"},
        f"client_id=c&grant_type=authorization_code&code={CODE}&code_verifier=VERIFIER-xyz",
        # the callback's parameters and address
        {"code": CODE, "state": "STATE-abc"},
        {"error": "access_denied", "state": "STATE-abc", "code": CODE},
        f"http://localhost:4597/?code={CODE}&state=STATE-abc",
        f"http://localhost:4597/#code={CODE}&state=STATE-abc",
        # a bare code in an object without error keys stays secret
        {"code": CODE},
        # JSON held in a string, free text, headers
        json.dumps({"access_token": "opaque-access-9", "refresh_token": "opaque-refresh-1"}),
        f"redirected to http://localhost:4597/cb?code={CODE}&state=STATE-abc then failed",
        "token=opaque-refresh-1&token_type_hint=refresh_token&client_id=c",
        {"headers": {"Authorization": "Bearer opaque-access-9"}},
        "Authorization: Bearer opaque-access-9",
        "Authorization: Basic b3BhcXVlLXJlZnJlc2gtMQ==",
        '... "refresh_token": "opaque-refresh-1", "expires_in": 3600 (cut',
        {"id_token": JWT, "note": f"got {JWT}"},
        [{"token": "opaque-access-9"}],
        "https://user:opaque-refresh-1@example.org/x",
    ],
)
def test_secrets_are_redacted_wherever_they_appear(value: object) -> None:
    text = shown(value)
    for secret in (*SECRETS, JWT, "b3BhcXVlLXJlZnJlc2gtMQ=="):
        assert secret not in text
    assert "redacted" in text


def test_harmless_fields_and_www_authenticate_are_kept() -> None:
    data = {
        "grant_type": "authorization_code",
        "client_id": "demo",
        "scope": "profile source:w",
        "www-authenticate": 'Bearer error="invalid_token", error_description="expired"',
        "url": "http://h/cb?keep=1&code=x",
        "expires_in": 3600,
        "active": True,
        "fingerprint": "c2lnbmF0dXJl==",
        "summary": "a=b and c",
    }
    out = flowlog.redact(data)
    assert out["grant_type"] == "authorization_code" and out["client_id"] == "demo"
    assert out["scope"] == "profile source:w" and out["expires_in"] == 3600
    assert out["www-authenticate"] == data["www-authenticate"]
    assert out["fingerprint"] == data["fingerprint"] and out["summary"] == data["summary"]
    assert "keep=1" in out["url"] and "code=[redacted]" in out["url"]


def test_flowlog_http_entry_redacts_request_and_shows_error_code() -> None:
    log = FlowLog(clock=lambda: 0.0)
    log.http(
        "post",
        "http://x/token",
        401,
        5.0,
        {"grant_type": "authorization_code", "code": CODE, "code_verifier": "VERIFIER-xyz"},
        {"code": "invalid_grant", "error": "Provided code is unknown"},
    )
    text = log.as_text()
    assert CODE not in text and "VERIFIER-xyz" not in text
    assert '"code": "invalid_grant"' in text


def test_hostile_nesting_does_not_crash() -> None:
    deep: object = "x"
    for _ in range(200):
        deep = {"a": deep}
    assert REDACTED in json.dumps(flowlog.redact(deep))
    assert flowlog.redact("[" * 5000) == "[" * 5000


# --- a bounded log ---------------------------------------------------------------------------


def test_bodies_are_capped_after_redaction() -> None:
    log = FlowLog(clock=lambda: 0.0)
    big = {"message": "x" * 6_000_000, "access_token": "opaque-access-9"}
    entry = log.http("GET", "http://x/api", 500, 1.0, None, big)
    assert len(json.dumps(entry.response)) < flowlog.MAX_PART_CHARS + 200
    assert "truncated" in entry.response and "opaque-access-9" not in json.dumps(entry.response)
    assert len(log.step("t" * 10_000).title) <= flowlog.MAX_TITLE_CHARS + 1


def test_entries_are_capped() -> None:
    log = FlowLog(clock=lambda: 0.0)
    for i in range(flowlog.MAX_ENTRIES + 20):
        log.step(f"step {i}")
    assert len(log.entries) == flowlog.MAX_ENTRIES
    assert log.entries[0].title == "step 20"


def test_save_keeps_the_newest_that_fit_and_never_raises() -> None:
    log = FlowLog(clock=lambda: 0.0)
    for i in range(50):
        log.step(f"step {i}", detail="y" * 100)
    store = QuotaStorage(quota=3_000)
    stored = log.save(store)
    assert 0 < stored < 50
    again = FlowLog()
    assert again.restore(store) == stored
    assert again.entries[-1].title == "step 49"  # oldest dropped
    assert log.save(QuotaStorage(quota=10)) == 0
    assert log.save(QuotaStorage(quota=10**6, blocked=True)) == 0
    assert log.save(QuotaStorage(quota=10**6), max_chars=1_000) < 50


def test_restore_skips_malformed_entries() -> None:
    store = storage.MemoryStorage()
    good = Entry(1.0, "step", "ok").__dict__
    items = [good, {"kind": "step"}, "x", good | {"kind": "evil"}, good | {"status": "500"}]
    items += [good | {"at": 1e300}, good | {"at": "nan"}, good | {"request": []}]
    store.set(LOG_KEY, json.dumps(items))
    log = FlowLog()
    assert log.restore(store) == 1 and log.entries[0].title == "ok"
    store.set(LOG_KEY, "{not json")
    assert FlowLog().restore(store) == 0


# --- storage that refuses -----------------------------------------------------------------------


def test_quota_store_refuses_like_a_browser() -> None:
    store = QuotaStorage(quota=20)
    store.set("k", "v" * 10)
    with pytest.raises(QuotaExceeded):
        store.set("k2", "v" * 10)
    store.set("k", "w" * 19)  # replacing frees the old value first
    with pytest.raises(StorageRefused) as info:
        storage.set_json(store, "k2", "v" * 10)
    assert info.value.key == "k2" and "QuotaExceeded" in info.value.reason
    assert explain(info.value).kind == "storage_refused"


def test_tokens_first_push_the_log_out() -> None:
    store = QuotaStorage(quota=2_200)  # the log below takes ~1,750 characters
    log = FlowLog(clock=lambda: 0.0)
    for i in range(10):
        log.step(f"step {i}", detail="y" * 40)
    assert log.save(store) == 10
    tokens = {"access_token": "a" * 500, "refresh_token": "r" * 100}
    assert storage.save_tokens(store, tokens) is True
    assert storage.get_json(store, TOKENS_KEY) == tokens
    assert 0 < log.save(store) < 10  # the newest entries fit in what is left
    assert storage.get_json(store, TOKENS_KEY) == tokens
    assert storage.save_tokens(store, None) and store.get(TOKENS_KEY) is None


def test_save_tokens_raises_the_typed_error_when_nothing_helps() -> None:
    with pytest.raises(StorageRefused):
        storage.save_tokens(QuotaStorage(quota=10), {"access_token": "a" * 100})
    with pytest.raises(StorageRefused):
        storage.save_tokens(QuotaStorage(quota=10**6, blocked=True), {"access_token": "a"})


def test_fallback_store_keeps_working_in_memory_and_says_so_once() -> None:
    primary = QuotaStorage(quota=200)
    told: list[StorageRefused] = []
    store = FallbackStorage(primary, on_refused=told.append)
    assert store.set(TOKENS_KEY, "old") is True
    assert store.set(TOKENS_KEY, "n" * 300) is False  # refused: kept in memory
    assert store.get(TOKENS_KEY) == "n" * 300 and store.in_memory_only(TOKENS_KEY)
    assert primary.get(TOKENS_KEY) is None  # no stale token left for a reload
    assert store.set(ATTEMPT_KEY, "a" * 300) is False
    assert len(told) == 1 and store.refused is told[0]
    assert set(store.keys()) == {TOKENS_KEY, ATTEMPT_KEY}
    assert storage.save_tokens(store, {"a": "b"}) is True  # fits again: back in the browser
    assert not store.in_memory_only(TOKENS_KEY) and primary.get(TOKENS_KEY) == '{"a":"b"}'
    store.remove(ATTEMPT_KEY)
    assert store.get(ATTEMPT_KEY) is None


def test_fallback_store_frees_the_log_for_essentials_and_never_keeps_the_log() -> None:
    primary = QuotaStorage(quota=300)
    told: list[StorageRefused] = []
    store = FallbackStorage(primary, on_refused=told.append)
    assert store.set(LOG_KEY, "l" * 200) is True
    assert store.set(TOKENS_KEY, "t" * 150) is True  # the log made room
    assert primary.get(LOG_KEY) is None and primary.get(TOKENS_KEY) == "t" * 150
    assert store.set(LOG_KEY, "l" * 200) is False and LOG_KEY not in store.memory
    assert told == []  # an expendable log is nothing to warn about


def test_fallback_store_over_a_blocked_store() -> None:
    told: list[StorageRefused] = []
    store = FallbackStorage(QuotaStorage(quota=100, blocked=True), on_refused=told.append)
    assert store.get(TOKENS_KEY) is None and store.keys() == []
    assert storage.save_tokens(store, {"a": "b"}) is False
    assert storage.get_json(store, TOKENS_KEY) == {"a": "b"}
    assert len(told) == 1 and "StorageBlocked" in told[0].reason
    storage.clear_all(store)
    assert storage.get_json(store, TOKENS_KEY) is None


def test_attempt_save_reports_memory_only() -> None:
    attempt = storage.Attempt("v", "s", "r", 0.0)
    assert storage.save_attempt(storage.MemoryStorage(), attempt) is True
    blocked = FallbackStorage(QuotaStorage(quota=100, blocked=True))
    assert storage.save_attempt(blocked, attempt) is False  # the redirect would lose it


def test_helpers_survive_a_blocked_store() -> None:
    blocked = QuotaStorage(quota=100, blocked=True)
    assert storage.get_json(blocked, TOKENS_KEY) is None
    assert storage.take_attempt(blocked) is None
    storage.mark_state_used(blocked, "s")  # best effort, no exception
    storage.clear_all(blocked)


# --- JWT display survives any JSON ---------------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "payload, expected",
    [
        ({"exp": 10**30}, "1000000000000000000000000000000"),
        ({"exp": -(10**30)}, "-1000000000000000000000000000000"),
        ({"exp": 1e308}, "1e+308"),
        ({"exp": "tomorrow"}, "tomorrow"),
        ({"exp": True}, "true"),
        ({"exp": None}, "null"),
        ({"exp": [1]}, "[1]"),
    ],
)
def test_claims_with_odd_times_show_the_raw_value(payload: dict, expected: str) -> None:
    rows = {k: v for k, _w, v in jwt_display.claim_rows(payload)}
    assert rows["exp"] == expected


def test_claims_of_odd_payloads() -> None:
    odd = b'{"exp": NaN, "iat": Infinity}'
    token = f"{b64(b'{}')}.{b64(odd)}.s"
    decoded = jwt_display.decode(token)
    rows = {k: v for k, _w, v in jwt_display.claim_rows(decoded.payload)}
    assert rows == {"exp": "NaN", "iat": "Infinity"}
    assert jwt_display.claim_rows([1, 2]) == [("(payload)", "not a JSON object", "[1, 2]")]
    assert jwt_display.claim_rows("x") == [("(payload)", "not a JSON object", "x")]
    deep = f"{b64(b'{}')}.{b64(b'[' * 100000)}.s"
    assert jwt_display.decode(deep).error
    rows = jwt_display.claim_rows({"il_s": "p" * 10_000})
    assert len(rows[0][2]) <= jwt_display.MAX_VALUE_CHARS + 1
    good = {k: v for k, _w, v in jwt_display.claim_rows({"exp": 0})}
    assert good["exp"] == "0 (1970-01-01 00:00:00 UTC)"
