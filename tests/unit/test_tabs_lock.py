"""``app.browser.tabs.with_lock`` lets go of the Web Lock however the work ends (cancelled too).

It runs only in Pyodide; ``js`` and ``pyodide.ffi`` are stand-ins, and the lock itself is
an ``asyncio.Lock`` behind ``_acquire`` (what the page's Web Lock does across tabs).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import types

import pytest

from tests.asyncrun import run


@pytest.fixture
def tabs(monkeypatch: pytest.MonkeyPatch):
    js = types.ModuleType("js")
    js.navigator = types.SimpleNamespace(locks=object())
    js.__getattr__ = lambda name: types.SimpleNamespace()  # app.browser.web's module-level names
    pyodide = types.ModuleType("pyodide")
    ffi = types.ModuleType("pyodide.ffi")
    for name in ("create_once_callable", "create_proxy", "to_js"):
        setattr(ffi, name, lambda *a, **k: None)
    ffi.jsnull = object()
    pyodide.ffi = ffi
    monkeypatch.setitem(sys.modules, "js", js)
    monkeypatch.setitem(sys.modules, "pyodide", pyodide)
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    for name in ("app.browser.tabs", "app.browser.web"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module("app.browser.tabs")
    yield module
    for name in ("app.browser.tabs", "app.browser.web"):
        sys.modules.pop(name, None)


def test_cancelled_while_settling_after_the_wait_releases_the_lock(tabs, monkeypatch) -> None:
    """The old code slept SETTLE_S before its try: a cancel there kept the lock forever."""

    async def scenario() -> bool:
        lock = asyncio.Lock()
        held = asyncio.Event()

        async def acquire(_locks, _name, if_available):
            if if_available and lock.locked():
                return None  # another tab holds it
            await lock.acquire()
            held.set()
            return lock.release

        monkeypatch.setattr(tabs, "_acquire", acquire)
        await lock.acquire()  # "another tab" holds the lock
        waiter = asyncio.ensure_future(tabs.with_lock("l", asyncio.sleep))
        while not waiter.done() and len(lock._waiters or ()) == 0:
            await asyncio.sleep(0)
        lock.release()  # the other tab is done: this one gets it, then settles
        await held.wait()
        waiter.cancel()  # the tab's refresh is cancelled while it settles
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return lock.locked()

    assert run(scenario()) is False  # let go: the other tabs do not wait forever
