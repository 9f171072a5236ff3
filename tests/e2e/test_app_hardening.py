"""Hardening in Chromium: stored settings are untrusted, sessions stay with their server,
storage failures lose nothing, and links cannot speak for the server.

Each test reproduces one finding of the hostile-input review and
failed before the hardening modules were wired into the page. (Long values wrapping is
tests/e2e/test_css_layout.py.)
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, quote, urlsplit

from playwright.sync_api import Page, expect

from app.boot.keys import ATTEMPT_KEY, SETTINGS_KEY, TOKENS_KEY

from .app_flow import (
    approve,
    expect_notice,
    reset,
    session_item,
    sign_in,
    use_the_session,
    wait_idle,
)
from .conftest import AppPage, ServeProcess

EVIL = "evil.example"


def watch_foreign(page: Page) -> list[str]:
    """Every request to a host that is neither the app nor the emulator, answered locally."""
    seen: list[str] = []

    def record(route) -> None:
        seen.append(route.request.url)
        route.fulfill(status=204)

    page.route(re.compile(r"^https?://([^/]*\.)?(evil\.example|203\.0\.113\.5)[/:]"), record)
    return seen


def plant(page: Page, app: AppPage, settings: dict) -> None:
    """What another page of the same origin can do: write the app's settings key."""
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [SETTINGS_KEY, json.dumps(settings)])
    app.goto()
    wait_idle(page)


def test_planted_api_base_never_receives_anything(app_page: AppPage, served: ServeProcess):
    page = reset(app_page, served)
    seen = watch_foreign(page)
    plant(page, app_page, {"api_base": f"https://{EVIL}/api"})
    page.get_by_role("button", name="Sign in with ilert").click()
    # The page names the host that would receive code, verifier and tokens, and waits.
    expect_notice(page, "confirm_hosts", f"https://{EVIL}")
    expect(page.locator("#notice")).to_contain_text("PKCE verifier")
    assert session_item(page, ATTEMPT_KEY) is None  # nothing started
    page.locator("#notice").get_by_role("button", name="Cancel").click()
    expect(page.locator("#notice")).to_be_hidden()
    assert "/oauth2/authorize" not in page.url and seen == []


def test_userinfo_and_look_alike_hosts_are_refused(app_page: AppPage, served: ServeProcess):
    page = reset(app_page, served)
    seen = watch_foreign(page)
    # user info: https://app.ilert.com@evil.example goes to evil.example -> dropped on load
    plant(page, app_page, {"api_base": f"https://app.ilert.com@{EVIL}/api"})
    note = page.locator("#page-notes [data-kind=settings_dropped]")
    expect(note).to_contain_text("must not contain a user name or password")
    expect(page.get_by_label(re.compile("^API base"))).to_have_value(re.compile("^http://"))
    # typed in Settings: refused the same way
    page.locator("#settings summary").click()
    page.get_by_label(re.compile("^API base")).fill(f"https://app.ilert.com@{EVIL}/api")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-errors")).to_contain_text("user name or password")
    expect(page.locator("#status")).to_have_text("")  # no stale "Settings saved"
    # a look-alike is another host: compared by parsed hostname, so confirmation is asked
    plant(page, app_page, {"api_base": f"https://app.ilert.com.{EVIL}/api"})
    page.get_by_role("button", name="Sign in with ilert").click()
    expect_notice(page, "confirm_hosts", f"https://app.ilert.com.{EVIL}")
    assert seen == []


def test_http_on_a_public_ip_is_refused(app_page: AppPage, served: ServeProcess):
    page = reset(app_page, served)
    seen = watch_foreign(page)
    plant(page, app_page, {"api_base": "http://203.0.113.5/api"})
    expect(page.locator("#page-notes [data-kind=settings_dropped]")).to_contain_text(
        "must use https"
    )
    sign_in(app_page)  # the defaults apply: the emulator
    expect(page.locator("#profile")).to_contain_text("Alice")
    assert seen == []


