"""Token client, API client and the CPython transport over real HTTP against the emulator."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.boot.keys import ATTEMPT_KEY, TOKENS_KEY
from app.core import errors, explain, flow, protocol
from app.core.api import ApiClient
from app.core.errors import (
    InvalidTokenResponse,
    MalformedResponse,
    NetworkError,
    NonJsonResponse,
    OAuthError,
    RateLimited,
    RoleForbidden,
    ScopeNotGranted,
    ServerError,
    SessionEnded,
    Timeout,
)
from app.core.flowlog import FlowLog
from app.core.http import HttpRequest
from app.core.protocol import TokenSet
from app.core.session import Session
from app.core.storage import MemoryStorage
from app.core.tokens import TokenClient
from app.native.transport import UrllibTransport
from tests.asyncrun import run

FULL = "profile source:w alert:w schedule offline_access"


class Recorder:
    """The real transport, recording what goes over the wire."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.bodies: list[bytes | None] = []
        self.lock = threading.Lock()
        self.inner = UrllibTransport()

    async def send(self, request: HttpRequest, timeout: float = 15.0):
        with self.lock:
            self.calls.append((request.method, request.url))
            self.bodies.append(request.body)
        return await self.inner.send(request, timeout)

    def count(self, needle: str) -> int:
        return sum(needle in url for _, url in self.calls)


def client(emulator, clock=time.time, send=None, log=None, timeout=15.0) -> TokenClient:
    return TokenClient(
        emulator.client_id,
        emulator.token_url,
        emulator.token_info_url,
        emulator.revoke_url,
        send or UrllibTransport(),
        clock=clock,
        log=log,
        timeout=timeout,
    )


def signed_in(emulator, scope: str = FULL, send=None):
    send = send or UrllibTransport()
    code, verifier = emulator.code(scope=scope)
    log = FlowLog()
    tc = client(emulator, send=send, log=log)
    store = MemoryStorage()
    session = Session(store, tc)
    session.start(run(tc.exchange_code(code, verifier, emulator.redirect_uri)))
    return session, ApiClient(emulator.api_url, session, send, log=log), store, log


# --- transport ----------------------------------------------------------------------------


def test_transport_returns_error_statuses_as_responses(emulator) -> None:
    t = UrllibTransport()
    resp = run(t.send(HttpRequest("GET", emulator.api_url + "/users/current")))
    assert resp.status == 401 and resp.is_json and resp.elapsed_ms > 0
    resp = run(t.send(protocol.refresh_request(emulator.token_url, "nope", "x")))
    assert resp.status in (400, 401)
    assert protocol.oauth_fields(resp) is not None


def test_transport_network_failure_is_one_error() -> None:
    t = UrllibTransport()
    with pytest.raises(NetworkError) as refused:
        run(t.send(HttpRequest("GET", "http://127.0.0.1:9/nothing"), 2))
    assert refused.value.sent is False  # refused: certainly never reached a server
    with pytest.raises(NetworkError):
        run(t.send(HttpRequest("GET", "http://no-such-host.invalid/"), 2))


def test_transport_timeout_on_a_hanging_server(emulator) -> None:
    emulator.faults.add("api", hang=5)
    started = time.perf_counter()
    with pytest.raises(Timeout) as info:
        run(UrllibTransport().send(HttpRequest("GET", emulator.api_url + "/users/current"), 0.5))
    assert time.perf_counter() - started < 3
    assert explain.explain(info.value).kind == "timeout"
    emulator.faults.clear()


# --- token client ------------------------------------------------------------------------


def test_code_exchange_with_offline_access(emulator) -> None:
    code, verifier = emulator.code(scope=FULL)
    tc = client(emulator, clock=lambda: 1000.0)
    tokens = run(tc.exchange_code(code, verifier))
    assert tokens.access_token.count(".") == 2
    assert tokens.expires_at == 1000.0 + 3600
    assert tokens.refresh_token and tokens.refresh_expires_at == 1000.0 + 31536000
    assert set(tokens.scope.split()) == set(FULL.split())
    log = tc.log.as_text()
    assert code not in log and verifier not in log and tokens.access_token not in log
    assert tokens.refresh_token not in log and "authorization_code" in log


