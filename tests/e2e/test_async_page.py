"""The async page in Chromium: parallel panels, timeouts, cancel, single refresh, no code replay.

Each test drives the real app against the emulator; faults come from the emulator's test
controls (hangs, errors, lost answers) or from Playwright's routing (network failures).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, Route, expect

from app.boot.keys import ATTEMPT_KEY, TOKENS_KEY, TRANSPORT_KEY

from .app_flow import approve, expect_notice, reset, session_item, sign_in, wait_idle
from .conftest import AppPage, ServeProcess

PANELS = ("profile", "sources", "alerts", "oncall")
PANEL_PATHS = re.compile(r"/api/(users/current|alert-sources|alerts|on-calls)\b")


def set_net(page: Page, app: AppPage, net: dict) -> None:
    """Choose transport/timeout as Settings would (localStorage), then reload the app."""
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [TRANSPORT_KEY, json.dumps(net)])
    app.goto()
    wait_idle(page)


def token_posts(app: AppPage) -> list[str]:
    return [body for url, body in app.posts if url.endswith("/oauth2/token")]


@pytest.fixture
def app(app_page: AppPage) -> AppPage:
    """The module's page, also recording every POST body (to count codes and refreshes)."""
    app_page.posts = []

    def on_request(request: Request) -> None:
        if request.method == "POST":
            app_page.posts.append((request.url, request.post_data or ""))

    app_page.page.on("request", on_request)
    yield app_page
    app_page.page.remove_listener("request", on_request)


def expect_filled(page: Page, *panels: str) -> None:
    texts = {
        "profile": "Alice Meier",
        "sources": "Name",
        "alerts": "·",
        "oncall": "level",
    }
    for panel in panels:
        expect(page.locator(f"#{panel}")).to_contain_text(texts[panel])


def abort(route: Route) -> None:
    route.abort("internetdisconnected")


def reload_with_one_panel_failing(
    page: Page,
    served: ServeProcess,
    panel: str,
    path: str,
    handle: Callable[[Route], None] = abort,
    kind: str = "network",
    text: str = "Could not reach",
) -> None:
    """Reload data while ``handle`` answers for ``path`` (by default: no network).

    ``panel`` shows the error of that ``kind`` with ``text``; every other panel is filled.
    """
    failing = re.compile(re.escape(served.emulator_url) + path)
    page.route(failing, handle)
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect(page.locator(f"#{panel} [data-kind={kind}]")).to_contain_text(text)
    expect_filled(page, *(p for p in PANELS if p != panel))
    page.unroute(failing)


def test_panels_load_in_parallel(app: AppPage, served: ServeProcess) -> None:
    page = reset(app, served)
    sign_in(app)
    started: list[tuple[float, str]] = []
    finished: list[tuple[float, str]] = []
    page.on("request", lambda r: PANEL_PATHS.search(r.url) and started.append((time.time(), r.url)))
    page.on(
        "requestfinished",
        lambda r: PANEL_PATHS.search(r.url) and finished.append((time.time(), r.url)),
    )
    served.admin("faults", {"endpoint": "api", "hang": 0.6, "count": 4})
    t0 = time.time()
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    elapsed = time.time() - t0
    expect_filled(page, *PANELS)
    assert len(started) == 4
    # All four were on the wire before the first came back: loaded concurrently.
    assert max(t for t, _ in started) < min(t for t, _ in finished)
    assert elapsed < 4 * 0.6  # one after another would take at least 2.4 s


def test_one_panels_failure_leaves_the_others_filled(app: AppPage, served: ServeProcess) -> None:
    page = reset(app, served)
    sign_in(app)
    reload_with_one_panel_failing(page, served, "alerts", r"/api/alerts\b")
    expect_notice(page, "network")


def test_a_hanging_call_times_out_and_the_page_stays_usable(
    app: AppPage, served: ServeProcess
) -> None:
    page = reset(app, served)
    set_net(page, app, {"transport": "fetch", "timeout": 1.5})
    sign_in(app)
    served.admin("faults", {"endpoint": "api", "hang": 30, "count": 8})
    page.get_by_role("button", name="Reload data").click()
    expect(page.get_by_role("button", name="Reload data")).to_be_disabled()
    # While it hangs, another action runs and the page answers at once.
    page.locator("#settings summary").click()
    expect(page.locator("#settings")).to_have_attribute("open", "")
    t0 = time.time()
    assert page.evaluate("() => 1 + 1") == 2
    assert time.time() - t0 < 0.5
    wait_idle(page)
    expect(page.locator("#profile [data-kind=timeout]")).to_contain_text("1.5 seconds")
    expect_notice(page, "timeout", "no answer within 1.5 seconds")
    expect(page.get_by_role("button", name="Reload data")).to_be_enabled()
    served.admin("faults", method="DELETE")


