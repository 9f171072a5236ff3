"""The API client's retry policy over a fake async transport: no network, no sleeping."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.core import errors, flow
from app.core.api import ApiClient
from app.core.http import HttpRequest, HttpResponse
from app.core.protocol import TokenSet
from app.core.session import Session
from app.core.storage import MemoryStorage
from app.core.tokens import TokenClient
from tests.asyncrun import run


class FakeServer:
    """Answers like ilert: the API accepts only ``valid`` tokens; /token issues new ones."""

    def __init__(self) -> None:
        self.valid = {"AT1"}
        self.issued = 1
        self.requests: list[HttpRequest] = []
        self.api_status: list[int] = []  # forced statuses for the next API calls
        self.refresh_answer: tuple[int, dict] | None = None
        self.gate: asyncio.Event | None = None  # when set: /token answers once it is set

    async def send(self, request: HttpRequest, timeout: float = 15.0) -> HttpResponse:
        self.requests.append(request)
        await asyncio.sleep(0)  # let concurrent callers interleave
        if request.url.endswith("/token"):
            await asyncio.sleep(0.01)
            if self.gate is not None:
                await self.gate.wait()
            if self.refresh_answer:
                status, body = self.refresh_answer
                return self._json(status, body)
            self.issued += 1
            token = f"AT{self.issued}"
            self.valid = {token}
            return self._json(
                200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            )
        if self.api_status:
            return self._json(self.api_status.pop(0), {"status": 0})
        auth = request.header("Authorization") or ""
        if auth.removeprefix("Bearer ") not in self.valid:
            return self._json(401, {"status": 401, "code": "UNAUTHORIZED"})
        return self._json(200, {"username": "alice"})

    @staticmethod
    def _json(status: int, body: object) -> HttpResponse:
        return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())

    def count(self, suffix: str) -> int:
        return sum(r.url.split("?")[0].endswith(suffix) for r in self.requests)


def setup(refresh: str | None = "RT") -> tuple[FakeServer, Session, ApiClient]:
    server = FakeServer()
    client = TokenClient("cid", "https://x/token", "https://x/info", "https://x/revoke", server)
    session = Session(MemoryStorage(), client, clock=lambda: 1000.0)
    session.start(TokenSet("AT1", 4600.0, "profile offline_access", refresh_token=refresh))
    return server, session, ApiClient("https://x/api", session, server)


def test_401_refreshes_once_and_retries_once() -> None:
    server, session, api = setup()
    server.valid = set()  # AT1 expired at the server
    assert run(api.current_user()) == {"username": "alice"}
    assert server.count("/token") == 1 and server.count("/users/current") == 2
    assert session.tokens.access_token == "AT2"


def test_concurrent_401s_wait_for_one_refresh() -> None:
    server, session, api = setup()
    server.valid = set()

    async def many() -> list:
        return await asyncio.gather(*(api.current_user() for _ in range(8)))

    assert run(many()) == [{"username": "alice"}] * 8
    assert server.count("/token") == 1 and session.refresh_count == 1


def test_401_after_refresh_gives_up_without_a_loop() -> None:
    server, session, api = setup()
    server.api_status = [401, 401, 401, 401]
    with pytest.raises(errors.SessionEnded) as info:
        run(api.current_user())
    assert server.count("/token") == 1 and server.count("/users/current") == 2
    # The client only raises: its caller's flow decision ends the session (one place decides).
    assert session.signed_in and flow.ends_session(info.value)


def test_401_without_refresh_token_ends_without_a_request() -> None:
    server, session, api = setup(refresh=None)
    server.valid = set()
    with pytest.raises(errors.SessionEnded) as info:
        run(api.current_user())
    assert server.count("/token") == 0
    assert session.signed_in and flow.ends_session(info.value)  # the caller ends it


def test_refresh_refused_with_invalid_client_ends_the_session_for_every_waiter() -> None:
    server, session, api = setup()
    server.valid = set()
    server.refresh_answer = (401, {"error": "invalid_client", "error_description": "unknown"})

    async def two() -> list:
        return await asyncio.gather(api.current_user(), api.current_user(), return_exceptions=True)

    results = run(two())
    assert all(isinstance(r, errors.OAuthError) and r.code == "invalid_client" for r in results)
    assert server.count("/token") == 1 and not session.signed_in


def test_a_cancelled_caller_does_not_cancel_the_shared_refresh() -> None:
    server, session, api = setup()
    server.valid = set()
    callers: list[object] = []
    shared = session.refresh

    async def counted(stale=None):
        callers.append(stale)  # then suspended on the shared refresh, before any await
        return await shared(stale)

    session.refresh = counted

    async def scenario() -> object:
        server.gate = asyncio.Event()  # the refresh is held until both wait for it
        first = asyncio.ensure_future(api.current_user())
        second = asyncio.ensure_future(api.current_user())
        while len(callers) < 2:
            await asyncio.sleep(0)
        first.cancel()
        server.gate.set()
        return await second

    assert run(scenario()) == {"username": "alice"}
    assert server.count("/token") == 1


def test_429_and_5xx_back_off_grows_and_resets() -> None:
    server, _session, api = setup()
    server.api_status = [429, 503, 502]
    delays = []
    for _ in range(3):
        with pytest.raises((errors.RateLimited, errors.ServerError)) as info:
            run(api.current_user())
        delays.append(info.value.retry_after)
    assert 10 <= delays[0] <= 12 and 20 <= delays[1] <= 22 and delays[2] == 30
    assert run(api.current_user()) == {"username": "alice"}
    assert api.streak.failures == 0
    assert server.count("/users/current") == 4  # no hidden retries


@pytest.mark.parametrize(
    "answer",
    [
        (400, {"error": "invalid_request", "error_description": "bad"}),
        (400, {"error": "invalid_scope"}),
        (200, {"access_token": "AT9", "token_type": "Bearer", "expires_in": 1e400}),
    ],
)
def test_a_refresh_refused_for_good_ends_the_session(answer) -> None:
    """invalid_request/invalid_scope and an unusable answer: the same request would fail
    again, so the session ends (the page offers "Sign in again", which then works)."""
    server, session, _api = setup()
    server.refresh_answer = answer
    with pytest.raises((errors.OAuthError, errors.InvalidTokenResponse)):
        run(session.refresh())
    assert not session.signed_in and session.store.get("ilert-pkce:tokens") is None


def test_a_failed_hand_over_does_not_fail_the_refresh() -> None:
    _server, session, _api = setup()

    async def broken_hand_over(old: TokenSet, new: TokenSet) -> None:
        raise RuntimeError("BroadcastChannel closed")

    session.after_refresh = broken_hand_over
    fresh = run(session.refresh())
    assert fresh.access_token == "AT2" and session.tokens is fresh


def test_unusable_stored_tokens_are_dropped() -> None:
    """A refresh token that is not a string was accepted, and broke every action."""
    from app.boot.keys import TOKENS_KEY

    for bad in ('{"access_token": "a", "expires_at": 5000, "refresh_token": 42}', "[1]", "{"):
        store = MemoryStorage()
        store.set(TOKENS_KEY, bad)
        client = TokenClient("cid", "https://x/token", "https://x/i", "https://x/r", FakeServer())
        session = Session(store, client, clock=lambda: 1000.0)
        assert not session.signed_in and not session.can_refresh
        assert store.get(TOKENS_KEY) is None


def test_ending_keeps_exactly_the_handled_states() -> None:
    from app.boot.keys import ATTEMPT_KEY, PREFIX, USED_KEY
    from app.core import storage

    _server, session, _api = setup()
    store = session.store
    storage.mark_state_used(store, "s1")
    store.set(ATTEMPT_KEY, '{"verifier": "v", "state": "s2", "created": 1}')
    store.set(PREFIX + "planted-used-states", "x")  # only ends like the kept key
    store.set("other-app", "kept")
    session.end()
    assert sorted(store.keys()) == sorted([USED_KEY, "other-app"])
    assert storage.state_was_used(store, "s1")


def test_the_token_endpoint_back_off_grows_and_resets() -> None:
    """It stayed at 10 s: the token client never counted the answers in a row."""
    server, session, _api = setup()
    delays = []
    for status in (429, 503, 502):
        server.refresh_answer = (status, {})
        with pytest.raises((errors.RateLimited, errors.ServerError)) as info:
            run(session.refresh())
        delays.append(info.value.retry_after)
    assert 10 <= delays[0] <= 12 and 20 <= delays[1] <= 22 and delays[2] == 30
    server.refresh_answer = None
    run(session.refresh())
    server.refresh_answer = (503, {})
    with pytest.raises(errors.ServerError) as info:
        run(session.refresh())
    assert info.value.retry_after <= 12  # a usable answer started over