def test_code_exchange_without_offline_access_has_no_refresh_token(emulator) -> None:
    code, verifier = emulator.code(scope="profile")
    tokens = run(client(emulator).exchange_code(code, verifier))
    assert tokens.refresh_token is None and tokens.scope == "profile"


def test_reused_expired_and_wrong_verifier_codes(emulator) -> None:
    tc = client(emulator)
    code, verifier = emulator.code()
    run(tc.exchange_code(code, verifier))
    with pytest.raises(OAuthError) as reused:
        run(tc.exchange_code(code, verifier))
    assert (reused.value.status, reused.value.code) == (401, "invalid_grant")
    assert explain.explain(reused.value).kind == "code_invalid"
    code, verifier = emulator.code()
    with pytest.raises(OAuthError) as wrong:
        run(tc.exchange_code(code, verifier[:-1] + ("a" if verifier[-1] != "a" else "b")))
    assert wrong.value.code == "invalid_grant"
    code, verifier = emulator.code()
    emulator.clock.advance(130)
    with pytest.raises(OAuthError) as expired:
        run(tc.exchange_code(code, verifier))
    assert expired.value.code == "invalid_grant"


def test_refresh_rotates_and_strict_server_rejects_the_old_token(emulator) -> None:
    emulator.set_modes(strict_rotation=True)
    code, verifier = emulator.code(scope=FULL)
    tc = client(emulator)
    first = run(tc.exchange_code(code, verifier))
    second = run(tc.refresh(first))
    assert second.refresh_token and second.refresh_token != first.refresh_token
    with pytest.raises(OAuthError) as old:
        run(tc.refresh(first))
    assert old.value.code == "invalid_grant" and old.value.grant == "refresh_token"
    assert explain.explain(old.value).kind == "refresh_invalid"


def test_exchange_sends_redirect_uri_and_strict_server_accepts_it(emulator) -> None:
    emulator.set_modes(require_redirect_uri=True)
    rec = Recorder()
    code, verifier = emulator.code(scope="profile")
    tokens = run(client(emulator, send=rec).exchange_code(code, verifier, emulator.redirect_uri))
    assert tokens.access_token
    assert b"redirect_uri=http%3A%2F%2Flocalhost%3A4597%2F" in rec.bodies[0]


def test_revoke_names_the_client_and_the_token_type(emulator) -> None:
    rec = Recorder()
    session, _api, _store, _log = signed_in(emulator, send=rec)
    assert run(session.sign_out()) is None
    body = rec.bodies[-1].decode()
    assert "token_type_hint=refresh_token" in body
    assert f"client_id={emulator.client_id}" in body


def test_refresh_keeps_refresh_token_when_none_returned(emulator) -> None:
    code, verifier = emulator.code(scope=FULL)
    tc = client(emulator)
    first = run(tc.exchange_code(code, verifier))
    emulator.faults.add(
        "token",
        status=200,
        body='{"token_type":"Bearer","access_token":"a.b.c","expires_in":60}',
        content_type="application/json",
    )
    second = run(tc.refresh(first))
    assert second.access_token == "a.b.c"
    assert second.refresh_token == first.refresh_token
    assert second.scope == first.scope  # no scope in the answer: unchanged