def test_cancel_aborts_a_long_call(app: AppPage, served: ServeProcess) -> None:
    page = reset(app, served)
    sign_in(app)
    failed: list[str] = []
    page.on("requestfailed", lambda r: PANEL_PATHS.search(r.url) and failed.append(r.url))
    served.admin("faults", {"endpoint": "api", "hang": 30, "count": 8})
    page.get_by_role("button", name="Reload data").click()
    cancel = page.get_by_role("button", name="Cancel")
    expect(cancel).to_be_visible()
    cancel.click()
    wait_idle(page)
    expect(page.locator("#status")).to_contain_text("cancelled")
    expect(cancel).to_be_hidden()
    expect(page.get_by_role("button", name="Reload data")).to_be_enabled()
    assert failed, "the fetches were aborted"
    served.admin("faults", method="DELETE")


def test_concurrent_401s_cause_exactly_one_refresh(app: AppPage, served: ServeProcess) -> None:
    page = reset(app, served)
    sign_in(app)
    before = session_item(page, TOKENS_KEY)
    served.admin("clock", {"advance": 3601})  # every access token is now expired at ilert
    app.posts.clear()
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect_filled(page, *PANELS)
    refreshes = [b for b in token_posts(app) if "grant_type=refresh_token" in b]
    assert len(refreshes) == 1
    assert session_item(page, TOKENS_KEY)["access_token"] != before["access_token"]


def codes_sent(app: AppPage) -> list[str]:
    return [b for b in token_posts(app) if "grant_type=authorization_code" in b]


@pytest.mark.parametrize(
    "fault",
    [
        {"endpoint": "token", "status": 500},
        {"endpoint": "token", "after_work": True, "status": 502},
        {"endpoint": "token", "after_work": True, "drop": True},
    ],
    ids=["error-500", "lost-answer-502", "lost-answer-dropped"],
)
def test_a_code_is_never_sent_twice(app: AppPage, served: ServeProcess, fault: dict) -> None:
    page = reset(app, served)
    served.admin("faults", fault)
    sign_in(app)
    expect_notice(page, "exchange_unanswered", "not sent again")
    notice = page.locator("#notice")
    expect(notice.get_by_role("button", name="Try again")).to_have_count(0)
    expect(notice.get_by_role("button", name="Retry now")).to_have_count(0)
    expect(notice.get_by_role("button", name="Sign in again")).to_be_visible()
    wait_idle(page)  # the sign-in action is over: nothing of it can send the code again
    assert len(codes_sent(app)) == 1
    expect(page.locator("#signed-in")).to_be_hidden()


def test_a_failed_first_data_load_retries_the_data_not_the_code(
    app: AppPage, served: ServeProcess
) -> None:
    page = reset(app, served)
    served.admin("faults", {"endpoint": "api", "status": 503, "count": 4})
    sign_in(app)
    expect_notice(page, "server_error")
    page.locator("#notice").get_by_role("button", name="Retry now").click()
    wait_idle(page)
    expect_filled(page, *PANELS)
    assert len(codes_sent(app)) == 1


def test_an_exchange_that_never_left_can_be_retried(app: AppPage, served: ServeProcess) -> None:
    """Offline before the exchange is sent: the code provably never left, so Try again."""
    page = reset(app, served)
    context = page.context

    def offline_before_the_exchange(route) -> None:
        response = route.fetch()  # the page's second part, fetched while online
        context.set_offline(True)  # ... and the browser is offline when it signs in
        route.fulfill(response=response)

    page.get_by_role("button", name="Sign in with ilert").click()
    page.route("**/app_later.zip", offline_before_the_exchange)  # the page coming back
    try:
        approve(page)
        app.wait_ready()
        wait_idle(page)
        expect_notice(page, "network")
    finally:
        page.unroute("**/app_later.zip")
        context.set_offline(False)
    assert codes_sent(app) == []
    page.locator("#notice").get_by_role("button", name="Try again").click()
    wait_idle(page)
    expect_filled(page, "profile")
    assert len(codes_sent(app)) == 1


def test_an_exchange_that_failed_once_handed_to_the_network_is_not_sent_again(
    app: AppPage, served: ServeProcess
) -> None:
    """Offline only after the request was handed over: it may have reached the server (the
    old code asked navigator.onLine afterwards and offered to send the code again)."""
    page = reset(app, served)
    token = re.compile(re.escape(served.emulator_url) + r"/api/developers/oauth2/token$")
    context = page.context

    def offline_then_fail(route) -> None:
        context.set_offline(True)
        route.abort("internetdisconnected")

    page.route(token, offline_then_fail)
    try:
        sign_in(app)
        expect_notice(page, "exchange_unanswered", "not sent again")
    finally:
        page.unroute(token)
        context.set_offline(False)
    expect(page.locator("#notice").get_by_role("button", name="Try again")).to_have_count(0)


