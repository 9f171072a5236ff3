"""Teaching mode end to end: a pause with Continue before every step, the viewer's PKCE check
recomputed here from what the page shows, and secrets shown only there, only once spent."""

from __future__ import annotations

import base64
import hashlib
import re

from playwright.sync_api import Page, expect

from app.boot.keys import TEACHING_KEY, TOKENS_KEY

from .app_flow import approve, flow_log, reset, wait_idle
from .conftest import AppPage, ServeProcess
from .secrets_seen import everything_visible, unwatch, watch

PANEL = "#teach"


def value(page: Page, key: str) -> str:
    return page.locator(f'{PANEL} .teach-row[data-key="{key}"] .teach-value').inner_text()


def wait_pause(page: Page, phase: str) -> None:
    expect(page.locator(f'{PANEL}[data-phase="{phase}"]')).to_be_visible(timeout=60_000)
    expect(page.locator(PANEL)).to_be_focused()


def go_on(page: Page) -> None:
    phase = page.locator(PANEL).get_attribute("data-phase")
    page.locator(PANEL).get_by_role("button", name="Continue").click()
    expect(page.locator(f'{PANEL}[data-phase="{phase}"]')).to_have_count(0)


def turn_on(page: Page) -> None:
    page.locator("#settings summary").click()
    box = page.get_by_role("checkbox", name=re.compile("Teaching mode"))
    expect(box).not_to_be_checked()  # off by default
    box.check()
    page.locator("#settings summary").click()


def test_teaching_mode_pauses_at_each_step(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    seen = watch(page)
    try:
        turn_on(page)
        assert page.evaluate("k => localStorage.getItem(k)", TEACHING_KEY) == "on"

        # 1. Before the redirect: the authorize request, one parameter per row, explained.
        page.get_by_role("button", name="Sign in with ilert").click()
        wait_pause(page, "authorize")
        for key in ("client_id", "response_type", "redirect_uri", "scope", "code_challenge"):
            assert value(page, key)
            expect(page.locator(f'{PANEL} [data-key="{key}"] .teach-note')).not_to_be_empty()
        assert value(page, "response_type") == "code"
        assert value(page, "code_challenge_method") == "S256"
        assert value(page, "state") == "(hidden until it comes back)"
        challenge = value(page, "code_challenge")
        assert page.url.startswith(served.app_url)  # still here: the page waits for Continue
        go_on(page)

        # 2. Back from ilert: the states compared (spent now), the code still hidden.
        approve(page)
        app_page.wait_ready()
        wait_pause(page, "callback")
        received, stored = value(page, "state"), value(page, "stored_state")
        assert received == stored and received in seen.all()["state"]
        assert value(page, "state_match") == "yes"
        assert value(page, "code") == "(hidden until it has been exchanged)"
        expect(page.locator(f"{PANEL} .teach-section[data-check=yes]")).to_be_visible()
        # Not blocking: the rest of the page answers while the lesson waits.
        page.locator("#settings summary").click()
        expect(page.locator("#set-client_id")).to_be_visible()
        page.locator("#settings summary").click()
        go_on(page)

        # 3. After the exchange: code and verifier spent; the viewer's PKCE check.
        wait_pause(page, "exchange")
        secrets = seen.all()
        verifier, code = value(page, "code_verifier"), value(page, "code")
        assert verifier in secrets["verifier"] and code in secrets["code"]
        assert value(page, "code_challenge") == challenge == seen.challenges[-1]
        recomputed = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
            .rstrip(b"=")
            .decode()
        )
        assert recomputed == challenge  # the viewer's check, done here
        assert value(page, "sha256_b64url") == recomputed
        assert value(page, "sha256_hex") == hashlib.sha256(verifier.encode()).hexdigest()
        assert value(page, "pkce_match") == "yes"
        assert value(page, "refresh_token") == "(received; never shown)"
        assert value(page, "access_token").startswith("(hidden")
        assert value(page, "claim:il_u") == "alice"
        panel_text = page.locator(PANEL).inner_text()
        assert not any(t in panel_text for t in secrets["token"])  # never a token
        # Shown, but never logged or stored.
        for secret in (verifier, code, received):
            assert secret not in flow_log(page)
            assert secret not in page.evaluate(
                "() => JSON.stringify([Object.entries(sessionStorage),"
                " Object.entries(localStorage)])"
            )
        go_on(page)
        assert verifier not in everything_visible(page, skip_key=TOKENS_KEY)  # gone with it

        # 4. Before the API calls, refresh, token info and revoke: a short lesson each.
        wait_pause(page, "api")
        go_on(page)
        wait_idle(page)
        expect(page.locator("#profile")).to_contain_text("Alice Meier")
        alert = page.locator("#alerts li", has_text="Checkout latency")
        alert.get_by_role("button", name="Accept").click()
        wait_pause(page, "api")  # before an action's API call too
        go_on(page)
        wait_idle(page)
        expect(page.locator("#alerts li", has_text="Checkout latency")).to_contain_text("ACCEPTED")
        page.get_by_role("button", name="Refresh now").click()
        wait_pause(page, "refresh")
        expect(page.locator(PANEL)).to_contain_text("never shown")
        go_on(page)
        wait_idle(page)
        expect(page.locator("#status")).to_have_text("Access token refreshed.")
        page.get_by_role("button", name="Token info").click()
        wait_pause(page, "token_info")
        go_on(page)
        wait_idle(page)
        expect(page.locator("#token-info-out")).to_contain_text("alice")
        page.get_by_role("button", name="Sign out").click()
        wait_pause(page, "revoke")
        go_on(page)
        wait_idle(page)
        expect(page.locator("#status")).to_contain_text("refresh token was revoked")

        # Nothing secret was ever logged, stored or written to the console.
        secrets = seen.all()
        console = "\n".join(m.text for m in app_page.console)
        storage = page.evaluate(
            "() => JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])"
        )
        for values in secrets.values():
            for secret in values:
                assert secret not in flow_log(page)
                assert secret not in console
                assert secret not in storage
                assert secret not in everything_visible(page, skip_key=TOKENS_KEY)
        assert app_page.console_errors() == []
    finally:
        unwatch(page, seen)
        page.evaluate("k => localStorage.removeItem(k)", TEACHING_KEY)