@pytest.mark.parametrize(
    ("status", "body", "ctype", "expected", "kind"),
    [
        (
            400,
            '{"error":"invalid_grant","error_description":"RFC shape"}',
            "application/json",
            OAuthError,
            "code_invalid",
        ),
        (
            401,
            '{"code":"invalid_grant","error":"ilert shape"}',
            "application/json",
            OAuthError,
            "code_invalid",
        ),
        (404, "<html><body>Not found</body></html>", "text/html", NonJsonResponse, "non_json"),
        (502, "<html><body>Bad gateway</body></html>", "text/html", ServerError, "server_error"),
        (
            500,
            '{"code":"server_error","error":"boom"}',
            "application/json",
            ServerError,
            "server_error",
        ),
        (400, "{broken", "application/json", MalformedResponse, "malformed"),
        (
            400,
            '{"code":"invalid_scope","error":"no"}',
            "application/json",
            OAuthError,
            "invalid_scope",
        ),
        (200, "{broken", "application/json", MalformedResponse, "malformed"),
        (200, "<html>hello</html>", "text/html", NonJsonResponse, "non_json"),
        (200, '{"no":"token"}', "application/json", InvalidTokenResponse, "invalid_token_response"),
        (
            200,
            '{"access_token":"opaque","token_type":"Bearer","expires_in":0}',
            "application/json",
            InvalidTokenResponse,
            "invalid_token_response",
        ),
        (
            200,
            '{"access_token":"opaque","token_type":"mac","expires_in":60}',
            "application/json",
            InvalidTokenResponse,
            "invalid_token_response",
        ),
        (
            400,
            '{"error":"invalid_request","error_description":"missing redirect_uri",'
            '"error_uri":"https://example.org/e"}',
            "application/json",
            OAuthError,
            "oauth_error",
        ),
        (429, "", "text/plain", RateLimited, "rate_limited"),
    ],
)
def test_token_endpoint_error_shapes(emulator, status, body, ctype, expected, kind) -> None:
    code, verifier = emulator.code()
    emulator.faults.add("token", status=status, body=body, content_type=ctype)
    with pytest.raises(expected) as info:
        run(client(emulator).exchange_code(code, verifier))
    assert explain.explain(info.value).kind == kind
    if isinstance(info.value, RateLimited | ServerError):
        assert 10 <= info.value.retry_after <= 30


def test_token_info_live_and_dead(emulator) -> None:
    code, verifier = emulator.code(scope="profile source")
    tc = client(emulator)
    tokens = run(tc.exchange_code(code, verifier))
    info = run(tc.token_info(tokens.access_token))
    assert info["active"] is True and info["username"] == "alice"
    assert info["scope"] == "profile source"
    emulator.clock.advance(3700)
    assert run(tc.token_info(tokens.access_token))["active"] is False


def test_revoke_then_refresh_fails_and_session_is_cleared(emulator) -> None:
    session, _api, store, log = signed_in(emulator)
    store.set(ATTEMPT_KEY, "{}")
    old = session.tokens
    assert run(session.sign_out()) is None
    assert store.get(TOKENS_KEY) is None and store.get(ATTEMPT_KEY) is None
    assert not session.signed_in
    with pytest.raises(OAuthError) as info:
        run(session.client.refresh(old))
    assert info.value.code == "invalid_grant"
    assert "revoke" in log.as_text()


def test_revoked_grant_ends_session_on_refresh(emulator) -> None:
    session, api, store, _ = signed_in(emulator)
    emulator.revoke_grants("alice")
    with pytest.raises(OAuthError):
        run(session.refresh())
    assert not session.signed_in and store.get(TOKENS_KEY) is None
    with pytest.raises(SessionEnded):
        run(api.current_user())


def test_network_down_on_token_endpoint() -> None:
    tc = TokenClient(
        "c",
        "http://127.0.0.1:9/t",
        "http://127.0.0.1:9/i",
        "http://127.0.0.1:9/r",
        UrllibTransport(),
    )
    with pytest.raises(NetworkError) as info:
        run(tc.exchange_code("code", "v" * 43))
    assert explain.explain(info.value).kind == "network"
    assert "no response" in tc.log.as_text()


# --- API client ------------------------------------------------------------------------------