def test_invalid_client_on_refresh_signs_out_with_a_way_forward(
    app: AppPage, served: ServeProcess
) -> None:
    page = reset(app, served)
    sign_in(app)
    served.admin(
        "faults",
        {
            "endpoint": "token",
            "status": 401,
            "body": '{"code":"invalid_client","error":"Unknown client"}',
            "content_type": "application/json",
        },
    )
    page.get_by_role("button", name="Refresh now").click()
    wait_idle(page)
    expect_notice(page, "invalid_client", "settings")
    notice = page.locator("#notice")
    expect(notice.get_by_role("button", name="Sign in again")).to_be_visible()
    expect(notice.get_by_role("button", name="Open settings")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    assert session_item(page, TOKENS_KEY) is None


def test_source_toggle_reads_the_current_object_first(app: AppPage, served: ServeProcess) -> None:
    page = reset(app, served)
    sign_in(app)
    row = page.locator("#sources tr[data-id]").first
    source_id = row.get_attribute("data-id")
    token = session_item(page, TOKENS_KEY)["access_token"]
    url = f"{served.emulator_url}/api/alert-sources/{source_id}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as resp:
        current = json.load(resp)
    renamed = {**current, "name": "Renamed meanwhile"}
    request = urllib.request.Request(
        url, json.dumps(renamed).encode(), headers=headers, method="PUT"
    )
    urllib.request.urlopen(request).close()
    row.get_by_role("button").click()
    wait_idle(page)
    expect(page.locator("#status")).to_contain_text("changed in ilert meanwhile (name)")
    expect(page.locator(f"#sources tr[data-id='{source_id}']")).to_contain_text("Renamed meanwhile")


def test_a_sign_in_older_than_ten_minutes_is_discarded(app: AppPage, served: ServeProcess) -> None:
    page = reset(app, served)
    attempt = {
        "verifier": "v" * 64,
        "state": "S" * 32,
        "redirect_uri": app.url,
        "created": time.time() - 601,
    }
    page.evaluate("([k, v]) => sessionStorage.setItem(k, v)", [ATTEMPT_KEY, json.dumps(attempt)])
    app.posts.clear()
    app.goto(f"{app.url}?code=abc&state={'S' * 32}")
    wait_idle(page)
    expect_notice(page, "attempt_expired", "took too long")
    assert session_item(page, ATTEMPT_KEY) is None
    assert not codes_sent(app)


def test_pyodide_http_is_opt_in_and_still_works(app: AppPage, served: ServeProcess) -> None:
    page = reset(app, served)
    wheel = [u for u in app.requests if u.endswith(".whl")]
    assert not wheel, "the default transport loads no pyodide-http"
    set_net(page, app, {"transport": "xhr", "timeout": 15})
    expect(page.locator("#set-transport")).to_have_value("xhr")
    sign_in(app)
    expect_filled(page, *PANELS)
    assert any(u.endswith("pyodide_http-0.2.2-py3-none-any.whl") for u in app.requests)
    # A failed synchronous XHR is a network error in its panel, like a failed fetch.
    reload_with_one_panel_failing(page, served, "profile", r"/api/users/current")
    page.evaluate("k => localStorage.removeItem(k)", TRANSPORT_KEY)


@pytest.mark.parametrize("how", ["refused", "unreachable"])
def test_sign_out_tells_a_refused_revoke_from_an_unreachable_server(
    app: AppPage, served: ServeProcess, how: str
) -> None:
    page = reset(app, served)
    sign_in(app)
    revoke = re.compile(re.escape(served.emulator_url) + r"/api/developers/oauth2/revoke$")
    if how == "refused":
        served.admin(
            "faults",
            {
                "endpoint": "revoke",
                "status": 400,
                "body": '{"error":"invalid_request","error_description":"client_id missing"}',
                "content_type": "application/json",
            },
        )
    else:
        page.route(revoke, lambda route: route.abort("connectionrefused"))
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    status = page.locator("#status")
    if how == "refused":
        expect(status).to_contain_text("ilert refused to revoke")  # the server in use
        expect(status).to_contain_text("client_id missing")
    else:
        expect(status).to_contain_text("could not be reached")
        page.unroute(revoke)
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_visible()
    assert session_item(page, TOKENS_KEY) is None
    revokes = [b for url, b in app.posts if url.endswith("/revoke")]
    assert "token_type_hint=refresh_token" in revokes[-1] and "client_id=" in revokes[-1]


def test_a_cors_refusal_is_told_apart_from_a_network_failure(
    app: AppPage, served: ServeProcess, static_served: ServeProcess
) -> None:
    page = reset(app, served)
    sign_in(app)
    # A real server answers, but one that does not allow this page (no CORS headers).
    elsewhere = static_served.app_url + "config.json"
    reload_with_one_panel_failing(
        page,
        served,
        "profile",
        r"/api/users/current",
        lambda route: route.continue_(url=elsewhere),
        kind="cors",
        text="(CORS)",
    )
