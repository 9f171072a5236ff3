"""The whole flow under the page's Content-Security-Policy, with zero violations.

The policy is in index.html's <meta> (scripts/csp.py) and, with frame-ancestors, in serve.py's
header; both are computed for the config served (the emulator on a free port here). Every
`securitypolicyviolation` event of every document the tab shows is reported to the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .app_flow import approve, reset, sign_in, use_the_session, wait_idle
from .conftest import AppPage, ServeProcess, open_app_page

REPORT_VIOLATIONS = """
window.__cspReports = [];  // one promise per report: settled once the test has it
addEventListener("securitypolicyviolation", (e) => window.__cspReports.push(
  window.__cspViolation({
    page: document.URL, directive: e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  })));
"""
BLOCKED = "http://127.0.0.2:9/"  # not allowed by connect-src: each policy reports it


def own_errors(app_page: AppPage) -> list[str]:
    """The console's errors but those of the blocked request ``reported`` makes."""
    host = BLOCKED.split("//")[1].rstrip("/")
    return [e for e in app_page.console_errors() if host not in e]


def reported(page: Page, violations: list[dict]) -> list[dict]:
    """Every violation of ``page`` so far, once reported (events are delivered late): a
    request the policies block is reported after them, so once the test has that one
    (from the <meta> policy and the header's), it has the earlier ones too."""
    page.evaluate(
        """async (url) => {
             let seen = 0;
             const both = new Promise((done) => addEventListener("securitypolicyviolation",
               (e) => { if (e.blockedURI === url && ++seen === 2) { done(); } }));
             await fetch(url).catch(() => null);
             await both;
             await Promise.all(window.__cspReports);
           }""",
        BLOCKED,
    )
    return [v for v in violations if v["blocked"] != BLOCKED]


@pytest.fixture(scope="module")
def csp_page(browser: Browser, served: ServeProcess) -> Iterator[tuple[AppPage, list[dict]]]:
    context = browser.new_context()
    violations: list[dict] = []
    context.expose_function("__cspViolation", lambda v: violations.append(v))
    context.add_init_script(REPORT_VIOLATIONS)
    app_page, _ = open_app_page(browser, served.app_url, context)
    yield app_page, violations
    context.close()


def test_whole_flow_without_a_violation(csp_page, served: ServeProcess) -> None:
    app_page, violations = csp_page
    page = reset(app_page, served)
    # The policy is really there, in the page and in the header.
    meta = page.locator('meta[http-equiv="Content-Security-Policy"]')
    assert "connect-src 'self'" in meta.get_attribute("content")
    header = page.request.get(served.app_url).headers["content-security-policy"]
    assert "frame-ancestors 'none'" in header and "'unsafe-inline'" not in header

    sign_in(app_page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    expect(page.locator("#sources")).to_contain_text("Checkout API")
    use_the_session(page)
    app_page.goto()  # a reload keeps the session
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    expect(page.locator("#status")).to_contain_text("refresh token was revoked")
    assert reported(page, violations) == []
    assert own_errors(app_page) == []


def test_tenant_sign_in_without_a_violation(csp_page, served: ServeProcess) -> None:
    app_page, violations = csp_page
    reset(app_page, served, {"tenant": "demo"})
    sign_in(app_page)
    expect(app_page.page.locator("#profile")).to_contain_text("Alice Meier")
    assert reported(app_page.page, violations) == []


def test_policy_is_enforced(csp_page, served: ServeProcess) -> None:
    """The listener sees a violation when there is one (so the tests above can fail)."""
    app_page, violations = csp_page
    page = reset(app_page, served)
    violations.clear()
    blocked = page.evaluate("(url) => fetch(url).then(() => 'sent', () => 'blocked')", BLOCKED)
    assert blocked == "blocked"
    assert reported(page, violations) == []  # none but the blocked requests
    # One event per policy that blocks it: the <meta> one and the header one, each time.
    assert len(violations) == 4
    assert {(v["directive"], v["blocked"]) for v in violations} == {("connect-src", BLOCKED)}


def test_popup_sign_in_without_a_violation(csp_page, served: ServeProcess) -> None:
    """The popup's documents (ilert's pages, the page handing the answer back) report too."""
    app_page, violations = csp_page
    page = reset(app_page, served, mode="popup")
    violations.clear()
    with page.expect_popup() as info:
        page.get_by_role("button", name="Sign in with ilert").click()
    approve(info.value)
    info.value.wait_for_event("close", timeout=15_000)
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    assert reported(page, violations) == []
    assert own_errors(app_page) == []
