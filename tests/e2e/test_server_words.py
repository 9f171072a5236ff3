"""Issue 20 in Chromium: messages worded after the server in use, the refused-answer notice
that is over with the next action, "Fill from issuer" capped and undone when it fails, and
a request the page's own CSP blocked said as such."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

from app.boot.keys import ATTEMPT_KEY, TRANSPORT_KEY

from .app_flow import approve, expect_notice, flow_log, reset, sign_in, wait_idle
from .conftest import AppPage, ServeProcess


def custom_emulator(served: ServeProcess) -> dict:
    """The emulator configured as a custom server (no API base: no ilert panels)."""
    base = served.emulator_url
    return {
        "server": "custom",
        "authorize_url": f"{base}/api/developers/oauth2/authorize",
        "token_url": f"{base}/api/developers/oauth2/token",
        "revoke_url": f"{base}/api/developers/oauth2/revoke",
        "info_url": "",
        "api_base": "",
        "scope": "profile offline_access",
    }


def test_a_custom_server_gets_its_own_name_not_ilerts(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served, custom_emulator(served))
    name = urlsplit(served.emulator_url).netloc  # no issuer configured: the sign-in host
    sign_in(app_page)
    expect(page.locator("#token-card")).to_be_visible()
    expect(page.locator("#status")).to_have_text(f"Your data from {name} is up to date.")
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    expect(page.locator("#status")).to_contain_text(f"refresh token was revoked at {name}")
    log = flow_log(page)
    assert f"going to {name}" in log and f"Back from {name} with a code" in log
    assert "ilert" not in page.locator("#status").inner_text()
    assert "going to ilert" not in log and "Back from ilert" not in log


def test_a_refused_answer_in_a_signed_in_tab_is_over_with_the_next_action(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    # A sign-in answer of this tab (its state), naming another issuer.
    state = "s" * 32
    attempt = {"verifier": "v" * 43, "state": state, "redirect_uri": app_page.url}
    attempt["created"] = time.time()
    page.evaluate("([k, v]) => sessionStorage.setItem(k, v)", [ATTEMPT_KEY, json.dumps(attempt)])
    app_page.goto(f"{app_page.url}?code=abc&state={state}&iss={quote('https://evil.example')}")
    wait_idle(page)
    expect(page.locator("#token-card")).to_be_visible()  # the session goes on
    # Worded after this server (the emulator: ilert's layout, its sign-in host's origin).
    expect_notice(page, "issuer_mismatch", f"not from ilert ({served.emulator_url})")
    expect(page.locator("#notice").get_by_role("button", name="Sign in again")).to_have_count(0)
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect(page.locator("#notice")).to_be_hidden()
    expect(page.locator("#status")).to_have_text("Your ilert data is up to date.")


def metadata(issuer: str) -> dict:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "introspection_endpoint": f"{issuer}/introspect",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    }


def test_fill_from_issuer_is_capped_and_a_failed_fill_is_undone(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served, custom_emulator(served))
    base = served.emulator_url
    good, huge = f"{base}/good", f"{base}/huge"
    page.route(
        f"{base}/.well-known/oauth-authorization-server/good",
        lambda route: route.fulfill(json=metadata(good)),
    )
    big = json.dumps({**metadata(huge), "padding": "x" * (300 * 1024)})
    for url in (
        f"{base}/.well-known/oauth-authorization-server/huge",
        f"{huge}/.well-known/openid-configuration",
    ):
        page.route(url, lambda route: route.fulfill(body=big, content_type="application/json"))
    page.locator("#settings summary").click()
    token = page.get_by_label("Token endpoint", exact=True)
    typed = f"{base}/api/developers/oauth2/token"
    expect(token).to_have_value(typed)
    issuer = page.get_by_label(re.compile("^Issuer"))
    issuer.fill(good)
    page.get_by_role("button", name="Fill from issuer").click()
    wait_idle(page)
    expect(token).to_have_value(f"{good}/token")

    issuer.fill(huge)
    page.get_by_role("button", name="Fill from issuer").click()
    wait_idle(page)
    problems = page.locator("#settings-errors")
    expect(problems).to_contain_text("larger than 256 kB")
    # Not the previous issuer's endpoints next to this issuer: what was there before.
    expect(token).to_have_value(typed)
    expect(page.get_by_label(re.compile("^Token info or introspection"))).to_have_value("")
    expect(issuer).to_have_value(huge)


@pytest.mark.parametrize("transport", ["fetch", "xhr"])
def test_a_token_request_the_pages_csp_blocks_is_said_as_such(
    app_page: AppPage, served: ServeProcess, transport: str
) -> None:
    # The same emulator under another name the page's connect-src does not list.
    port = urlsplit(served.emulator_url).port
    other = f"http://127.0.0.1:{port}"
    page = reset(app_page, served, {"api_base": f"{other}/api"})
    if transport != "fetch":  # the opt-in comparison transport (a synchronous XHR)
        net = json.dumps({"transport": transport, "timeout": 15})
        page.evaluate("([k, v]) => localStorage.setItem(k, v)", [TRANSPORT_KEY, net])
        app_page.goto()
        wait_idle(page)
    page.get_by_role("button", name="Sign in with ilert").click()
    # A host config.json does not name: the page asks first.
    page.get_by_role("button", name="Continue to sign in").click()
    approve(page)
    app_page.wait_ready()
    wait_idle(page)
    expect_notice(page, "csp", other)
    notice = page.locator("#notice")
    expect(notice).to_contain_text("security policy")
    expect(notice).to_contain_text("allowed_origins")
    expect(notice).not_to_contain_text("could not be reached")