def test_api_reads_and_writes(emulator) -> None:
    session, api, _store, log = signed_in(emulator)
    assert run(api.current_user())["username"] == "alice"
    sources = run(api.alert_sources())
    assert len(sources) == 6
    first = sources[0]
    current = run(api.alert_source(first["id"]))
    updated = run(api.put_alert_source({**current, "active": not first["active"]}))
    assert updated["active"] is (not first["active"])
    again = {s["id"]: s for s in run(api.alert_sources())}
    assert again[first["id"]]["active"] is (not first["active"])
    alerts = run(api.open_alerts())
    assert {a["status"] for a in alerts} <= {"PENDING", "ACCEPTED"} and alerts
    pending = next(a for a in alerts if a["status"] == "PENDING")
    assert run(api.alert_action(pending["id"], "accept"))["status"] == "ACCEPTED"
    assert run(api.alert_action(pending["id"], "resolve"))["status"] == "RESOLVED"
    assert pending["id"] not in {a["id"] for a in run(api.open_alerts())}
    assert isinstance(run(api.on_calls()), list)
    text = log.as_text()
    assert session.current().access_token not in text and "Bearer ey" not in text
    assert first["integrationKey"] not in text  # the PUT body is logged, its key is not


def test_api_paging(emulator, monkeypatch) -> None:
    rec = Recorder()
    _s, api, _st, _l = signed_in(emulator, send=rec)
    monkeypatch.setitem(protocol.PAGE_SIZES, "/alert-sources", 4)
    sources = run(api.alert_sources())
    assert len(sources) == 6 and len({s["id"] for s in sources}) == 6
    assert rec.count("/alert-sources?") == 2
    assert any("start-index=4" in url and "max-results=4" in url for _, url in rec.calls)


def test_scope_not_granted_locally_and_by_server(emulator) -> None:
    rec = Recorder()
    _session, api, _st, _l = signed_in(emulator, scope="profile source", send=rec)
    before = len(rec.calls)
    with pytest.raises(ScopeNotGranted) as local:
        run(api.put_alert_source({"id": 4001, "name": "x"}))
    assert (local.value.scope, local.value.level) == ("source", "w")
    assert len(rec.calls) == before  # refused without a request
    assert explain.explain(local.value).severity == "info"


def test_403_with_the_scope_granted_is_the_role(emulator) -> None:
    _session, api, _st, _l = signed_in(emulator, scope="profile source")
    emulator.faults.add(
        "api",
        status=403,
        body='{"status":403,"message":"role STAKEHOLDER may not","code":"FORBIDDEN"}',
        content_type="application/json",
    )
    with pytest.raises(RoleForbidden) as info:
        run(api.alert_sources())
    assert "your role at ilert does not allow this" in explain.explain(info.value).message.lower()


def test_401_refreshes_once_and_retries(emulator) -> None:
    rec = Recorder()
    session, api, _st, _l = signed_in(emulator, send=rec)
    old = session.tokens
    emulator.clock.advance(3601)  # access token expired, refresh token still good
    assert run(api.current_user())["username"] == "alice"
    assert session.tokens.access_token != old.access_token
    assert rec.count("/users/current") == 2 and rec.count("/oauth2/token") == 2  # code + refresh


def test_401_twice_gives_up_without_looping(emulator) -> None:
    rec = Recorder()
    _session, api, store, _ = signed_in(emulator, send=rec)
    emulator.faults.add(
        "api", count=5, status=401, body='{"status":401}', content_type="application/json"
    )
    with pytest.raises(SessionEnded) as info:
        run(api.current_user())
    assert rec.count("/users/current") == 2 and rec.count("/oauth2/token") == 2
    # The client only raises: its caller's flow decision ends the session (one place decides).
    assert store.get(TOKENS_KEY) is not None
    assert flow.step(flow.SIGNED_IN, flow.Event(flow.API_FAILED, info.value)).end_session


def test_401_without_refresh_token_ends_session(emulator) -> None:
    session, api, store, _ = signed_in(emulator, scope="profile")
    emulator.clock.advance(3601)
    with pytest.raises(SessionEnded) as info:
        run(api.current_user())
    assert explain.explain(info.value).kind == "session_ended"
    assert session.signed_in and store.get(TOKENS_KEY) is not None  # the caller's decision ends it
    assert flow.step(flow.SIGNED_IN, flow.Event(flow.API_FAILED, info.value)).end_session


