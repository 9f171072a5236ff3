"""Flow log redaction, JWT display, scope picker, errors, back-off, session timing."""

from __future__ import annotations

import base64
import json
import random

import pytest

from app import backoff, errors, flowlog, grants, jwt_display, scopes
from app.keys import TOKENS_KEY
from app.session import Session, format_duration
from app.storage import MemoryStorage, set_json
from app.tokens import TokenClient, TokenSet

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpbF91IjoiYWxpY2UifQ.c2lnbmF0dXJlX3NpZ25hdHVyZQ"


def b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


# --- flow log -----------------------------------------------------------------------


def test_redact_nested_keys_urls_and_jwts() -> None:
    data = {
        "client_id": "demo",
        "code": "abc123",
        "code_verifier": "v" * 43,
        "refresh_token": "r",
        "nested": [{"access_token": "x", "Authorization": "Bearer zzz"}],
        "note": f"got {JWT} back",
        "header": "Bearer abc.def",
        "url": "http://h/cb?code=SECRET&state=STATE&keep=1",
        "empty_token": {"token": ""},
    }
    out = flowlog.redact(data)
    text = json.dumps(out)
    for secret in ("abc123", "v" * 43, JWT, "zzz", "SECRET", "STATE", "abc.def"):
        assert secret not in text
    assert out["client_id"] == "demo"
    assert "keep=1" in out["url"]
    assert out["empty_token"] == {"token": ""}


def test_flowlog_entries_are_redacted_and_listed() -> None:
    log = flowlog.FlowLog(clock=lambda: 0.0)
    seen: list = []
    log.listeners.append(seen.append)
    log.step("Got the code", code="c0de", verifier="v3r")
    log.http(
        "post",
        "http://x/token?code=c0de",
        200,
        12.3,
        {"code": "c0de", "grant_type": "authorization_code"},
        {"access_token": JWT, "expires_in": 3600},
    )
    text = log.as_text()
    assert "c0de" not in text and "v3r" not in text and JWT not in text
    assert "POST http://x/token?code=%5Bredacted%5D" in text or "code=[redacted]" in text
    assert "200 (12 ms)" in text and "authorization_code" in text and "3600" in text
    assert len(seen) == 2
    log.clear()
    assert log.entries == [] and seen[-1] is None


# --- JWT display -----------------------------------------------------------------------


def test_jwt_decode_and_claims() -> None:
    token = f"{b64({'typ': 'JWT', 'alg': 'RS256'})}.{b64({'il_s': 'profile', 'exp': 0})}.sig"
    decoded = jwt_display.decode(token)
    assert decoded.header["alg"] == "RS256" and decoded.payload["il_s"] == "profile"
    rows = dict((k, (w, v)) for k, w, v in jwt_display.claim_rows(decoded.payload))
    assert rows["il_s"] == ("granted scope", "profile")
    assert "1970-01-01 00:00:00 UTC" in rows["exp"][1]


@pytest.mark.parametrize(
    "garbage", [None, "", "abc", "a.b.c", "!!!.???.x", f"{b64([1])}.{b64(2)}.x"]
)
def test_jwt_decode_tolerates_garbage(garbage: object) -> None:
    decoded = jwt_display.decode(garbage)
    assert decoded.error and decoded.payload == {}


# --- scope picker and features -----------------------------------------------------------


def test_picker_round_trip() -> None:
    picker = grants.Picker.from_scope("source:w profile offline_access bogus alert:d")
    assert picker.levels == {"source": "w", "profile": "r", "alert": "d"}
    assert picker.offline_access
    assert picker.scope() == "profile source:w alert:d offline_access"
    picker.set("source", "")
    picker.set("offline_access", "")
    picker.set("schedule", "r")
    assert picker.scope() == "profile schedule alert:d"
    with pytest.raises(ValueError):
        picker.set("bogus", "r")
    assert {name for name, _ in [(s.name, 0) for s in scopes.SCOPES]} == scopes.SCOPE_NAMES


def test_features_for_scope() -> None:
    f = grants.Features.for_scope("profile source alert:w")
    assert f.profile and f.sources and not f.sources_write
    assert f.alerts and f.alerts_write and not f.on_call and not f.refresh
    assert grants.Features.for_scope("source:d schedule offline_access").sources_write
    assert "not allowed by the granted scope" in grants.not_granted_text("source", "w").lower()


# --- errors and back-off --------------------------------------------------------------------


