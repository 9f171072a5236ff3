"""Helpers for the app's end-to-end tests: reset, sign in via the emulator's pages, read state."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from app.boot.keys import SETTINGS_KEY, SIGNIN_MODE_KEY

from .conftest import BOOT_TIMEOUT_MS, AppPage, ServeProcess

IDLE = "html[data-app-ready]:not([data-busy])"
CALLBACK_RE = re.compile(r"[?&](code|error|state)=")
BLANK = "storage-reset.html"
BLANK_PAGE = '<!doctype html><link rel="icon" href="data:,"><title>storage reset</title>'


def wait_idle(page: Page) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=BOOT_TIMEOUT_MS)


def on_blank_page(page: Page, app_url: str, script: str, arg: object) -> None:
    """Run ``script(arg)`` in a same-origin document without Python, made up here.

    The document names its icon: one without (an SVG, say) makes the browser itself fetch
    /favicon.ico, a request no route sees, whose 404 can reach the console late.
    """
    url = app_url + BLANK
    page.route(url, lambda route: route.fulfill(content_type="text/html", body=BLANK_PAGE))
    page.goto(url)
    page.evaluate(script, arg)
    page.unroute(url)


def settled(page: Page) -> None:
    """Wait until what the page had queued has run: two frames (observers, a redraw in
    requestAnimationFrame), then an idle callback (after any the page queued before it)."""
    page.evaluate(
        """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(
             () => requestIdleCallback(() => setTimeout(done, 0), {timeout: 5000}))))"""
    )


def listen_after_the_page(page: Page, channel: str) -> None:
    """Count the messages this page hears on ``window`` and on BroadcastChannel ``channel``,
    with listeners set up after the page's own ones (see ``heard``)."""
    page.evaluate(
        """(name) => {
             window.__heard = 0;
             window.__probe = new BroadcastChannel(name);
             window.__probe.onmessage = () => { window.__heard += 1; };
             addEventListener("message", () => { window.__heard += 1; });
           }""",
        channel,
    )


def heard(page: Page, messages: int) -> None:
    """Wait until ``messages`` messages came: the page's listeners, earlier in creation
    order, have had each of them by then."""
    page.wait_for_function("(n) => window.__heard >= n", arg=messages)


def reset(
    app: AppPage, served: ServeProcess, settings: dict | None = None, mode: str = "redirect"
) -> Page:
    """Fresh emulator, empty storage (optionally saved settings), the app booted and idle.

    ``mode`` is the sign-in mode saved in the page's settings: most tests follow the
    full-page redirect (one page to watch); tests/e2e/test_popup.py uses "popup", the default.
    """
    served.reset()
    page = app.page
    page.unroute_all(behavior="ignoreErrors")
    on_blank_page(
        page,
        app.url,
        "([key, value, modeKey, mode]) => { sessionStorage.clear(); localStorage.clear();"
        " if (value) localStorage.setItem(key, value);"
        " if (mode !== 'popup') localStorage.setItem(modeKey, mode); }",
        [SETTINGS_KEY, json.dumps(settings) if settings else "", SIGNIN_MODE_KEY, mode],
    )
    app.console.clear()
    app.page_errors.clear()
    app.requests.clear()
    app.goto()
    wait_idle(page)
    return page


def approve(page: Page, user: str = "alice", decision: str = "Approve") -> None:
    """On the emulator's pages: pick the user (by username), then Approve or Deny."""
    page.locator(f"button[name=username][value={user}]").click()
    page.get_by_role("button", name=decision).click()


def sign_in(app: AppPage, user: str = "alice", decision: str = "Approve") -> Page:
    page = app.page
    page.get_by_role("button", name="Sign in with ilert").click()
    approve(page, user, decision)
    app.wait_ready()
    wait_idle(page)
    return page


def use_the_session(page: Page) -> None:
    """Every call of a signed-in page in turn: Reload data, Refresh now, Token info."""
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    page.get_by_role("button", name="Refresh now").click()
    wait_idle(page)
    expect(page.locator("#status")).to_have_text("Access token refreshed.")
    page.get_by_role("button", name="Token info").click()
    wait_idle(page)


def session_item(page: Page, key: str) -> object:
    raw = page.evaluate("k => sessionStorage.getItem(k)", key)
    return json.loads(raw) if raw else None


def storage_dump(page: Page) -> str:
    return page.evaluate(
        "() => JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])"
    )


def flow_log(page: Page) -> str:
    return page.locator("#flow-log").inner_text()


def expect_notice(page: Page, kind: str, text: str | None = None) -> None:
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("data-kind", kind)
    if text:
        expect(notice).to_contain_text(text)


def hosts(urls: list[str]) -> set[str]:
    return {urlsplit(u).netloc for u in urls if not u.startswith(("data:", "blob:"))}
