"""The app end to end against serve.py + emulator: happy path, tenant, scopes, expiry, reload."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import expect

from app.boot.keys import TOKENS_KEY

from .app_flow import (
    CALLBACK_RE,
    approve,
    expect_notice,
    flow_log,
    hosts,
    reset,
    session_item,
    sign_in,
    storage_dump,
    wait_idle,
)
from .conftest import AppPage, ServeProcess

DEMO_DATA = Path(__file__).resolve().parents[2] / "ilert_emulator" / "data" / "demo.json"


def refresh_directly(served: ServeProcess, refresh_token: str) -> tuple[int, dict]:
    body = urlencode(
        {
            "client_id": "ilert-pkce-demo",
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
    ).encode()
    req = urllib.request.Request(
        f"{served.emulator_url}/api/developers/oauth2/token",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_happy_path_end_to_end(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if CALLBACK_RE.search(r.url) else None)
    sign_in(app_page)

    # Back on the page: the address bar is clean, the session is there.
    assert "code=" not in page.url and "state=" not in page.url
    assert page.url.rstrip("/") == served.app_url.rstrip("/")
    code = dict(p.split("=", 1) for p in urlsplit(callbacks[-1]).query.split("&"))["code"]
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    expect(page.locator("#granted-scope")).to_have_text(
        "profile source:w alert:w schedule offline_access"
    )
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^5\d:\d\d$"))
    expect(page.get_by_text("not verified by this client")).to_be_visible()
    expect(page.locator("#claims")).to_contain_text("il_u")
    expect(page.locator("#status")).to_have_text("Your ilert data is up to date.")

    # Alert sources: disable one (PUT of the full object), the change sticks.
    row = page.locator("#sources tr", has_text="Checkout API")
    row.get_by_role("button", name="Disable Checkout API").click()
    wait_idle(page)
    expect(row.get_by_role("button", name="Enable Checkout API")).to_be_visible()
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect(page.locator("#sources tr", has_text="Checkout API")).to_contain_text("no")

    # Accept an alert, on-call list present.
    alert = page.locator("#alerts li", has_text="Checkout latency")
    alert.get_by_role("button", name="Accept").click()
    wait_idle(page)
    expect(page.locator("#alerts li", has_text="Checkout latency")).to_contain_text("ACCEPTED")
    expect(page.locator("#oncall")).to_contain_text("Alice Meier")

    # Refresh now: a new refresh token (the emulator rotates).
    before = session_item(page, TOKENS_KEY)
    page.get_by_role("button", name="Refresh now").click()
    wait_idle(page)
    expect(page.locator("#status")).to_have_text("Access token refreshed.")
    after = session_item(page, TOKENS_KEY)
    assert after["refresh_token"] != before["refresh_token"]

    # Token info.
    page.get_by_role("button", name="Token info").click()
    wait_idle(page)
    info = page.locator("#token-info-out")
    expect(info).to_contain_text("active")
    expect(info).to_contain_text("alice")

    log = flow_log(page)
    secrets = [
        code,
        before["access_token"],
        before["refresh_token"],
        after["access_token"],
        after["refresh_token"],
    ]
    assert "[redacted]" in log and "grant_type" in log and "→ 200" in log
    for secret in secrets:
        assert secret not in log
        assert all(secret not in m.text for m in app_page.console)

    # Sign out: revoke + clear; the revoked refresh token is refused by the emulator.
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    expect(page.locator("#status")).to_contain_text("refresh token was revoked")
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    dump = storage_dump(page)
    assert after["refresh_token"] not in dump and after["access_token"] not in dump
    assert session_item(page, TOKENS_KEY) is None
    status, body = refresh_directly(served, after["refresh_token"])
    assert (status, body.get("code")) == (401, "invalid_grant")

    # Only the app's server and the emulator were contacted; nothing went wrong in the console.
    app_host, emu_host = urlsplit(served.app_url).netloc, urlsplit(served.emulator_url).netloc
    assert hosts(app_page.requests) <= {app_host, emu_host}
    assert app_page.console_errors() == []


def test_reload_keeps_the_session(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    tokens = session_item(page, TOKENS_KEY)
    app_page.requests.clear()
    app_page.goto()
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    assert session_item(page, TOKENS_KEY)["access_token"] == tokens["access_token"]
    assert not [u for u in app_page.requests if "/oauth2/token" in u]  # no new exchange
    assert "Session found" in flow_log(page)
    assert "Sign-in started" in flow_log(page)  # the log survives the reload too


def test_tenant_host(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, {"tenant": "demo"})
    authorize: list[str] = []
    page.on("request", lambda r: authorize.append(r.url) if "/oauth2/authorize" in r.url else None)
    sign_in(app_page)
    emu_port = urlsplit(served.emulator_url).port
    assert urlsplit(authorize[0]).netloc == f"demo.localhost:{emu_port}"
    expect(page.locator("#profile")).to_contain_text("Alice Meier")


def test_settings_panel_builds_the_scope_string(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    page.locator("#settings summary").click()
    output = page.locator("#scope-string")
    expect(output).to_have_text("profile schedule source:w alert:w offline_access")
    page.get_by_label("source (alert sources)").select_option("read")
    page.get_by_label("team (teams)").select_option("delete")
    page.get_by_label("offline_access", exact=False).uncheck()
    expect(output).to_have_text("profile schedule source team:d alert:w")
    page.get_by_label("Client id").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-errors")).to_contain_text("client id is missing")
    page.get_by_label("Client id").fill("ilert-pkce-demo")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#status")).to_contain_text("Settings saved")
    saved = json.loads(page.evaluate("() => localStorage.getItem('ilert-pkce:settings')"))
    assert saved == {"scope": "profile schedule source team:d alert:w"}
    # Settings survive a reload; nothing secret is in localStorage.
    app_page.goto()
    expect(page.locator("#scope-string")).to_have_text("profile schedule source team:d alert:w")
    page.locator("#settings summary").click()
    page.get_by_role("button", name="Reset to defaults").click()
    expect(page.locator("#scope-string")).to_have_text(
        "profile schedule source:w alert:w offline_access"
    )


def test_limited_scope_is_shown_as_not_allowed(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, {"scope": "profile source"})
    sign_in(app_page)
    expect(page.locator("#sources")).to_contain_text("Checkout API")
    expect(page.locator("#sources button")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("not allowed by the granted scope")
    expect(page.locator("#alerts")).to_contain_text("Not allowed by the granted scope")
    expect(page.locator("#oncall")).to_contain_text("Not allowed by the granted scope")
    expect(page.locator("#notice")).to_be_hidden()
    # No offline_access: no refresh token, the session ends at expiry.
    expect(page.locator("#session-note")).to_contain_text("session ends when the access token")
    expect(page.get_by_role("button", name="Refresh now")).to_be_disabled()
    assert session_item(page, TOKENS_KEY)["refresh_token"] is None


def test_expiry_with_offline_access_refreshes(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    before = session_item(page, TOKENS_KEY)
    served.admin("clock", {"advance": 3601})
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect(page.locator("#status")).to_have_text("Your ilert data is up to date.")
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    after = session_item(page, TOKENS_KEY)
    assert after["refresh_token"] != before["refresh_token"]
    log = flow_log(page)
    assert "/users/current → 401" in log and "oauth2/token → 200" in log


def test_expiry_without_offline_access_ends(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, {"scope": "profile"})
    sign_in(app_page)
    served.admin("clock", {"advance": 3601})
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect_notice(page, "session_ended", "sign in again")
    expect(page.locator("#signed-in")).to_be_hidden()
    assert session_item(page, TOKENS_KEY) is None
    page.locator("#notice").get_by_role("button", name="Sign in again").click()
    page.wait_for_url(lambda url: "/oauth2/authorize" in url)


def test_markup_in_api_data_stays_text(app_page: AppPage, served: ServeProcess) -> None:
    data = json.loads(DEMO_DATA.read_text())
    evil = '<img src=x onerror="window.__pwned=1">'
    alice = next(u for u in data["users"] if u["username"] == "alice")
    alice["firstName"] = evil
    data["alertSources"][0]["name"] = evil + " source"
    data["alerts"][0]["summary"] = "<script>window.__pwned=2</script>"
    page = reset(app_page, served)
    served.admin("data", data, method="PUT")
    sign_in(app_page)
    expect(page.locator("#profile")).to_contain_text(evil)
    expect(page.locator("#sources")).to_contain_text(evil + " source")
    expect(page.locator("#alerts")).to_contain_text("<script>window.__pwned=2</script>")
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("() => window.__pwned") is None


def test_double_click_starts_one_flow(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    authorize: list[str] = []
    page.on("request", lambda r: authorize.append(r.url) if "/oauth2/authorize" in r.url else None)
    page.get_by_role("button", name="Sign in with ilert").dblclick()
    approve(page)
    app_page.wait_ready()
    wait_idle(page)
    assert len(authorize) == 1
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    assert flow_log(page).count("Sign-in started") == 1


def test_non_ascii_user(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page, user="juergen")
    expect(page.locator("#profile")).to_contain_text("Jürgen Groß")


def _expire_soon(app: AppPage, seconds: float) -> None:
    """Make this tab's token set expire ``seconds`` from now (the client's own clock), reload."""
    app.page.evaluate(
        """([key, seconds]) => {
            const t = JSON.parse(sessionStorage.getItem(key));
            t.expires_at = Date.now() / 1000 + seconds;
            t.obtained_at = Date.now() / 1000 - 3000;
            sessionStorage.setItem(key, JSON.stringify(t));
        }""",
        [TOKENS_KEY, seconds],
    )
    app.goto()
    wait_idle(app.page)


def test_auto_refresh_shortly_before_expiry(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    before = session_item(page, TOKENS_KEY)
    _expire_soon(app_page, 45)  # inside the 60 s margin: the next tick refreshes
    page.wait_for_function(
        "([key, old]) => JSON.parse(sessionStorage.getItem(key) || '{}').refresh_token !== old",
        arg=[TOKENS_KEY, before["refresh_token"]],
        timeout=15_000,
    )
    wait_idle(page)
    assert "refreshing automatically" in flow_log(page)
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^5\d:\d\d$"))


def test_session_without_refresh_token_ends_at_expiry(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served, {"scope": "profile"})
    sign_in(app_page)
    _expire_soon(app_page, 2)
    expect_notice(page, "session_ended", "expired")
    expect(page.locator("#signed-in")).to_be_hidden()
    assert session_item(page, TOKENS_KEY) is None
    expect(page.locator("#notice").get_by_role("button", name="Sign in again")).to_be_visible()


def test_keyboard_sign_in_and_flow_log_tools(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served, {"tenant": "demo"})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Sign in with ilert").focus()
    page.keyboard.press("Enter")
    approve(page)
    app_page.wait_ready()
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    emu_port = urlsplit(served.emulator_url).port
    assert hosts(app_page.requests) <= {
        urlsplit(served.app_url).netloc,
        urlsplit(served.emulator_url).netloc,
        f"demo.localhost:{emu_port}",
    }
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#status")).to_have_text("Flow log copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "Sign-in started" in copied and "[redacted]" in copied
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#flow-log li")).to_have_count(0)
    assert session_item(page, "ilert-pkce:log") is None


def test_bad_saved_client_id_is_dropped_with_its_reason(
    app_page: AppPage, served: ServeProcess
) -> None:
    # Stored settings are untrusted: validated on load like typed ones, the reason shown.
    page = reset(app_page, served, {"client_id": " "})
    page.evaluate("() => localStorage.setItem('ilert-pkce:settings', '{\"client_id\": \"x y\"}')")
    app_page.goto()
    wait_idle(page)
    note = page.locator("#page-notes [data-kind=settings_dropped]")
    expect(note).to_contain_text("client id must not contain spaces")
    expect(page.get_by_label("Client id")).not_to_have_value("x y")
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_enabled()


def test_clicks_beside_the_buttons_do_nothing(app_page: AppPage, served: ServeProcess) -> None:
    # DOM lookups that find nothing give JS null (Pyodide's jsnull), which must read as "none".
    page = reset(app_page, served)
    sign_in(app_page)
    page.locator("#sources th").first.click()
    page.locator("#alerts").click(position={"x": 2, "y": 2})
    wait_idle(page)
    expect(page.locator("#notice")).to_be_hidden()
    assert "Unexpected" not in flow_log(page)
    assert app_page.console_errors() == []
