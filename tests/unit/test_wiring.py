"""Wiring in the core: sessions bound to their server, introspection, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.boot.keys import LOG_KEY, TOKENS_KEY
from app.core import explain, urls
from app.core.errors import InfoRefused, NotOffered
from app.core.http import HttpRequest, HttpResponse
from app.core.protocol import TokenSet
from app.core.session import Session
from app.core.storage import FallbackStorage, MemoryStorage
from app.core.tokens import TokenClient
from tests.asyncrun import run
from tests.storage_doubles import QuotaStorage

ENDPOINTS = urls.Endpoints(
    client_id="spa",
    authorize="https://auth.example.org/authorize",
    token="https://auth.example.org/token",
    revoke="",
    info="https://auth.example.org/introspect",
    info_kind=urls.INFO_INTROSPECTION,
    api_base="https://auth.example.org/api",
    issuer="https://auth.example.org",
)


class Recorder:
    def __init__(self, *answers: HttpResponse) -> None:
        self.answers = list(answers)
        self.sent: list[HttpRequest] = []

    async def send(self, request: HttpRequest, timeout: float = 15.0) -> HttpResponse:
        self.sent.append(request)
        return self.answers.pop(0)


def tokens(access: str = "a1", refresh: str | None = "r1") -> TokenSet:
    return TokenSet(access, expires_at=10_000.0, scope="profile", refresh_token=refresh)


def test_session_records_its_server_with_the_tokens_and_reloads_bound_to_it() -> None:
    store = MemoryStorage()
    client = TokenClient.from_endpoints(ENDPOINTS, Recorder())
    Session(store, client).start(tokens(), ENDPOINTS, client)
    stored = json.loads(store.get(TOKENS_KEY) or "{}")
    assert stored["endpoints"] == ENDPOINTS.to_dict()  # one write: tokens and their server
    again = Session(store, TokenClient("x", "https://other.example/t", "", "", Recorder()))
    assert again.endpoints == ENDPOINTS and again.tokens == tokens()


def test_a_tampered_recorded_server_ends_the_stored_session() -> None:
    store = MemoryStorage()
    record = {
        **tokens().to_dict(),
        "endpoints": {**ENDPOINTS.to_dict(), "token": "http://1.2.3.4/t"},
    }
    store.set(TOKENS_KEY, json.dumps(record))
    session = Session(store, TokenClient.from_endpoints(ENDPOINTS, Recorder()))
    assert not session.signed_in and store.get(TOKENS_KEY) is None


def test_refresh_uses_the_bound_client_and_keeps_the_server() -> None:
    store = MemoryStorage()
    answer = HttpResponse(
        200,
        {"content-type": "application/json"},
        json.dumps(
            {"access_token": "a2", "token_type": "Bearer", "expires_in": 60, "refresh_token": "r2"}
        ).encode(),
    )
    transport = Recorder(answer)
    client = TokenClient.from_endpoints(ENDPOINTS, transport)
    session = Session(store, TokenClient("x", "https://wrong.example/t", "", "", Recorder()))
    session.start(tokens(), ENDPOINTS, client)
    fresh = run(session.refresh())
    assert transport.sent[0].url == ENDPOINTS.token
    assert fresh.refresh_token == "r2"
    assert json.loads(store.get(TOKENS_KEY) or "{}")["endpoints"]["token"] == ENDPOINTS.token


@pytest.mark.parametrize("status", [401, 403])
def test_introspection_refused_is_explained_as_a_refusal_not_network(status: int) -> None:
    transport = Recorder(HttpResponse(status, {}, b""))
    client = TokenClient.from_endpoints(ENDPOINTS, transport)
    with pytest.raises(InfoRefused) as info:
        run(client.token_info("tok"))
    ex = explain.explain(info.value)
    assert ex.kind == "info_refused" and explain.SIGN_IN not in ex.actions
    assert "reach" not in ex.message and "still signed in" in ex.message
    # Worded after the server in use, naming no other product.
    named = explain.explain(info.value, "auth.example.org").message
    assert named.startswith("auth.example.org refused to introspect")
    assert "django" not in named.lower() and "ilert" not in named


def test_no_revocation_endpoint_is_said_not_sent() -> None:
    transport = Recorder()
    client = TokenClient.from_endpoints(ENDPOINTS, transport)
    with pytest.raises(NotOffered):
        run(client.revoke("r1"))
    assert transport.sent == []


def test_tokens_are_saved_when_the_log_fills_the_store() -> None:
    refused = []
    primary = QuotaStorage(600)
    store = FallbackStorage(primary, on_refused=refused.append)
    store.set(LOG_KEY, "x" * 500)
    Session(store, TokenClient.from_endpoints(ENDPOINTS, Recorder())).start(tokens(), ENDPOINTS)
    assert primary.get(TOKENS_KEY) is not None and primary.get(LOG_KEY) is None
    assert refused == []


def test_synchronous_tests_run_coroutines_through_asyncrun() -> None:
    """``asyncio.run`` fails in any test that runs after an e2e test (Playwright's loop)."""
    tests = Path(__file__).resolve().parents[1]
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if path.name not in ("asyncrun.py", "test_wiring.py")
        and "asyncio.run(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "use tests.asyncrun.run, not asyncio.run, in " + ", ".join(offenders)
