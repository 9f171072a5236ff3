"""Popup sign-in end to end: one Python boot, a popup that loads none, and its failure modes.

The popup comes back to the page's own URL (the one redirect URI); static/boot.js hands the
answer to the opener and closes the window before any Python loads.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Request, Route, expect

from app.boot.keys import ATTEMPT_KEY, SIGNIN_MODE_KEY

from .app_flow import (
    CALLBACK_RE,
    approve,
    expect_notice,
    flow_log,
    heard,
    listen_after_the_page,
    on_blank_page,
    reset,
    settled,
    storage_dump,
    wait_idle,
)
from .conftest import AppPage, ServeProcess

PYTHON_RE = re.compile(
    r"/(pyodide[^/]*|python_stdlib(_later)?\.zip|app(_later)?\.zip|main\.py)(\?|$)|\.wasm$"
)


def open_popup(page: Page) -> Page:
    with page.expect_popup() as info:
        page.get_by_role("button", name="Sign in with ilert").click()
    popup = info.value
    popup.wait_for_load_state("domcontentloaded")
    return popup


def python_requests(urls: list[str]) -> list[str]:
    return [u for u in urls if PYTHON_RE.search(urlsplit(u).path)]


def test_popup_sign_in_boots_python_once(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, mode="popup")
    booted = python_requests(app_page.requests)
    assert any("pyodide.asm.wasm" in u for u in booted)
    app_page.requests.clear()
    popup = open_popup(page)
    popup_requests: list[str] = []
    popup.on("request", lambda r: popup_requests.append(r.url) if isinstance(r, Request) else None)
    expect(page.locator("#status")).to_contain_text("window that opened")
    approve(popup)
    popup.wait_for_event("close", timeout=15_000)

    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    # The opener never reloaded and booted Python once; the popup came back to the
    # redirect URI (the page itself) and loaded no Python at all.
    assert python_requests(app_page.requests) == []
    callbacks = [u for u in popup_requests if CALLBACK_RE.search(u)]
    assert callbacks and callbacks[-1].startswith(served.app_url + "?")
    assert python_requests(popup_requests) == []
    log = flow_log(page)
    assert "popup window" in log and "answer (postMessage)" in log
    assert ATTEMPT_KEY not in storage_dump(page)
    assert app_page.console_errors() == []


def test_popup_blocked_falls_back_to_redirect(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, mode="popup")
    # A blocked popup: window.open gives null, as a browser's popup blocker does. (Playwright's
    # Chromium runs with its popup blocker off and gives evaluate() a user activation, so the
    # blocker's answer is the one thing stubbed here.)
    page.evaluate("() => { window.open = () => null; }")
    page.get_by_role("button", name="Sign in with ilert").click()
    approve(page)  # the same tab went to ilert
    app_page.wait_ready()
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    assert "blocked the sign-in window" in flow_log(page)


def test_popup_closed_cancels(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, mode="popup")
    popup = open_popup(page)
    popup.close()
    # Closed and severed by a COOP header look the same from here: the page says both and
    # waits for an answer until the user cancels (or GRACE_S passes).
    expect_notice(page, "popup_out_of_sight", "closed, or the sign-in page keeps it apart")
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_disabled()
    page.locator("#notice").get_by_role("button", name="Cancel sign-in").click()
    expect_notice(page, "sign_in_cancelled", "window was closed")
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_enabled()
    assert ATTEMPT_KEY not in storage_dump(page)
    assert "Sign-in cancelled" in flow_log(page)
    # And the next sign-in works.
    popup = open_popup(page)
    approve(popup)
    popup.wait_for_event("close", timeout=15_000)
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")


def test_forged_messages_are_ignored(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, mode="popup")
    token_posts: list[str] = []
    page.on(
        "request",
        lambda r: token_posts.append(r.post_data or "") if r.url.endswith("/token") else None,
    )
    popup = open_popup(page)
    state = parse_qs(urlsplit(popup.url).query)["state"][0]
    forged = f"{served.app_url}?code=forged0000&state="
    listen_after_the_page(page, "ilert-pkce:popup")
    # From another origin (the sign-in page's), with the right state: ignored.
    popup.evaluate(
        "([url]) => window.opener.postMessage({type: 'ilert-pkce:popup-callback', url}, '*')",
        [forged + state],
    )
    # From the page's own origin, with another state: ignored.
    page.evaluate(
        "([url]) => window.postMessage({type: 'ilert-pkce:popup-callback', url}, '*')",
        [forged + "popup.another"],
    )
    # On the channel, a claim-less callback and an offer for another state: ignored.
    page.evaluate(
        "([url]) => { const c = new BroadcastChannel('ilert-pkce:popup');"
        " c.postMessage({type: 'callback', id: 'x', url});"
        " c.postMessage({type: 'offer', id: 'y', state_hash: '00'}); c.close(); }",
        [forged + state],
    )
    heard(page, 4)  # the page has had all four
    settled(page)
    assert token_posts == []
    expect(page.locator("#status")).to_contain_text("window that opened")
    approve(popup)
    popup.wait_for_event("close", timeout=15_000)
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    assert len(token_posts) == 1 and "forged" not in token_posts[0]


def with_coop(route: Route) -> None:
    """The emulator's answer with ``Cross-Origin-Opener-Policy: same-origin`` added."""
    response = route.fetch(max_redirects=0)
    headers = {**response.headers, "cross-origin-opener-policy": "same-origin"}
    route.fulfill(response=response, headers=headers)