ALL_ERRORS = [
    errors.ConsentDenied(),
    errors.AuthorizationError("invalid_scope", "<img src=x onerror=alert(1)>"),
    errors.StateMissing(),
    errors.StateMismatch(),
    errors.MissingVerifier(),
    errors.CallbackReplayed(),
    errors.NetworkError("http://x", "refused"),
    errors.RateLimited(12),
    errors.ServerError(503, 10),
    errors.OAuthError(401, "invalid_grant", "used", "authorization_code"),
    errors.OAuthError(401, "invalid_grant", "revoked", "refresh_token"),
    errors.OAuthError(400, "invalid_scope"),
    errors.OAuthError(400, "invalid_client"),
    errors.OAuthError(400, "weird"),
    errors.NonJsonResponse(502),
    errors.MalformedResponse(200),
    errors.ScopeNotGranted("source", "w"),
    errors.SessionEnded("expired"),
    errors.SessionEnded("revoked"),
    errors.ApiError(404, "Alert source not found"),
    errors.ConfigError(["the client id is missing"]),
    errors.HttpError(418),
    KeyError("boom"),
]


@pytest.mark.parametrize("exc", ALL_ERRORS, ids=lambda e: type(e).__name__)
def test_every_error_has_plain_message_and_way_forward(exc: BaseException) -> None:
    ex = errors.explain(exc)
    assert ex.message and ex.actions
    assert "Traceback" not in ex.message and "KeyError" not in ex.message


def test_error_kinds() -> None:
    kinds = [errors.explain(e).kind for e in ALL_ERRORS]
    assert len(set(kinds)) >= 18
    assert errors.explain(errors.ScopeNotGranted("source", "w")).severity == "info"
    assert (
        "not allowed by the granted scope"
        in errors.explain(errors.ScopeNotGranted("source", "w")).message.lower()
    )
    assert errors.explain(errors.RateLimited(12)).retry_after == 12


def test_backoff_in_ilert_range() -> None:
    rnd = random.Random(1)
    delays = [backoff.delay(i, rnd) for i in range(6)]
    assert all(10 <= d <= 30 for d in delays)
    assert delays[0] < 13 and delays[-1] == 30
    assert backoff.delay(0, jitter=0) == 10 and backoff.delay(1, jitter=0) == 20


# --- session timing -----------------------------------------------------------------------


def make_session(tokens: TokenSet | None, now: float) -> Session:
    store = MemoryStorage()
    if tokens:
        set_json(store, TOKENS_KEY, tokens.to_dict())
    client = TokenClient(
        "c", "http://127.0.0.1:9/t", "http://127.0.0.1:9/i", "http://127.0.0.1:9/r"
    )
    return Session(store, client, clock=lambda: now)


def test_session_loads_from_store_and_schedules_refresh() -> None:
    t = TokenSet("at", expires_at=4600, refresh_token="rt", obtained_at=1000)
    s = make_session(t, now=1000)
    assert s.signed_in and s.can_refresh and s.seconds_left() == 3600
    assert s.refresh_due_in() == 3540  # 60 s before expiry
    short = TokenSet("at", expires_at=1120, refresh_token="rt", obtained_at=1000)
    assert make_session(short, now=1000).refresh_due_in() == 60
    no_rt = make_session(TokenSet("at", expires_at=4600), now=1000)
    assert no_rt.refresh_due_in() is None and not no_rt.can_refresh


def test_refresh_not_more_often_than_every_five_minutes() -> None:
    t = TokenSet("at", expires_at=1000 + 600, refresh_token="rt", obtained_at=1000)
    s = make_session(t, now=1000)
    assert s.refresh_due_in() == 540  # 600-60, later than the 300 s minimum
    t2 = TokenSet("at", expires_at=1000 + 200, refresh_token="rt", obtained_at=1000)
    assert make_session(t2, now=1000).refresh_due_in() == 140  # expiry wins over the minimum


def test_corrupt_stored_tokens_mean_signed_out() -> None:
    store = MemoryStorage()
    store.set(TOKENS_KEY, "{not json")
    s = Session(store, TokenClient("c", "u", "u", "u"))
    assert not s.signed_in and store.get(TOKENS_KEY) is None
    assert TokenSet.from_dict({"access_token": "a"}) is None


def test_format_duration() -> None:
    assert format_duration(3599) == "59:59"
    assert format_duration(3600) == "1:00:00"
    assert format_duration(-5) == "0:00"
