"""Every error a user can meet, in the page: a plain message, a way forward, nothing stale."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import Route, expect

from app.boot.keys import TOKENS_KEY

from .app_flow import (
    approve,
    expect_notice,
    flow_log,
    reset,
    session_item,
    sign_in,
    storage_dump,
    wait_idle,
)
from .conftest import AppPage, ServeProcess

CONSENT = re.compile(r"/oauth2/consent")


def callback_re(served: ServeProcess) -> re.Pattern[str]:
    return re.compile(re.escape(served.app_url) + r"\?.*\bcode=")


def on_approve(page, handle) -> None:
    """Intercept Approve (a POST answered by a 302 to the app; Playwright does not route the
    redirected request itself): ``handle(route, response, location)`` decides what happens."""

    def handler(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        handle(route, response, response.headers.get("location", ""))

    page.route(CONSENT, handler)


def assert_clean_url(app: AppPage) -> None:
    url = app.page.url
    assert "code=" not in url and "state=" not in url and "error" not in url


def test_consent_denied(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page, decision="Deny")
    expect_notice(page, "consent_denied", "declined access")
    assert_clean_url(app_page)
    expect(page.locator("#notice").get_by_role("button", name="Sign in again")).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    assert session_item(page, "ilert-pkce:attempt") is None


def test_error_description_with_markup_is_text(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    # An answer to our own sign-in (its real state): only then is the server's text shown.
    page.get_by_role("button", name="Sign in with ilert").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    state = quote(parse_qs(urlsplit(page.url).query)["state"][0])
    evil = '<img src=x onerror="window.__pwned=1">broken'
    app_page.goto(
        f"{served.app_url}?error=invalid_scope&error_description={quote(evil)}"
        f"&state={state}&title=t"
    )
    wait_idle(page)
    expect_notice(page, "authorization_error", evil)
    assert page.locator("#notice img, main img").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert_clean_url(app_page)
    expect(page.locator("#notice").get_by_role("button", name="Open settings")).to_be_visible()


def test_state_missing(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    app_page.goto(f"{served.app_url}?code=abc")
    wait_idle(page)
    expect_notice(page, "state_missing", "no state")
    assert_clean_url(app_page)


def test_state_wrong(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    page.get_by_role("button", name="Sign in with ilert").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    authorize_url = page.url
    token_calls: list[str] = []
    page.on("request", lambda r: token_calls.append(r.url) if "/oauth2/token" in r.url else None)
    app_page.goto(f"{served.app_url}?code=forged&state=not-the-one-we-sent")
    wait_idle(page)
    expect_notice(page, "state_mismatch", "state mismatch")
    assert token_calls == []  # the forged code was never sent anywhere
    assert_clean_url(app_page)
    # Like a forged error link, it consumed nothing: the sign-in under way still finishes.
    assert session_item(page, "ilert-pkce:attempt") is not None
    page.goto(authorize_url)
    approve(page)
    app_page.wait_ready()
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice")
    assert len(token_calls) == 1


def test_callback_in_another_tab(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    held: list[str] = []

    def hold(route: Route, response, location: str) -> None:
        held.append(location)
        route.fulfill(status=200, content_type="text/plain", body="held")

    on_approve(page, hold)
    page.get_by_role("button", name="Sign in with ilert").click()
    approve(page)
    page.get_by_text("held").wait_for()
    assert "code=" in held[0], "the callback was not captured"
    other = page.context.new_page()
    try:
        other.goto(held[0])
        other.wait_for_selector("html[data-app-ready]:not([data-busy])", state="attached")
        expect_notice(other, "missing_verifier", "another tab")
        assert "code=" not in other.url
    finally:
        other.close()


def test_code_reused_via_back_button(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    seen: list[str] = []
    pattern = callback_re(served)
    page.on("request", lambda r: seen.append(r.url) if pattern.match(r.url) else None)
    sign_in(app_page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    app_page.goto(seen[-1])  # the old redirect again
    wait_idle(page)
    expect_notice(page, "callback_replayed", "already used")
    expect(page.locator("#profile")).to_contain_text("Alice Meier")  # still signed in
    assert_clean_url(app_page)


def test_code_expired(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)

    def late(route: Route, response, location: str) -> None:
        served.admin("clock", {"advance": 130})  # codes live two minutes
        route.fulfill(response=response)

    on_approve(page, late)
    sign_in(app_page)
    expect_notice(page, "code_invalid", "expired or was already used")
    expect(page.locator("#signed-in")).to_be_hidden()
    assert "→ 401" in flow_log(page)


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_refresh_token_dead(app_page: AppPage, served: ServeProcess, how: str) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    tokens = session_item(page, TOKENS_KEY)
    if how == "revoked":
        served.admin("revoke-grants", {"username": "alice"})
    else:
        served.admin("clock", {"advance": 366 * 24 * 3600})
    page.get_by_role("button", name="Refresh now").click()
    wait_idle(page)
    expect_notice(page, "refresh_invalid", "sign in again")
    expect(page.locator("#signed-in")).to_be_hidden()
    expect(page.locator("#token-card")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_visible()
    dump = storage_dump(page)
    assert tokens["refresh_token"] not in dump and tokens["access_token"] not in dump


def test_network_down_then_retry(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    api = re.compile(re.escape(served.emulator_url) + r"/api/(users|alert|on-calls)")
    page.route(api, lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect_notice(page, "network", "Could not reach ilert")
    page.unroute(api)
    page.locator("#notice").get_by_role("button", name="Try again").click()
    wait_idle(page)
    expect(page.locator("#notice")).to_be_hidden()
    expect(page.locator("#status")).to_have_text("Your ilert data is up to date.")


@pytest.mark.parametrize(
    ("fault", "kind", "text"),
    [
        ({"endpoint": "api", "status": 429}, "rate_limited", "too many requests"),
        ({"endpoint": "api", "status": 503}, "server_error", "HTTP 503"),
        (
            {
                "endpoint": "api",
                "status": 502,
                "body": "<html><h1>Bad gateway</h1></html>",
                "content_type": "text/html",
            },
            "server_error",
            "HTTP 502",
        ),
    ],
)
def test_rate_limit_and_server_errors(
    app_page: AppPage, served: ServeProcess, fault: dict, kind: str, text: str
) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    served.admin("faults", fault)
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect_notice(page, kind, text)
    assert re.search(r"Will retry in (1\d|2\d|30) s", flow_log(page))
    page.locator("#notice").get_by_role("button", name="Retry now").click()
    wait_idle(page)
    expect(page.locator("#notice")).to_be_hidden()
    expect(page.locator("#profile")).to_contain_text("Alice Meier")


def test_non_json_error_page(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    served.admin(
        "faults",
        {
            "endpoint": "api",
            "status": 404,
            "body": "<html><h1>Not here</h1></html>",
            "content_type": "text/html",
        },
    )
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect_notice(page, "non_json", "error page instead of data")
    assert page.locator("#notice h1").count() == 0


def test_token_endpoint_failure_during_sign_in_is_not_retried(
    app_page: AppPage, served: ServeProcess
) -> None:
    """A 500 is an answer: the code may be spent, so the page offers a new sign-in instead."""
    page = reset(app_page, served)
    served.admin("faults", {"endpoint": "token", "status": 500})
    sign_in(app_page)
    expect_notice(page, "exchange_unanswered", "HTTP 500")
    page.locator("#notice").get_by_role("button", name="Sign in again").click()
    page.get_by_role("button", name="Approve").click()  # still logged in at the emulator
    app_page.wait_ready()
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, '{"code": "invalid_request", "error": "Malformed request"}', "oauth_error"),
        (400, '{"code": "invalid_scope", "error": "Scope not allowed"}', "invalid_scope"),
        (200, '{"access_token": "x", "token_type": "Bearer", "expires_in": 1e400}', None),
    ],
    ids=["invalid_request", "invalid_scope", "expires_in-infinity"],
)
def test_a_refresh_refused_for_good_signs_out_and_sign_in_again_works(
    app_page: AppPage, served: ServeProcess, status: int, body: str, kind: str | None
) -> None:
    """It stayed signed in with a "Sign in again" that did nothing (and 1e400 broke the
    token card on every reload)."""
    page = reset(app_page, served)
    sign_in(app_page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    fault = {"endpoint": "token", "status": status, "body": body}
    served.admin("faults", {**fault, "content_type": "application/json"})
    page.get_by_role("button", name="Refresh now").click()
    wait_idle(page)
    expect_notice(page, kind or "invalid_token_response")
    expect(page.locator("#signed-in")).to_be_hidden()
    assert session_item(page, TOKENS_KEY) is None  # forgotten: a reload resumes nothing
    page.locator("#notice").get_by_role("button", name="Sign in again").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))  # the offered way forward works
