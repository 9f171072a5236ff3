"""The page's driver (``app.ui.driver.Driver``, of an ``app.ui.app.App``) in CPython over a
stand-in DOM: it carries out the state machine's decisions — the view, the notice and its
buttons, forgetting a session — and its timer and sign-out say what happened."""

from __future__ import annotations

import ast
import asyncio
import sys
import time
from pathlib import Path

import pytest

from app.boot.keys import TOKENS_KEY
from app.core import errors, flow
from app.core.protocol import TokenSet
from app.core.storage import MemoryStorage
from tests import fake_dom
from tests.asyncrun import run

NOW = time.time()
DEFAULTS = {"client_id": "cid", "redirect_uri": "http://localhost:4597/"}


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch):
    before = set(sys.modules)
    document, window = fake_dom.install(monkeypatch)
    from app.ui.app import App

    store = MemoryStorage()
    app = App(DEFAULTS, store, MemoryStorage())
    app.actions.release()
    yield app, document, window
    for name in set(sys.modules) - before:  # nothing built over the stand-ins stays
        if name.startswith(fake_dom.APP_BROWSER_MODULES) or name == "app.ui":
            del sys.modules[name]


def signed_in(app, refresh_token: str | None = "RT", expires_at: float = NOW + 3600) -> None:
    app.session.start(
        TokenSet("AT", expires_at, "profile", refresh_token=refresh_token, obtained_at=NOW)
    )
    app.driver.state = flow.SIGNED_IN  # as after RESUMED (the data load is not under test here)


class Unreachable:
    async def send(self, request, timeout: float = 0) -> None:
        raise errors.NetworkError(request.url, "connection refused")


def notice(document) -> tuple[str | None, list[str]]:
    box = document.getElementById("notice")
    if box.hidden:
        return None, []
    return box.getAttribute("data-kind"), document.getElementById("notice-actions").buttons()


def test_an_ending_refresh_error_forgets_the_session_and_sign_in_again_works(driver) -> None:
    app, document, window = driver
    signed_in(app)
    refused = errors.OAuthError(400, "invalid_request", "bad", "refresh_token")
    app.driver.handle(flow.Event(flow.REFRESH_FAILED, refused))
    assert app.driver.state == flow.ENDED
    assert app.session_store.get(TOKENS_KEY) is None and not app.session.signed_in
    assert document.getElementById("signed-in").hidden
    kind, buttons = notice(document)
    assert kind == "oauth_error" and buttons == ["Sign in again"]
    app.sign_in()  # what the button does
    assert app.driver.state == flow.REDIRECTING and window.navigated


def test_a_notice_while_signed_in_offers_no_sign_in(driver) -> None:
    app, document, _window = driver
    signed_in(app)
    app.driver.handle(flow.Event(flow.CALLBACK_FAILED, errors.CallbackReplayed()))
    kind, buttons = notice(document)
    assert kind == "callback_replayed" and "Sign in again" not in buttons
    assert app.driver.state == flow.SIGNED_IN and app.session.signed_in


def test_on_error_while_signed_in_offers_retry(driver) -> None:
    app, document, _window = driver
    signed_in(app)

    async def again() -> None:
        pass

    app.driver.on_error(errors.ApiError(404, "gone"), "load-data", again)
    kind, buttons = notice(document)
    assert kind == "api_error" and buttons == ["Try again"]
    assert app.driver.retry is not None and app.session.signed_in


def test_the_timer_ends_an_expired_session_without_refresh_token(driver) -> None:
    app, document, window = driver
    signed_in(app, refresh_token=None, expires_at=NOW - 1)
    app.driver.render_signed_in()
    window.tick()  # the page's one-second interval
    assert app.driver.state == flow.ENDED and not app.session.signed_in
    assert app.session_store.get(TOKENS_KEY) is None
    assert notice(document)[0] == "session_ended"
    assert not window.intervals  # the ticker stops with the session


@pytest.mark.parametrize(
    ("refresh_token", "words"),
    [(None, "stays valid at ilert until it expires"), ("RT", "could not be reached")],
)
def test_sign_out_says_what_happened(driver, refresh_token, words) -> None:
    app, document, _window = driver
    signed_in(app, refresh_token=refresh_token)

    app.session.client.transport = Unreachable()

    from app.ui import token_actions

    async def scenario() -> None:
        token_actions.sign_out(app)
        await asyncio.gather(*app.actions.tasks.values())

    run(scenario())
    assert app.driver.state == flow.ENDED and not app.session.signed_in
    assert words in document.getElementById("status").textContent


