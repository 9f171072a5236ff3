"""Tabs that share tokens agree: one refresh for both, rotation handed over, sign-out everywhere.

A second tab gets a copy of the first one's sessionStorage, as "Duplicate tab" does. The
emulator runs in strict rotation (a used refresh token is revoked at once), so a tab that
refreshed with a token another tab had already rotated away would fail.
"""

from __future__ import annotations

from playwright.sync_api import Page, Request, expect

from app.boot.keys import TOKENS_KEY

from .app_flow import (
    flow_log,
    heard,
    listen_after_the_page,
    on_blank_page,
    reset,
    session_item,
    settled,
    sign_in,
    wait_idle,
)
from .conftest import BOOT_TIMEOUT_MS, AppPage, ServeProcess


def duplicate(app: AppPage) -> Page:
    """A new tab of the same browser with a copy of this tab's sessionStorage."""
    entries = app.page.evaluate("() => Object.entries(sessionStorage)")
    other = app.page.context.new_page()
    on_blank_page(
        other,
        app.url,
        "entries => { for (const [k, v] of entries) sessionStorage.setItem(k, v); }",
        entries,
    )
    other.goto(app.url)
    other.wait_for_selector("html[data-app-ready]", state="attached", timeout=BOOT_TIMEOUT_MS)
    wait_idle(other)
    return other


def refresh_requests(page: Page) -> list[str]:
    found: list[str] = []

    def on_request(request: Request) -> None:
        if request.url.endswith("/oauth2/token") and "refresh_token" in (request.post_data or ""):
            found.append(request.post_data or "")

    page.context.on("request", on_request)
    return found


def test_two_tabs_refresh_once_and_hand_over_rotation(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served)
    served.admin("modes", {"strict_rotation": True})
    sign_in(app_page)
    other = duplicate(app_page)
    try:
        expect(other.locator("#profile")).to_contain_text("Alice Meier")
        refreshes = refresh_requests(page)
        # Both tabs refresh at once; the first holds the lock while ilert is slow to answer.
        served.admin("faults", {"endpoint": "token", "hang": 1.5})
        page.get_by_role("button", name="Refresh now").click()
        other.get_by_role("button", name="Refresh now").click()
        wait_idle(page)
        wait_idle(other)
        assert len(refreshes) == 1, refreshes
        expect(page.locator("#status")).to_have_text("Access token refreshed.")
        expect(other.locator("#status")).to_have_text("Access token refreshed.")
        first = session_item(page, TOKENS_KEY)
        assert session_item(other, TOKENS_KEY)["refresh_token"] == first["refresh_token"]
        assert "handed them over" in other.locator("#flow-log").inner_text()

        # The other tab refreshes on its own with the handed-over token (the old one is
        # revoked under strict rotation); the first tab takes the result in turn.
        other.get_by_role("button", name="Refresh now").click()
        wait_idle(other)
        expect(other.locator("#status")).to_have_text("Access token refreshed.")
        assert len(refreshes) == 2
        second = session_item(other, TOKENS_KEY)
        assert second["refresh_token"] != first["refresh_token"]
        page.wait_for_function(
            "([key, rt]) => JSON.parse(sessionStorage.getItem(key)).refresh_token === rt",
            arg=[TOKENS_KEY, second["refresh_token"]],
        )
        page.get_by_role("button", name="Refresh now").click()
        wait_idle(page)
        expect(page.locator("#status")).to_have_text("Access token refreshed.")
        # No token ever went over the channel in clear: the flow logs show no token either.
        for secret in (first["refresh_token"], second["refresh_token"]):
            assert (
                secret not in flow_log(page)
                and secret not in other.locator("#flow-log").inner_text()
            )
    finally:
        other.close()


def test_sign_out_in_one_tab_signs_out_the_other(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    other = duplicate(app_page)
    try:
        expect(other.locator("#profile")).to_contain_text("Alice Meier")
        page.get_by_role("button", name="Sign out").click()
        wait_idle(page)
        expect(other.locator("#status")).to_contain_text("Signed out in another tab")
        expect(other.get_by_role("button", name="Sign in with ilert")).to_be_visible()
        expect(other.locator("#signed-in")).to_be_hidden()
        assert session_item(other, TOKENS_KEY) is None
    finally:
        other.close()


def test_forged_tab_messages_are_ignored(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    # Anything on the channel that is not a well-formed message about this session: ignored.
    listen_after_the_page(page, "ilert-pkce:tabs")
    page.evaluate(
        """() => { const c = new BroadcastChannel('ilert-pkce:tabs');
        c.postMessage({type: 'signed_out', ids: ['0'.repeat(32)]});
        c.postMessage(JSON.stringify({type: 'signed_out', ids: ['0'.repeat(32)]}));
        c.postMessage(JSON.stringify({type: 'signed_out', ids: 'all'}));
        c.postMessage(JSON.stringify({type: 'rotated', id: '0'.repeat(32), iv: 'AAAAAAAAAAAAAAAA',
          sealed: 'AAAA'}));
        c.close(); }"""
    )
    heard(page, 4)  # the page has had all four
    settled(page)  # and what it started for them has run
    expect(page.locator("#signed-in")).to_be_visible()
    assert session_item(page, TOKENS_KEY) is not None


def test_a_sign_out_forged_from_heard_names_is_ignored(
    app_page: AppPage, served: ServeProcess
) -> None:
    """Any same-origin listener hears the session's name in each hand-over: replayed as a
    sign-out (by name, or with a hand-over's sealed blob) it ends nothing; a real sign-out
    still reaches the other tab."""
    page = reset(app_page, served)
    sign_in(app_page)
    other = duplicate(app_page)
    try:
        page.evaluate(
            """() => { window.heard = [];
            window.spy = new BroadcastChannel('ilert-pkce:tabs');
            window.spy.onmessage = (e) => window.heard.push(e.data); }"""
        )
        other.get_by_role("button", name="Refresh now").click()
        wait_idle(other)
        page.wait_for_function("() => window.heard.some((m) => m.includes('rotated'))")
        for tab in (page, other):
            listen_after_the_page(tab, "ilert-pkce:tabs")
        page.evaluate(
            """() => { const m = JSON.parse(window.heard.find((m) => m.includes('rotated')));
            const seal = {id: m.id, iv: m.iv, sealed: m.sealed};
            window.spy.postMessage(JSON.stringify({type: 'signed_out', ids: [m.id]}));
            window.spy.postMessage(JSON.stringify({type: 'signed_out', seals: [seal]})); }"""
        )
        for tab in (page, other):
            heard(tab, 2)  # both forged sign-outs, and what they started has run
            settled(tab)
        for tab in (page, other):
            expect(tab.locator("#signed-in")).to_be_visible()
            assert session_item(tab, TOKENS_KEY) is not None
        page.get_by_role("button", name="Refresh now").click()  # the session is alive
        wait_idle(page)
        expect(page.locator("#status")).to_have_text("Access token refreshed.")
        # The real sign-out still reaches the other tab.
        other.get_by_role("button", name="Sign out").click()
        wait_idle(other)
        expect(page.locator("#status")).to_contain_text("Signed out in another tab")
        assert session_item(page, TOKENS_KEY) is None
    finally:
        other.close()