def test_popup_severed_by_coop_hands_over_on_the_channel(
    app_page: AppPage, served: ServeProcess
) -> None:
    """A COOP header on the sign-in page severs window.opener: the BroadcastChannel path.

    The severed window looks closed to the opener while the user is still signing in: the
    sign-in is not called cancelled. Another window of the origin listening on the channel
    hears the hand-over, but never the code (the URL travels sealed under the state's key).
    """
    page = reset(app_page, served, mode="popup")
    context = page.context
    pattern = served.emulator_url + "/api/developers/oauth2/authorize**"
    context.route(pattern, with_coop)
    listener = context.new_page()
    try:
        on_blank_page(
            listener,
            app_page.url,
            """() => { window.heard = []; const c = new BroadcastChannel('ilert-pkce:popup');
            c.onmessage = (e) => window.heard.push(JSON.stringify(e.data)); }""",
            None,
        )
        popup = open_popup(page)
        popup_requests: list[str] = []
        popup.on(
            "request", lambda r: popup_requests.append(r.url) if isinstance(r, Request) else None
        )
        assert popup.evaluate("() => window.opener") is None  # severed
        # The opener's poll found the window out of sight, and did not call it cancelled.
        expect_notice(page, "popup_out_of_sight")
        expect(page.locator("#notice")).not_to_have_attribute("data-kind", "sign_in_cancelled")
        expect(page.get_by_role("button", name="Sign in with ilert")).to_be_disabled()
        assert "Sign-in cancelled" not in flow_log(page)
        codes: list[str] = []
        page.on(
            "request",
            lambda r: (
                codes.extend(parse_qs(r.post_data or "").get("code", []))
                if r.url.endswith("/token")
                else None
            ),
        )
        approve(popup)
        popup.wait_for_event("close", timeout=15_000)
        wait_idle(page)
        expect(page.locator("#profile")).to_contain_text("Alice Meier")
        expect(page.locator("#notice")).to_be_hidden()
        assert "answer (BroadcastChannel, sealed)" in flow_log(page)
        assert python_requests(popup_requests) == []
        assert ATTEMPT_KEY not in storage_dump(page)
        heard = listener.evaluate("() => window.heard")
        kinds = {json.loads(m)["type"] for m in heard}
        assert {"offer", "claim", "callback", "done"} <= kinds, heard
        assert len(codes) == 1
        assert all(codes[0] not in m and "code=" not in m for m in heard), heard
    finally:
        listener.close()
        context.unroute(pattern)


def test_popup_deny_is_told_on_the_page(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, mode="popup")
    popup = open_popup(page)
    approve(popup, decision="Deny")
    popup.wait_for_event("close", timeout=15_000)
    expect_notice(page, "consent_denied")
    expect(page.get_by_role("button", name="Sign in again")).to_be_visible()
    assert ATTEMPT_KEY not in storage_dump(page)


def test_redirect_is_a_setting(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, mode="popup")
    page.locator("#settings summary").click()
    page.locator("#set-signin-mode").select_option("redirect")
    assert page.evaluate("k => localStorage.getItem(k)", SIGNIN_MODE_KEY) == "redirect"
    popups: list[str] = []

    def on_page(other: Page) -> None:
        popups.append(other.url)

    page.context.on("page", on_page)
    page.get_by_role("button", name="Sign in with ilert").click()
    approve(page)  # in this tab: a full-page redirect
    app_page.wait_ready()
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    page.context.remove_listener("page", on_page)
    assert popups == []
    # Reset to defaults brings the popup back.
    page.locator("#settings summary").click()
    page.get_by_role("button", name="Reset to defaults").click()
    expect(page.locator("#set-signin-mode")).to_have_value("popup")
    assert page.evaluate("k => localStorage.getItem(k)", SIGNIN_MODE_KEY) is None