def test_settings_change_while_signed_in_does_not_move_the_session(
    app_page: AppPage, served: ServeProcess
):
    page = reset(app_page, served)
    sign_in(app_page)
    emulator = urlsplit(served.emulator_url).netloc
    moved = "127.0.0.1:9"  # loopback (valid), and nothing listens there
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url))
    page.locator("#settings summary").click()
    page.get_by_label(re.compile("^API base")).fill(f"http://{moved}/api")
    page.get_by_role("button", name="Save settings").click()
    expect_notice(page, "server_changed", "keeps using that server until you sign out")
    use_the_session(page)
    # The user's choice: sign out now (the revoke goes to the session's server too).
    page.locator("#notice").get_by_role("button", name="Sign out now").click()
    wait_idle(page)
    expect(page.locator("#status")).to_contain_text("refresh token was revoked")
    hosts = {urlsplit(u).netloc for u in sent if u.startswith("http")}
    assert moved not in hosts and emulator in hosts
    assert any("/oauth2/revoke" in u and emulator in u for u in sent)


FILL = """([room]) => {
  // Fill this origin's sessionStorage until the browser refuses, leaving `room` characters.
  sessionStorage.setItem("filler-room", "x".repeat(room));
  let size = 1 << 20, i = 0;
  while (size >= 1) {
    try { sessionStorage.setItem("filler-" + (i++), "x".repeat(size)); }
    catch (e) { size = Math.floor(size / 2); }
  }
  sessionStorage.removeItem("filler-room");
}"""


def test_full_session_storage_loses_nothing(app_page: AppPage, served: ServeProcess):
    page = reset(app_page, served)
    served.admin("modes", {"strict_rotation": True})  # a lost rotated token would end it
    try:
        page.evaluate(FILL, [1500])
        page.get_by_role("button", name="Sign in with ilert").click()
        approve(page)
        app_page.wait_ready()
        wait_idle(page)
        expect(page.locator("#profile")).to_contain_text("Alice")
        note = page.locator("#page-notes [data-kind=storage_refused]")
        expect(note).to_have_count(1)
        expect(note).to_contain_text("keeps working in memory")
        for _ in range(2):  # each refresh needs the token the one before returned
            page.get_by_role("button", name="Refresh now").click()
            wait_idle(page)
            expect(page.locator("#status")).to_have_text("Access token refreshed.")
        expect(page.locator("#notice")).to_be_hidden()
        expect(note).to_have_count(1)  # said once
        page.get_by_role("button", name="Reload data").click()
        wait_idle(page)
        expect(page.locator("#profile")).to_contain_text("Alice")
    finally:
        served.admin("modes", {"strict_rotation": False})
        page.evaluate("() => sessionStorage.clear()")


def test_foreign_error_link_is_a_neutral_note_and_keeps_the_sign_in(
    app_page: AppPage, served: ServeProcess
):
    page = reset(app_page, served)
    page.get_by_role("button", name="Sign in with ilert").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    authorize_url = page.url
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    words = "Your account is locked. Call +1 555 0100 now"
    app_page.goto(f"{served.app_url}?error=x&error_description={quote(words)}")
    wait_idle(page)
    expect_notice(page, "callback_ignored", "does not belong to a sign-in")
    expect(page.locator("main")).not_to_contain_text("555 0100")
    assert session_item(page, ATTEMPT_KEY)["state"] == state  # the sign-in under way is kept
    # ... and finishes normally.
    page.goto(authorize_url)
    approve(page)
    app_page.wait_ready()
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice")
    assert session_item(page, TOKENS_KEY) is not None


def test_presets_show_and_fill_the_server_fields(app_page: AppPage, served: ServeProcess):
    # The active preset is shown; choosing one fills its fields (not saved).
    page = reset(app_page, served)
    expect(page.locator("#preset-active")).to_have_text("local emulator")
    page.locator("#settings summary").click()
    server = page.get_by_label("Server", exact=True)
    server.select_option("ilert")
    expect(page.get_by_label(re.compile("^ilert host"))).to_have_value("https://app.ilert.com")
    expect(page.get_by_label(re.compile("^API base"))).to_have_value("https://api.ilert.com/api")
    server.select_option("custom")  # starts from the endpoints chosen so far
    expect(page.get_by_label("Token endpoint", exact=True)).to_have_value(
        "https://api.ilert.com/api/developers/oauth2/token"
    )
    expect(page.get_by_label(re.compile("^ilert host"))).to_be_hidden()
    server.select_option("emulator")
    expect(page.get_by_label(re.compile("^ilert host"))).to_have_value(served.emulator_url)
    expect(page.locator("#preset-active")).to_have_text("local emulator")  # nothing saved
