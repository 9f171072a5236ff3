"""Flow log redaction, JWT display, scope picker, errors, back-off, session timing."""

from __future__ import annotations

import base64
import json
import random

import pytest

from app.boot.keys import TOKENS_KEY
from app.core import backoff, errors, explain, flowlog, grants, jwt_display, scopes
from app.core.protocol import TokenSet
from app.core.session import Session, format_duration
from app.core.storage import MemoryStorage, set_json
from app.core.tokens import TokenClient

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


@pytest.mark.parametrize("info", scopes.SCOPES, ids=lambda i: i.name)
@pytest.mark.parametrize("level", scopes.LEVELS)
def test_every_catalogue_scope_round_trips_through_the_picker(info, level) -> None:
    picker = grants.Picker()
    picker.set(info.name, level)
    text = picker.scope()
    assert text == (info.name if level == scopes.READ else f"{info.name}:{level}")
    assert grants.Picker.from_scope(text).levels == {info.name: level}
    assert scopes.allows(text, info.name, level)
    if info.paths:  # monitor: in ilert's scope list, its API path undocumented
        assert scopes.scope_for_path(info.paths[0]) == info.name


# --- errors and back-off --------------------------------------------------------------------


R, S, T = explain.RETRY, explain.SIGN_IN, explain.SETTINGS
# (error, expected kind, expected ways forward): every error the app raises, explained.
EXPLAINED = [
    (errors.ConsentDenied(), "consent_denied", (S,)),
    (errors.AuthorizationError("invalid_scope", "<img src=x>"), "authorization_error", (S, T)),
    (errors.StateMissing(), "state_missing", (S,)),
    (errors.StateMismatch(), "state_mismatch", (S,)),
    (errors.MissingVerifier(), "missing_verifier", (S,)),
    (errors.CallbackReplayed(), "callback_replayed", (S,)),
    (errors.AttemptExpired(), "attempt_expired", (S,)),
    (errors.NetworkError("http://x", "refused"), "network", (R, T)),
    (errors.Timeout("http://x", 15), "timeout", (R, T)),
    (errors.CorsRefused("http://x"), "cors", (R, T)),
    (errors.ExchangeUnanswered(errors.Timeout("u", 3)), "exchange_unanswered", (S, T)),
    (errors.RateLimited(12), "rate_limited", (R,)),
    (errors.ServerError(503, 10), "server_error", (R,)),
    (errors.OAuthError(401, "invalid_grant", "used", "authorization_code"), "code_invalid", (S,)),
    (errors.OAuthError(401, "invalid_grant", "revoked", "refresh_token"), "refresh_invalid", (S,)),
    (errors.OAuthError(400, "invalid_scope"), "invalid_scope", (T, S)),
    (errors.OAuthError(401, "invalid_client", "", "refresh_token"), "invalid_client", (S, T)),
    (errors.OAuthError(400, "weird"), "oauth_error", (S,)),
    (errors.InvalidTokenResponse(200, "expires_in is 0"), "invalid_token_response", (S, T)),
    (errors.NonJsonResponse(502), "non_json", (R, T)),
    (errors.MalformedResponse(200), "malformed", (R,)),
    (errors.ScopeNotGranted("source", "w"), "scope_not_granted", (T,)),
    (errors.RoleForbidden(403, "no"), "role_forbidden", ()),
    (errors.SessionEnded("expired"), "session_ended", (S,)),
    (errors.SessionEnded("revoked"), "session_ended", (S,)),
    (errors.ApiError(404, "Alert source not found"), "api_error", (R,)),
    (errors.ConfigError(["the client id is missing"]), "config", (T,)),
    (errors.HttpError(418), "http", (R,)),
    (KeyError("boom"), "unexpected", (R,)),
]


@pytest.mark.parametrize(("exc", "kind", "actions"), EXPLAINED, ids=lambda e: str(e)[:30])
def test_every_error_has_its_message_and_way_forward(exc, kind, actions) -> None:
    ex = explain.explain(exc)
    assert (ex.kind, ex.actions) == (kind, actions)
    assert ex.message.endswith((".", "!")) and len(ex.message) > 30
    assert "Traceback" not in ex.message and "KeyError" not in ex.message
    assert "<img" not in ex.message or isinstance(exc, errors.AuthorizationError)


def test_messages_tell_refused_from_unreachable() -> None:
    refused = explain.explain(errors.OAuthError(400, "invalid_request", "missing redirect_uri"))
    assert "refused" in refused.message and "missing redirect_uri" in refused.message
    assert "reach" not in refused.message
    unreachable = explain.explain(errors.NetworkError("u", "x"))
    assert "Could not reach" in unreachable.message and "refused" not in unreachable.message
    assert explain.explain(errors.ScopeNotGranted("source", "w")).severity == "info"
    assert "(needs source:w)" in explain.explain(errors.ScopeNotGranted("source", "w")).message
    assert explain.explain(errors.RateLimited(12)).retry_after == 12


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
        "c", "http://127.0.0.1:9/t", "http://127.0.0.1:9/i", "http://127.0.0.1:9/r", None
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
    s = Session(store, TokenClient("c", "u", "u", "u", None))
    assert not s.signed_in and store.get(TOKENS_KEY) is None
    assert TokenSet.from_dict({"access_token": "a"}) is None


def test_format_duration() -> None:
    assert format_duration(3599) == "59:59"
    assert format_duration(3600) == "1:00:00"
    assert format_duration(-5) == "0:00"


@pytest.mark.parametrize(
    "exp", [1e300, -1e300, 10**30, float("nan"), True, "soon", None, [1], {"a": 1}]
)
def test_claims_survive_any_exp(exp: object) -> None:
    """Any JSON may come in a token; the claims table must never crash (was OverflowError)."""
    body = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    decoded = jwt_display.decode(f"{b64({'alg': 'RS256'})}.{body}.sig")
    rows = jwt_display.claim_rows(decoded.payload)
    assert rows[0][0] == "exp" and isinstance(rows[0][2], str)


def test_claims_of_deeply_nested_json_are_an_error_not_a_crash() -> None:
    body = base64.urlsafe_b64encode(("[" * 100000 + "]" * 100000).encode()).decode()
    decoded = jwt_display.decode(f"{b64({'alg': 'RS256'})}.{body.rstrip('=')}.sig")
    assert decoded.error
