"""Inputs that used to stop the page: junk in storage and on the tabs' channel.

Any script on the origin can write the app's localStorage keys and post on its channels.
A value nested deeply enough overflowed the WebAssembly stack in ``json.loads``: the page
showed "The app could not start" on every reload. Now junk is dropped, the page starts from
its defaults and says so; junk on the channel is ignored quietly.
"""

from __future__ import annotations

import http.client
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Request, expect

from app.boot.keys import SETTINGS_KEY, TOKENS_KEY, TRANSPORT_KEY

from .app_flow import heard, listen_after_the_page, reset, session_item, settled, sign_in, wait_idle
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
    listen_after_the_page(page, "ilert-pkce:tabs")
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
    heard(page, 6)  # all six, and what the page started for them has run
    settled(page)
    assert app_page.page_errors == [] and app_page.console_errors() == []
    expect(page.locator("#signed-in")).to_be_visible()
    assert session_item(page, TOKENS_KEY) is not None
    page.get_by_role("button", name="Refresh now").click()
    wait_idle(page)
    expect(page.locator("#status")).to_have_text("Access token refreshed.")


def test_what_the_callback_url_leaves_behind(app_page: AppPage, served: ServeProcess) -> None:
    """README, Security: after a redirect sign-in the code and state are gone from the
    address bar and were never sent as a Referer; the page's navigation timing entry keeps
    them (no API clears it: clearResourceTimings() leaves navigation entries), but both are
    spent by then."""
    page = reset(app_page, served)
    referers: list[str] = []
    token_forms: list[str] = []

    def on_request(request: Request) -> None:
        referers.append(request.headers.get("referer", ""))
        if request.url.endswith("/oauth2/token"):
            token_forms.append(request.post_data or "")

    page.on("request", on_request)
    try:
        sign_in(app_page)
    finally:
        page.remove_listener("request", on_request)
    expect(page.locator("#profile")).to_contain_text("Alice")
    code = parse_qs(token_forms[0])["code"][0]
    assert code not in page.url and "state=" not in page.url
    assert page.evaluate("() => history.state") is None
    assert all(code not in r for r in referers) and all("code=" not in r for r in referers)
    resources = page.evaluate(
        "() => performance.getEntriesByType('resource').map((e) => e.name).join(' ')"
    )
    assert code not in resources
    navigation = page.evaluate(
        "() => { performance.clearResourceTimings();"
        " return performance.getEntriesByType('navigation').map((e) => e.name).join(' '); }"
    )
    assert f"code={code}" in navigation  # what remains (documented), until the next load
    # ... and it is spent: the server refuses it a second time, whatever the verifier.
    port = urlsplit(served.emulator_url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    form = parse_qs(token_forms[0])
    body = urlencode({k: v[0] for k, v in form.items()})
    conn.request(
        "POST",
        "/api/developers/oauth2/token",
        body,
        {"Host": f"localhost:{port}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = conn.getresponse()
    reply = answer.read()
    assert answer.status >= 400 and b"already been used" in reply, reply
    conn.close()
