"""Pure parts of popup sign-in and of tabs that agree (CPython, no browser).

- ``app.core.popup_answer``: what the opener accepts from a popup (origin, state, shape);
- ``app.core.tab_messages``: the channel's messages, checked as untrusted input;
- ``app.core.session``: a refresh under a lock shared by two sessions (two tabs) is sent once,
  and a refresh token rotated away by the other tab is replaced by the handed-over tokens.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from app.core import authorize, tab_messages
from app.core.errors import OAuthError
from app.core.popup_answer import STATE_PREFIX, callback_params, state_hash
from app.core.protocol import TokenSet
from app.core.session import Session
from app.core.settings import Settings
from app.core.storage import MemoryStorage, peek_attempt
from tests.asyncrun import run

from .test_retry_policy import FakeServer

ORIGIN = "http://localhost:4597"
STATE = "popup.abcDEF123_-"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (f"{ORIGIN}/?code=c0de&state={STATE}", True),
        (f"{ORIGIN}/app/?error=access_denied&state={STATE}", True),
        (f"{ORIGIN}/?code=c0de&state=popup.other", False),  # another sign-in's state
        (f"{ORIGIN}/?code=c0de", False),  # no state
        (f"{ORIGIN}/?state={STATE}", False),  # neither code nor error
        (f"{ORIGIN}.evil.example/?code=c&state={STATE}", False),  # another origin
        (f"http://evil.example/?code=c&state={STATE}&x={ORIGIN}/", False),
        (f"{ORIGIN}/?code=c&state={STATE}&pad=" + "x" * 5000, False),  # too long
        (None, False),
        (42, False),
    ],
)
def test_opener_accepts_only_its_origin_and_state(url: object, ok: bool) -> None:
    params = callback_params(url, ORIGIN, STATE)
    assert (params is not None) == ok
    if ok:
        assert params["state"] == STATE


def test_popup_state_is_marked_and_offered_as_a_hash() -> None:
    settings = Settings.from_dict(
        {
            "client_id": "c",
            "ilert_host": "http://localhost:4598",
            "api_base": "http://localhost:4598/api",
            "scope": "profile",
        }
    )
    store = MemoryStorage()
    url = authorize.start(settings, store, ORIGIN + "/", state_prefix=STATE_PREFIX)
    attempt = peek_attempt(store)
    assert attempt.state.startswith(STATE_PREFIX) and len(attempt.state) > 30
    assert "state=popup." in url
    assert state_hash(attempt.state) != attempt.state and len(state_hash(attempt.state)) == 64
    redirect = authorize.start(settings, store, ORIGIN + "/")
    assert "state=popup." not in redirect


def test_tab_messages_round_trip_and_reject_anything_else() -> None:
    sid = tab_messages.session_id("RT1")
    assert len(sid) == 32 and sid != tab_messages.session_id("RT2")
    out = tab_messages.signed_out([(sid, b"\1" * 12, b"seal")])
    assert "RT1" not in out
    assert tab_messages.parse(out) == {"type": "signed_out", "seals": [(sid, b"\1" * 12, b"seal")]}
    sealed = tab_messages.parse(tab_messages.rotated(sid, b"\0" * 12, b"blob"))
    assert sealed == {"type": "rotated", "id": sid, "iv": b"\0" * 12, "sealed": b"blob"}
    assert len(tab_messages.transfer_key("RT1")) == 32
    assert tab_messages.transfer_key("RT1") != tab_messages.transfer_key("RT2")
    bad = [
        None,
        {"type": "signed_out", "ids": [sid]},  # not a string
        "not json",
        "[]",
        json.dumps({"type": "signed_out", "ids": "all"}),
        json.dumps({"type": "signed_out", "ids": []}),
        json.dumps({"type": "signed_out", "ids": ["x" * 32]}),
        json.dumps({"type": "signed_out", "ids": [sid], "extra": 1}),
        json.dumps({"type": "rotated", "id": sid, "iv": "AAAA", "sealed": "AAAA"}),  # short iv
        json.dumps({"type": "rotated", "id": sid, "iv": "A" * 16, "sealed": "not base64!"}),
        json.dumps({"type": "rotated", "id": sid, "iv": "A" * 16, "sealed": "AAAA", "t": 1}),
        json.dumps({"type": "tokens", "access_token": "x"}),
        json.dumps({"type": "signed_out", "ids": [sid] * 21}),
        # A sign-out by name alone (any listener hears the names): not a message any more.
        json.dumps({"type": "signed_out", "ids": [sid]}),
        json.dumps({"type": "signed_out", "seals": []}),
        json.dumps({"type": "signed_out", "seals": [{"id": sid, "iv": "AAAA", "sealed": "AA"}]}),
        json.dumps({"type": "signed_out", "seals": [[sid, "A" * 16, "AAAA"]]}),
        tab_messages.signed_out([(sid, b"\0" * 12, b"x")] * 21)[:-3] + "]}",
        "x" * 20_000,
    ]
    for raw in bad:
        assert tab_messages.parse(raw) is None, raw


def test_a_sealed_sign_out_is_bound_to_its_purpose_and_time() -> None:
    sid = tab_messages.session_id("RT1")
    # Its associated data differs from a hand-over's (the session name): a sealed token set
    # cannot be replayed as a sign-out, nor the reverse.
    assert tab_messages.sign_out_aad(sid) != sid.encode()
    plain = tab_messages.sign_out_plain(1000.0)
    assert tab_messages.sign_out_fresh(plain, 1000.0)
    assert tab_messages.sign_out_fresh(plain, 1000.0 + tab_messages.SIGN_OUT_MAX_AGE_S)
    assert not tab_messages.sign_out_fresh(plain, 1000.0 + tab_messages.SIGN_OUT_MAX_AGE_S + 1)
    assert not tab_messages.sign_out_fresh(plain, 1000.0 - tab_messages.SIGN_OUT_MAX_AGE_S - 1)
    for junk in (b"", b"{}", b'{"signed_out": true}', b'{"signed_out": "1000"}', b"[" * 99):
        assert not tab_messages.sign_out_fresh(junk, 1000.0)


class StrictServer(FakeServer):
    """A token endpoint with strict rotation: every refresh token works once."""

    def __init__(self) -> None:
        super().__init__()
        self.live = {"RT1"}

    async def send(self, request, timeout: float = 15.0):
        if request.url.endswith("/token"):
            self.requests.append(request)
            await asyncio.sleep(0.01)
            used = dict(p.split("=", 1) for p in request.body.decode().split("&"))
            used = used["refresh_token"]
            if used not in self.live:
                return self._json(401, {"code": "invalid_grant", "error": "revoked"})
            self.live.discard(used)
            self.issued += 1
            self.live.add(f"RT{self.issued}")
            body = {
                "access_token": f"AT{self.issued}",
                "refresh_token": f"RT{self.issued}",
                "token_type": "Bearer",
                "expires_in": 3600,
            }
            return self._json(200, body)
        return await super().send(request, timeout)


def two_tabs(server: FakeServer, share_lock: bool) -> tuple[Session, Session]:
    """Two sessions holding the same tokens, like a duplicated tab; hand-over between them."""
    from app.core.tokens import TokenClient

    lock = asyncio.Lock()

    async def locked(work):
        async with lock:
            return await work()

    tabs: list[Session] = []

    async def hand_over(old: TokenSet, new: TokenSet) -> None:
        for tab in tabs:
            if tab.tokens is not None and tab.tokens.refresh_token == old.refresh_token:
                tab.adopt(new)

    for _ in range(2):
        client = TokenClient("cid", "https://x/token", "https://x/i", "https://x/r", server)
        kwargs = {"lock": locked, "after_refresh": hand_over} if share_lock else {}
        tab = Session(MemoryStorage(), client, clock=lambda: 1000.0, **kwargs)
        tab.start(TokenSet("AT1", 4600.0, "profile", refresh_token="RT1"))
        tabs.append(tab)
    return tabs[0], tabs[1]


def test_two_tabs_under_one_lock_refresh_once() -> None:
    server = StrictServer()
    a, b = two_tabs(server, share_lock=True)

    async def both() -> list[TokenSet]:
        return await asyncio.gather(a.refresh(), b.refresh())

    first, second = run(both())
    assert server.count("/token") == 1
    assert first.refresh_token == second.refresh_token == "RT2"


def test_without_the_lock_the_second_tab_fails_under_strict_rotation() -> None:
    server = StrictServer()
    a, b = two_tabs(server, share_lock=False)

    async def both() -> list:
        return await asyncio.gather(a.refresh(), b.refresh(), return_exceptions=True)

    _, second = run(both())
    assert isinstance(second, OAuthError) and not b.signed_in  # what the lock prevents


def test_a_rotated_away_tab_adopts_instead_of_failing() -> None:
    server = StrictServer()
    a, b = two_tabs(server, share_lock=True)
    run(a.refresh())  # RT1 -> RT2; b took RT2 over
    assert b.tokens.refresh_token == "RT2"
    # A late hand-over: b refreshes with a token the server no longer accepts, and the
    # tokens come while it waits.
    b.start(TokenSet("AT1", 4600.0, "profile", refresh_token="RT1"))

    async def late() -> TokenSet:
        async def deliver() -> None:
            while b._adoption is None:  # until b waits for another tab's tokens
                await asyncio.sleep(0)
            b.adopt(TokenSet("AT9", 4600.0, "profile", refresh_token="RT9"))

        task = asyncio.ensure_future(deliver())
        fresh = await b.refresh()
        await task
        return fresh

    assert run(late()).refresh_token == "RT9"
    assert b.signed_in


def test_the_popup_hand_over_on_the_channel_is_bound_to_the_state() -> None:
    from app.core import popup_answer

    state = "popup." + "A" * 32
    key = popup_answer.answer_key(state)
    # The offered hash gives neither the key nor the proofs (other inputs, domain-separated).
    assert len(key) == 32 and key.hex() != popup_answer.state_hash(state)
    assert key != popup_answer.answer_key(state + "B")
    claim = popup_answer.proof(state, "id1", "claim")
    assert claim != popup_answer.proof(state, "id1", "done")
    assert claim != popup_answer.proof(state, "id2", "claim")
    assert claim != popup_answer.proof(state + "B", "id1", "claim")
    assert popup_answer.sealed_callback("A" * 16, "AAAA") == (b"\0" * 12, b"\0" * 3)
    for iv, sealed in [("AAAA", "AAAA"), ("A" * 16, ""), ("A" * 16, "!!"), (None, "AAAA")]:
        assert popup_answer.sealed_callback(iv, sealed) is None
    assert popup_answer.sealed_callback("A" * 16, "A" * (popup_answer.MAX_SEALED + 4)) is None