def test_a_data_load_failure_that_ends_the_session_decides_whatever_its_panel(
    driver, monkeypatch
) -> None:
    """The first panel's 404 used to decide, leaving a dead session signed in."""
    app, document, _window = driver
    signed_in(app)
    from app.ui import panels

    async def load_all(_app) -> list[BaseException]:
        return [errors.ApiError(404, "gone"), errors.SessionEnded("revoked")]

    monkeypatch.setattr(panels, "load_all", load_all)
    run(app._load_data())
    assert app.driver.state == flow.ENDED and not app.session.signed_in
    assert notice(document) == ("session_ended", ["Sign in again"])


class BrokenTabs:
    """Telling the other tabs fails (BroadcastChannel or WebCrypto throws)."""

    def track(self, tokens: object) -> None:
        pass

    async def signed_out(self, tokens: object) -> None:
        raise RuntimeError("BroadcastChannel is closed")


def test_sign_out_ends_the_session_here_when_telling_other_tabs_fails(driver) -> None:
    """A failing announcement to the other tabs used to stop the local sign-out."""
    app, document, _window = driver
    signed_in(app, refresh_token=None)
    app.tabs = BrokenTabs()

    from app.ui import token_actions

    async def scenario() -> None:
        token_actions.sign_out(app)
        await asyncio.gather(*app.actions.tasks.values())

    run(scenario())
    assert app.driver.state == flow.ENDED and not app.session.signed_in
    assert app.session_store.get(TOKENS_KEY) is None
    assert document.getElementById("status").textContent.startswith("Signed out")
    assert "BroadcastChannel is closed" in app.log.as_text()


def test_a_session_ending_api_error_of_an_action_ends_the_session(driver) -> None:
    """The API client raises ``SessionEnded`` and leaves the session; the driver's decision
    ends it (an alert or alert source action fails this way)."""
    app, document, _window = driver
    signed_in(app)
    app.driver.on_error(errors.SessionEnded("revoked"), "alerts")
    assert app.driver.state == flow.ENDED and not app.session.signed_in
    assert app.session_store.get(TOKENS_KEY) is None
    assert notice(document) == ("session_ended", ["Sign in again"])


# --- static: the driver is the one place that changes the flow state ----------------------

UI = Path(__file__).resolve().parents[2] / "app" / "ui"


def ui_modules() -> dict[str, ast.Module]:
    return {p.name: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(UI.glob("*.py"))}


def named_by_string(node: ast.AST, function: str, attr: str) -> bool:
    """``setattr(x, "state", ...)`` / ``getattr(d, "send")``: the attribute by its name."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == function
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == attr
    )


def sets_state(tree: ast.Module) -> bool:
    """An assignment (=, +=, annotated, unpacked, for, with, del) to some ``x.state``."""
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "state" and not isinstance(n.ctx, ast.Load))
        or named_by_string(n, "setattr", "state")
        or named_by_string(n, "delattr", "state")
        for n in ast.walk(tree)
    )


def reads_send(tree: ast.Module) -> bool:
    """Reads some ``d.send`` as a value (a decision's); calling ``transport.send(...)`` is not."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "send" and id(n) not in called)
        or named_by_string(n, "getattr", "send")
        for n in ast.walk(tree)
    )


def asks_flow(tree: ast.Module) -> bool:
    """Calls ``flow.step`` (or imports ``step`` from ``app.core.flow``)."""
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "step" and getattr(n.value, "id", "") == "flow")
        or (
            isinstance(n, ast.ImportFrom)
            and n.module == "app.core.flow"
            and any(alias.name == "step" for alias in n.names)
        )
        for n in ast.walk(tree)
    )


def test_only_the_driver_sets_the_flow_state() -> None:
    modules = ui_modules()
    assert "driver.py" in modules and "app.py" in modules
    assert sorted(name for name, tree in modules.items() if sets_state(tree)) == ["driver.py"]


def test_only_the_driver_reads_what_a_decision_sends() -> None:
    modules = ui_modules()
    assert sorted(name for name, tree in modules.items() if reads_send(tree)) == ["driver.py"]


def test_only_the_driver_asks_the_state_machine() -> None:
    modules = ui_modules()
    assert sorted(name for name, tree in modules.items() if asks_flow(tree)) == ["driver.py"]


def test_the_static_checks_see_what_they_look_for() -> None:
    """Each check finds its pattern (so an empty list above means none, not a blind check)."""
    found = ast.parse(
        "app.state = 1\nx.state += 1\nsetattr(a, 'state', 2)\n"
        "if d.send == flow.SEND_REVOKE: pass\nflow.step(s, e)\n"
    )
    assert sets_state(found) and reads_send(found) and asks_flow(found)
    clean = ast.parse("print(app.state)\nawait self.inner.send(request, timeout)\nlog.step('x')\n")
    assert not sets_state(clean) and not reads_send(clean) and not asks_flow(clean)
    for line in ("a.state = 1", "(a.state, b) = 1, 2", "for a.state in x: pass"):
        assert sets_state(ast.parse(line)), line
