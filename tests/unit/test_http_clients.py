"""Token client, API client and transport over real HTTP against the local emulator."""

from __future__ import annotations

import threading
import time

import pytest

from app import api as api_module
from app import errors, transport
from app.api import ApiClient
from app.errors import (
    MalformedResponse,
    NetworkError,
    NonJsonResponse,
    OAuthError,
    RateLimited,
    ScopeNotGranted,
    ServerError,
    SessionEnded,
)
from app.flowlog import FlowLog
from app.keys import ATTEMPT_KEY, TOKENS_KEY
from app.session import Session
from app.storage import MemoryStorage
from app.tokens import TokenClient, TokenSet

FULL = "profile source:w alert:w schedule offline_access"


class Recorder:
    """The real transport, counting what goes over the wire."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, method: str, url: str, **kw: object) -> transport.Response:
        with self.lock:
            self.calls.append((method, url))
        return transport.request(method, url, **kw)

    def count(self, needle: str) -> int:
        return sum(needle in url for _, url in self.calls)


def client(emulator, clock=time.time, send=transport.request, log=None) -> TokenClient:
    return TokenClient(
        emulator.client_id,
        emulator.token_url,
        emulator.token_info_url,
        emulator.revoke_url,
        send=send,
        clock=clock,
        log=log,
    )


def signed_in(emulator, scope: str = FULL, send=transport.request):
    code, verifier = emulator.code(scope=scope)
    log = FlowLog()
    tc = client(emulator, send=send, log=log)
    store = MemoryStorage()
    session = Session(store, tc)
    session.start(tc.exchange_code(code, verifier))
    return session, ApiClient(emulator.api_url, session, send=send, log=log), store, log


# --- transport ----------------------------------------------------------------------------


def test_transport_returns_error_statuses_as_responses(emulator) -> None:
    resp = transport.request("GET", emulator.api_url + "/users/current")
    assert resp.status == 401 and resp.is_json and resp.elapsed_ms > 0
    resp = transport.post_form(emulator.token_url, {"grant_type": "nope"})
    assert resp.status == 400
    assert resp.json()["code"] in ("unsupported_grant_type", "invalid_request")


def test_transport_network_failure_is_one_error() -> None:
    with pytest.raises(NetworkError):
        transport.request("GET", "http://127.0.0.1:9/nothing", timeout=2)
    with pytest.raises(NetworkError):
        transport.request("GET", "http://no-such-host.invalid/", timeout=2)


# --- token client ------------------------------------------------------------------------


def test_code_exchange_with_offline_access(emulator) -> None:
    code, verifier = emulator.code(scope=FULL)
    tc = client(emulator, clock=lambda: 1000.0)
    tokens = tc.exchange_code(code, verifier)
    assert tokens.access_token.count(".") == 2
    assert tokens.expires_at == 1000.0 + 3600
    assert tokens.refresh_token and tokens.refresh_expires_at == 1000.0 + 31536000
    assert set(tokens.scope.split()) == set(FULL.split())
    log = tc.log.as_text()
    assert code not in log and verifier not in log and tokens.access_token not in log
    assert tokens.refresh_token not in log and "authorization_code" in log


def test_code_exchange_without_offline_access_has_no_refresh_token(emulator) -> None:
    code, verifier = emulator.code(scope="profile")
    tokens = client(emulator).exchange_code(code, verifier)
    assert tokens.refresh_token is None and tokens.scope == "profile"


def test_reused_expired_and_wrong_verifier_codes(emulator) -> None:
    tc = client(emulator)
    code, verifier = emulator.code()
    tc.exchange_code(code, verifier)
    with pytest.raises(OAuthError) as reused:
        tc.exchange_code(code, verifier)
    assert (reused.value.status, reused.value.code) == (401, "invalid_grant")
    assert errors.explain(reused.value).kind == "code_invalid"
    code, verifier = emulator.code()
    with pytest.raises(OAuthError) as wrong:
        tc.exchange_code(code, verifier[:-1] + ("a" if verifier[-1] != "a" else "b"))
    assert wrong.value.code == "invalid_grant"
    code, verifier = emulator.code()
    emulator.clock.advance(130)
    with pytest.raises(OAuthError) as expired:
        tc.exchange_code(code, verifier)
    assert expired.value.code == "invalid_grant"


def test_refresh_rotates_and_old_token_is_rejected(emulator) -> None:
    emulator.set_modes(strict_rotation=True)  # by default, as ilert, the old one stays valid
    code, verifier = emulator.code(scope=FULL)
    tc = client(emulator)
    first = tc.exchange_code(code, verifier)
    second = tc.refresh(first)
    assert second.refresh_token and second.refresh_token != first.refresh_token
    with pytest.raises(OAuthError) as old:
        tc.refresh(first)
    assert old.value.code == "invalid_grant" and old.value.grant == "refresh_token"
    assert errors.explain(old.value).kind == "refresh_invalid"


def test_refresh_keeps_refresh_token_when_none_returned(emulator) -> None:
    code, verifier = emulator.code(scope=FULL)
    tc = client(emulator)
    first = tc.exchange_code(code, verifier)
    emulator.faults.add(
        "token",
        status=200,
        body='{"token_type":"Bearer","access_token":"a.b.c","expires_in":60}',
        content_type="application/json",
    )
    second = tc.refresh(first)
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
        (200, '{"no":"token"}', "application/json", MalformedResponse, "malformed"),
        (429, "", "text/plain", RateLimited, "rate_limited"),
    ],
)
def test_token_endpoint_error_shapes(emulator, status, body, ctype, expected, kind) -> None:
    code, verifier = emulator.code()
    emulator.faults.add("token", status=status, body=body, content_type=ctype)
    with pytest.raises(expected) as info:
        client(emulator).exchange_code(code, verifier)
    assert errors.explain(info.value).kind == kind
    if isinstance(info.value, RateLimited | ServerError):
        assert 10 <= info.value.retry_after <= 30


def test_token_info_live_and_dead(emulator) -> None:
    code, verifier = emulator.code(scope="profile source")
    tc = client(emulator)
    tokens = tc.exchange_code(code, verifier)
    info = tc.token_info(tokens.access_token)
    assert info["active"] is True and info["username"] == "alice"
    assert info["scope"] == "profile source"
    emulator.clock.advance(3700)
    assert tc.token_info(tokens.access_token)["active"] is False


def test_revoke_then_refresh_fails_and_session_is_cleared(emulator) -> None:
    session, _api, store, log = signed_in(emulator)
    store.set(ATTEMPT_KEY, "{}")
    old = session.tokens
    assert session.sign_out() is True
    assert store.get(TOKENS_KEY) is None and store.get(ATTEMPT_KEY) is None
    assert not session.signed_in
    with pytest.raises(OAuthError) as info:
        session.client.refresh(old)
    assert info.value.code == "invalid_grant"
    assert "revoke" in log.as_text()


def test_revoked_grant_ends_session_on_refresh(emulator) -> None:
    session, api, store, _ = signed_in(emulator)
    emulator.revoke_grants("alice")
    with pytest.raises(OAuthError):
        session.refresh()
    assert not session.signed_in and store.get(TOKENS_KEY) is None
    with pytest.raises(SessionEnded):
        api.current_user()


def test_network_down_on_token_endpoint() -> None:
    tc = TokenClient("c", "http://127.0.0.1:9/t", "http://127.0.0.1:9/i", "http://127.0.0.1:9/r")
    with pytest.raises(NetworkError) as info:
        tc.exchange_code("code", "v" * 43)
    assert errors.explain(info.value).kind == "network"
    assert "no response" in tc.log.as_text()


# --- API client ------------------------------------------------------------------------------


def test_api_reads_and_writes(emulator) -> None:
    session, api, _store, log = signed_in(emulator)
    assert api.current_user()["username"] == "alice"
    sources = api.alert_sources()
    assert len(sources) == 6
    first = sources[0]
    updated = api.set_source_active(first, not first["active"])
    assert updated["active"] is (not first["active"])
    again = {s["id"]: s for s in api.alert_sources()}
    assert again[first["id"]]["active"] is (not first["active"])
    alerts = api.open_alerts()
    assert {a["status"] for a in alerts} <= {"PENDING", "ACCEPTED"} and alerts
    pending = next(a for a in alerts if a["status"] == "PENDING")
    assert api.accept_alert(pending["id"])["status"] == "ACCEPTED"
    assert api.resolve_alert(pending["id"])["status"] == "RESOLVED"
    assert pending["id"] not in {a["id"] for a in api.open_alerts()}
    assert isinstance(api.on_calls(), list)
    text = log.as_text()
    assert session.access_token() not in text and "Bearer ey" not in text
    assert first["integrationKey"] not in text  # the PUT body is logged, its key is not


def test_api_paging(emulator, monkeypatch) -> None:
    rec = Recorder()
    _s, api, _st, _l = signed_in(emulator, send=rec)
    monkeypatch.setitem(api_module.PAGE_SIZES, "/alert-sources", 4)
    sources = api.alert_sources()
    assert len(sources) == 6 and len({s["id"] for s in sources}) == 6
    assert rec.count("/alert-sources?") == 2
    assert any("start-index=4" in url and "max-results=4" in url for _, url in rec.calls)


def test_scope_not_granted_locally_and_by_server(emulator) -> None:
    rec = Recorder()
    session, api, _st, _l = signed_in(emulator, scope="profile source", send=rec)
    before = len(rec.calls)
    with pytest.raises(ScopeNotGranted) as local:
        api.set_source_active({"id": 4001, "name": "x"}, False)
    assert (local.value.scope, local.value.level) == ("source", "w")
    assert len(rec.calls) == before  # refused without a request
    assert errors.explain(local.value).severity == "info"
    # The server's 403 means the same thing (our idea of the scope was too generous).
    session.tokens = TokenSet(**{**session.tokens.to_dict(), "scope": "profile source:w alert"})
    with pytest.raises(ScopeNotGranted):
        api.open_alerts()


def test_401_refreshes_once_and_retries(emulator) -> None:
    rec = Recorder()
    session, api, _st, _l = signed_in(emulator, send=rec)
    old = session.tokens
    emulator.clock.advance(3601)  # access token expired, refresh token still good
    assert api.current_user()["username"] == "alice"
    assert session.tokens.access_token != old.access_token
    assert rec.count("/users/current") == 2 and rec.count("/oauth2/token") == 2  # code + refresh


def test_401_twice_gives_up_without_looping(emulator) -> None:
    rec = Recorder()
    _session, api, store, _ = signed_in(emulator, send=rec)
    emulator.faults.add(
        "api", count=5, status=401, body='{"status":401}', content_type="application/json"
    )
    with pytest.raises(SessionEnded):
        api.current_user()
    assert rec.count("/users/current") == 2 and rec.count("/oauth2/token") == 2
    assert store.get(TOKENS_KEY) is None


def test_401_without_refresh_token_ends_session(emulator) -> None:
    session, api, store, _ = signed_in(emulator, scope="profile")
    emulator.clock.advance(3601)
    with pytest.raises(SessionEnded) as info:
        api.current_user()
    assert errors.explain(info.value).kind == "session_ended"
    assert not session.signed_in and store.get(TOKENS_KEY) is None


def test_concurrent_401s_refresh_only_once(emulator) -> None:
    rec = Recorder()
    session, api, _st, _l = signed_in(emulator, send=rec)
    emulator.clock.advance(3601)
    results: list[object] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(api.current_user()["username"])
        except Exception as exc:  # collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == ["alice"] * 6
    assert session.refresh_count == 1
    assert rec.count("/oauth2/token") == 2  # the code exchange and ONE refresh


def test_rate_limit_and_server_errors_carry_backoff(emulator) -> None:
    _s, api, _st, _l = signed_in(emulator)
    emulator.faults.add("api", status=503)
    with pytest.raises(ServerError) as five:
        api.current_user()
    assert five.value.status == 503 and 10 <= five.value.retry_after <= 30
    emulator.set_rate_limit(1)
    api.current_user()
    with pytest.raises(RateLimited) as limited:
        api.current_user()
    assert 10 <= limited.value.retry_after <= 30
    assert errors.explain(limited.value).retry_after == limited.value.retry_after
    emulator.clock.advance(61)  # next one-minute window
    assert api.current_user()["username"] == "alice"


def test_api_non_json_and_malformed(emulator) -> None:
    _s, api, _st, _l = signed_in(emulator)
    emulator.faults.add("api", status=404, body="<h1>Not here</h1>", content_type="text/html")
    with pytest.raises(NonJsonResponse):
        api.current_user()
    emulator.faults.add("api", status=200, body="[1,", content_type="application/json")
    with pytest.raises(MalformedResponse):
        api.current_user()


def test_api_404_error_body(emulator) -> None:
    _s, api, _st, _l = signed_in(emulator)
    with pytest.raises(errors.ApiError) as info:
        api.accept_alert(999999)
    assert info.value.status == 404 and info.value.message


def test_api_network_down() -> None:
    store = MemoryStorage()
    tc = TokenClient("c", "http://127.0.0.1:9/t", "http://127.0.0.1:9/i", "http://127.0.0.1:9/r")
    session = Session(store, tc)
    session.start(TokenSet("a.b.c", expires_at=time.time() + 100, scope="profile"))
    with pytest.raises(NetworkError):
        ApiClient("http://127.0.0.1:9/api", session).current_user()


def test_browser_xhr_failure_becomes_network_error(monkeypatch) -> None:
    """In Pyodide a failed XHR raises pyodide.ffi.JsException; it cannot run here, so a
    stand-in of the same name takes its place (transport recognises it by class name)."""

    class JsException(Exception):
        pass

    def failing_urlopen(*args: object, **kwargs: object) -> object:
        raise JsException("NetworkError: Failed to execute 'send' on 'XMLHttpRequest'")

    monkeypatch.setattr(transport.urllib.request, "urlopen", failing_urlopen)
    with pytest.raises(NetworkError):
        transport.request("POST", "http://x/token", body=b"a=1", content_type="text/plain")

    def other_bug(*args: object, **kwargs: object) -> object:
        raise KeyError("not a network problem")

    monkeypatch.setattr(transport.urllib.request, "urlopen", other_bug)
    with pytest.raises(KeyError):
        transport.request("GET", "http://x/")
