"""Inputs that used to stop the page: junk in storage and on the tabs' channel.

Any script on the origin can write the app's localStorage keys and post on its channels.
A value nested deeply enough overflowed the WebAssembly stack in ``json.loads``: the page
showed "The app could not start" on every reload. Now junk is dropped, the page starts from
its defaults and says so; junk on the channel is ignored quietly.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.keys import SETTINGS_KEY, TOKENS_KEY, TRANSPORT_KEY

from .app_flow import reset, session_item, sign_in, wait_idle
from .conftest import AppPage, ServeProcess

JUNK = ["'['.repeat(50000)", "'{\"a\":'.repeat(30000)", "'\"' + 'x'.repeat(3000000) + '\"'"]


@pytest.mark.parametrize("key", [SETTINGS_KEY, TRANSPORT_KEY])
@pytest.mark.parametrize("junk", JUNK[:2])
def test_junk_in_local_storage_starts_with_defaults_and_says_so(
    app_page: AppPage, served: ServeProcess, key: str, junk: str
) -> None:
    page = reset(app_page, served)
    page.evaluate(f"k => localStorage.setItem(k, {junk})", key)
    app_page.goto()
    wait_idle(page)
    note = page.locator("#page-notes [data-kind=settings_dropped]")
    expect(note).to_contain_text("unreadable")
    expect(note).to_contain_text("defaults")
    assert page.evaluate("k => localStorage.getItem(k)", key) is None  # dropped
    assert app_page.page_errors == []
    sign_in(app_page)  # the defaults apply: the emulator
    expect(page.locator("#profile")).to_contain_text("Alice")


def test_junk_on_the_tabs_channel_is_ignored(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    page.evaluate(
        """() => { const c = new BroadcastChannel('ilert-pkce:tabs');
        for (const n of [15000, 50000]) {
          c.postMessage('['.repeat(n));
          c.postMessage('{"type":"signed_out","ids":' + '['.repeat(n));
        }
        let deep = []; for (let i = 0; i < 1000; i++) deep = [deep];
        c.postMessage(deep);
        c.postMessage({type: 'signed_out', ids: deep});
        c.close(); }"""
    )
    page.wait_for_timeout(800)
    assert app_page.page_errors == [] and app_page.console_errors() == []
    expect(page.locator("#signed-in")).to_be_visible()
    assert session_item(page, TOKENS_KEY) is not None
    page.get_by_role("button", name="Refresh now").click()
    wait_idle(page)
    expect(page.locator("#status")).to_have_text("Access token refreshed.")
