"""``app.browser.fetch`` decides "never left" from what it did, not from the state afterwards.

It runs only in Pyodide, so ``js`` and ``pyodide.http`` are stand-ins here: the point is
the decision, which is plain Python.
"""

from __future__ import annotations

import importlib
import sys
import types

import pytest

from app.core import errors, flow
from app.core.http import HttpRequest
from tests.asyncrun import run


class Page:
    """What the browser says: online or not, and what fetch does."""

    def __init__(self, online: bool, goes_offline: bool = False) -> None:
        self.online = online
        self.goes_offline = goes_offline  # the connection drops while the request runs
        self.fetched: list[str] = []

    async def pyfetch(self, url: str, **options: object) -> object:
        self.fetched.append(str(options.get("mode", "cors")))
        if self.goes_offline:
            self.online = False
        raise Exception("TypeError: Failed to fetch")  # what the browser says, sent or not


class Navigator:
    def __init__(self, state: Page) -> None:
        self.state = state

    @property
    def onLine(self) -> bool:  # the browser's name
        return self.state.online


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    def make(online: bool, goes_offline: bool = False):
        state = Page(online, goes_offline)
        signal = types.SimpleNamespace(aborted=False)
        js = types.ModuleType("js")
        js.AbortSignal = types.SimpleNamespace(timeout=lambda ms: signal)
        js.navigator = Navigator(state)
        # A page whose policy is only a header (no CSP <meta>) and that reports no violation.
        js.document = types.SimpleNamespace(
            addEventListener=lambda name, handler: None, querySelector=lambda selector: None
        )
        pyodide = types.ModuleType("pyodide")
        http = types.ModuleType("pyodide.http")
        http.pyfetch = state.pyfetch
        ffi = types.ModuleType("pyodide.ffi")
        ffi.create_proxy = lambda function: function
        pyodide.http, pyodide.ffi = http, ffi
        monkeypatch.setitem(sys.modules, "js", js)
        monkeypatch.setitem(sys.modules, "pyodide", pyodide)
        monkeypatch.setitem(sys.modules, "pyodide.http", http)
        monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
        monkeypatch.delitem(sys.modules, "app.browser.fetch", raising=False)
        fetch = importlib.import_module("app.browser.fetch")
        return state, fetch.FetchTransport()

    yield make
    sys.modules.pop("app.browser.fetch", None)


EXCHANGE = HttpRequest("POST", "https://ilert.test/token", (), b"code=c")


def fail(transport) -> errors.NetworkError:
    with pytest.raises(errors.NetworkError) as info:
        run(transport.send(EXCHANGE, 5))
    return info.value


def test_offline_before_sending_is_not_sent_and_may_be_retried(fake) -> None:
    state, transport = fake(online=False)
    exc = fail(transport)
    assert state.fetched == [] and exc.sent is False
    assert flow.step(flow.EXCHANGING, flow.Event(flow.EXCHANGE_FAILED, exc)).retry


def test_offline_only_after_the_request_went_out_spends_the_code(fake) -> None:
    """The old code asked navigator.onLine after the failure and said "never left"."""
    state, transport = fake(online=True, goes_offline=True)
    exc = fail(transport)
    assert state.fetched[0] == "cors" and exc.sent is None
    decision = flow.step(flow.EXCHANGING, flow.Event(flow.EXCHANGE_FAILED, exc))
    assert decision.retry is None and decision.notice.kind == "exchange_unanswered"


def test_a_failed_fetch_while_online_may_have_been_sent(fake) -> None:
    _state, transport = fake(online=True)
    assert fail(transport).sent is None