def test_concurrent_401s_refresh_only_once(emulator) -> None:
    rec = Recorder()
    session, api, _st, _l = signed_in(emulator, send=rec)
    emulator.clock.advance(3601)

    async def six() -> list[object]:
        calls = [api.current_user() for _ in range(6)]
        return await asyncio.gather(*calls, return_exceptions=True)

    results = run(six())
    assert [r["username"] if isinstance(r, dict) else r for r in results] == ["alice"] * 6
    assert session.refresh_count == 1
    assert rec.count("/oauth2/token") == 2  # the code exchange and ONE refresh


def test_rate_limit_and_server_errors_carry_backoff(emulator) -> None:
    _s, api, _st, _l = signed_in(emulator)
    emulator.faults.add("api", status=503)
    with pytest.raises(ServerError) as five:
        run(api.current_user())
    assert five.value.status == 503 and 10 <= five.value.retry_after <= 30
    emulator.set_rate_limit(1)
    run(api.current_user())
    with pytest.raises(RateLimited) as limited:
        run(api.current_user())
    assert 10 <= limited.value.retry_after <= 30
    assert explain.explain(limited.value).retry_after == limited.value.retry_after
    emulator.clock.advance(61)  # next one-minute window
    assert run(api.current_user())["username"] == "alice"


def test_api_non_json_and_malformed(emulator) -> None:
    _s, api, _st, _l = signed_in(emulator)
    emulator.faults.add("api", status=404, body="<h1>Not here</h1>", content_type="text/html")
    with pytest.raises(NonJsonResponse):
        run(api.current_user())
    emulator.faults.add("api", status=200, body="[1,", content_type="application/json")
    with pytest.raises(MalformedResponse):
        run(api.current_user())


def test_api_404_error_body(emulator) -> None:
    _s, api, _st, _l = signed_in(emulator)
    with pytest.raises(errors.ApiError) as info:
        run(api.alert_action(999999, "accept"))
    assert info.value.status == 404 and info.value.message


def test_api_network_down() -> None:
    store = MemoryStorage()
    t = UrllibTransport()
    tc = TokenClient("c", "http://127.0.0.1:9/t", "http://127.0.0.1:9/i", "http://127.0.0.1:9/r", t)
    session = Session(store, tc)
    session.start(TokenSet("a.b.c", expires_at=time.time() + 100, scope="profile"))
    with pytest.raises(NetworkError):
        run(ApiClient("http://127.0.0.1:9/api", session, t).current_user())


def test_lost_refresh_answer_recovers_with_the_old_refresh_token(emulator) -> None:
    """ilert keeps older refresh tokens valid: a refresh whose answer was lost can be redone."""
    session, api, _st, _l = signed_in(emulator)
    emulator.faults.add("token", after_work=True, status=502)
    with pytest.raises(ServerError):
        run(session.refresh())
    assert session.signed_in  # a lost answer does not end the session
    fresh = run(session.refresh())
    assert fresh.access_token and run(api.current_user())["username"] == "alice"


def test_a_lost_exchange_answer_is_never_replayed(emulator) -> None:
    from app.core import flow

    rec = Recorder()
    code, verifier = emulator.code(scope=FULL)
    emulator.faults.add("token", after_work=True, status=502)
    with pytest.raises(ServerError) as info:
        run(client(emulator, send=rec).exchange_code(code, verifier))
    decision = flow.step(flow.EXCHANGING, flow.Event(flow.EXCHANGE_FAILED, info.value))
    assert decision.retry is None and decision.notice.kind == "exchange_unanswered"
    emulator.faults.add("token", after_work=True, drop=True)
    code, verifier = emulator.code(scope=FULL)
    with pytest.raises(NetworkError) as dropped:
        run(client(emulator, send=rec).exchange_code(code, verifier))
    decision = flow.step(flow.EXCHANGING, flow.Event(flow.EXCHANGE_FAILED, dropped.value))
    assert decision.retry is None
    assert rec.count("/oauth2/token") == 2  # each code sent exactly once
