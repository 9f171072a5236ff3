"""The live sequence diagram in the page: lazy loading, arrows in order, opening an arrow
(mouse and keyboard), the SVG export, reloads, a phone's width, and no secret anywhere."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from playwright.sync_api import Page, expect

from app.boot.keys import TOKENS_KEY

from .app_flow import flow_log, reset, settled, sign_in, use_the_session, wait_idle
from .conftest import AppPage, ServeProcess
from .secrets_seen import everything_visible, unwatch, watch

ARROWS = "#flow-diagram g.fd-step"
SVG_NS = "{http://www.w3.org/2000/svg}"


def show_log(page: Page) -> None:
    page.locator("#log-card").scroll_into_view_if_needed()
    expect(page.locator("#flow-diagram svg")).to_be_visible()


def phases(page: Page) -> list[str]:
    """The phase of each arrow, top to bottom, once the drawing has caught up with the log."""
    settled(page)  # the diagram re-renders in the next animation frame
    classes = page.locator(ARROWS).evaluate_all("gs => gs.map(g => g.getAttribute('class'))")
    return [
        re.search(r"fd-(authorize|callback|exchange|api|refresh|token_info|revoke)", c)[1]
        for c in classes
    ]


def test_diagram_code_loads_only_when_needed(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    # Start-up: the log card is in view but empty, so nothing of the diagram is loaded.
    expect(page.locator("#log-card")).to_be_in_viewport()
    settled(page)  # the card's visibility was observed, and anything queued for it ran
    assert page.locator("#flow-diagram").count() == 0
    assert page.locator("#diagram-css").count() == 0
    page.set_viewport_size({"width": 1280, "height": 260})  # the log card below the fold
    try:
        sign_in(app_page)  # the page after the redirect has a log, but the card is not seen
        settled(page)
        assert page.locator("#flow-diagram").count() == 0
        assert not [u for u in app_page.requests if "diagram.css" in u]
        show_log(page)
        assert [u for u in app_page.requests if u.endswith("static/diagram.css")]
        expect(page.locator(ARROWS)).to_have_count(7)
    finally:
        page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#flow-diagram .fd-empty")).to_contain_text("No steps yet")


def test_arrows_appear_in_order_and_survive_a_reload(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    show_log(page)
    sign_in_steps = ["authorize", "callback", "exchange", "api", "api", "api", "api"]
    expect(page.locator(ARROWS)).to_have_count(len(sign_in_steps))
    assert phases(page) == sign_in_steps
    first = page.locator(ARROWS).first
    assert first.get_attribute("role") == "button" and first.get_attribute("tabindex") == "0"
    assert first.get_attribute("aria-label").startswith("Step 1 of 7: Redirect to sign in")
    expect(page.locator(ARROWS).nth(2)).to_contain_text("ok · 200")

    use_the_session(page)
    after = sign_in_steps + ["api"] * 4 + ["refresh", "token_info"]
    expect(page.locator(ARROWS)).to_have_count(len(after))
    assert phases(page) == after

    # A reload draws the same diagram from the stored (redacted) log, and goes on: the
    # resumed session loads the data again.
    app_page.goto()
    wait_idle(page)
    show_log(page)
    after += ["api"] * 4
    expect(page.locator(ARROWS)).to_have_count(len(after))
    assert phases(page) == after

    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    expect(page.locator(ARROWS)).to_have_count(len(after) + 1)
    assert phases(page)[-1] == "revoke"
    expect(page.locator(ARROWS).last).to_contain_text("ok · 200")
    # A screen reader hears each new arrow.
    expect(page.locator("#flow-diagram .fd-live")).to_contain_text("Revoke")


def test_an_arrow_opens_its_exchange_by_click_and_keyboard(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    show_log(page)
    detail = page.locator("#flow-diagram-detail")
    expect(detail).to_be_hidden()

    page.locator(f"{ARROWS}.fd-exchange").click()
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("POST")
    expect(detail).to_contain_text('"grant_type": "authorization_code"')
    expect(detail).to_contain_text('"code_verifier": "[redacted]"')
    expect(page.locator(f"{ARROWS}.fd-exchange")).to_have_class(re.compile("fd-current"))
    index = int(page.locator(f"{ARROWS}.fd-exchange").get_attribute("data-entry"))
    expect(page.locator("#flow-log li").nth(index)).to_have_class(re.compile("fd-current"))

    # Keyboard: Tab to the first arrow, arrow keys move, Enter and Space open.
    page.locator(ARROWS).first.focus()
    page.keyboard.press("Enter")
    expect(detail).to_contain_text("Sign-in started")
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"{ARROWS}.fd-callback")).to_be_focused()
    page.keyboard.press("Space")
    expect(detail).to_contain_text("Back from ilert with a code")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(detail).to_contain_text("GET")
    expect(page.locator(ARROWS).last).to_be_focused()
    page.keyboard.press("Home")
    expect(page.locator(ARROWS).first).to_be_focused()


def test_export_is_a_valid_svg_file(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    show_log(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export SVG").click()
    assert download.value.suggested_filename == "ilert-oauth-flow.svg"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{SVG_NS}svg"
    assert float(root.get("width")) > 0 and float(root.get("height")) > 0
    assert root.find(f"{SVG_NS}title").text == "Sequence diagram of the sign-in flow"
    arrows = [g for g in root.iter(f"{SVG_NS}g") if "fd-step" in (g.get("class") or "")]
    assert len(arrows) == page.locator(ARROWS).count() == 7
    assert "code=" not in text and "state=" not in text  # paths only, never a query


def test_fits_a_phone(app_page: AppPage, served: ServeProcess) -> None:
    page = app_page.page
    page.set_viewport_size({"width": 360, "height": 740})
    try:
        reset(app_page, served)
        sign_in(app_page)
        show_log(page)
        page.wait_for_function(  # the re-render for the new size (after a short debounce)
            """() => { const s = document.querySelector('#flow-diagram svg');
                 const box = document.querySelector('#flow-diagram .fd-scroll');
                 return s && s.getAttribute('width') === String(box.clientWidth); }"""
        )
        sizes = page.evaluate(
            """() => { const s = document.querySelector('#flow-diagram svg');
                 const box = document.querySelector('#flow-diagram .fd-scroll');
                 return [s.getBoundingClientRect().width, box.clientWidth,
                         document.documentElement.scrollWidth]; }"""
        )
        svg_width, box_width, page_width = sizes
        assert svg_width <= box_width + 1
        assert page_width <= 360
        # Laid out for the narrow width (short lane headers), not a shrunken desktop drawing.
        expect(page.locator("#flow-diagram svg")).to_contain_text("sign-in")
        assert page.locator("#flow-diagram svg").get_attribute("width") == str(int(box_width))
        font = page.locator("#flow-diagram svg").get_attribute("font-size")
        assert int(font) >= 12
    finally:
        page.set_viewport_size({"width": 1280, "height": 720})


def test_no_secret_anywhere_outside_teaching_mode(app_page: AppPage, served: ServeProcess) -> None:
    page = reset(app_page, served)
    seen = watch(page)
    try:
        sign_in(app_page)
        show_log(page)
        page.get_by_role("button", name="Refresh now").click()
        wait_idle(page)
        page.get_by_role("button", name="Token info").click()
        wait_idle(page)
        # Open every arrow: the opened exchanges are on the page too.
        for i in range(page.locator(ARROWS).count()):
            page.locator(ARROWS).nth(i).click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Export SVG").click()
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        visible = everything_visible(page, skip_key=TOKENS_KEY)
        log = flow_log(page)
        console = "\n".join(m.text for m in app_page.console)
        secrets = seen.all()
        assert secrets["code"] and secrets["state"] and secrets["verifier"]
        # Access and refresh token, twice (two access tokens of the same second are equal).
        assert len(secrets["token"]) >= 3
        for kind, values in secrets.items():
            for value in values:
                for where, text in (
                    ("page or storage", visible),
                    ("log", log),
                    ("console", console),
                    ("exported SVG", exported),
                ):
                    assert value not in text, f"a {kind} appears in the {where}"
        # The tokens are only under their own key in sessionStorage (a reload keeps the
        # session): never in localStorage.
        local = page.evaluate("() => JSON.stringify(Object.entries(localStorage))")
        assert not any(t in local for t in secrets["token"])
        assert page.locator("#teach").count() == 0
    finally:
        unwatch(page, seen)


def test_a_request_under_way_and_a_failure_are_drawn(
    app_page: AppPage, served: ServeProcess
) -> None:
    page = reset(app_page, served)
    sign_in(app_page)
    show_log(page)
    served.admin("faults", {"endpoint": "token_info", "hang": 1.5})
    page.get_by_role("button", name="Token info").click()
    pending = page.locator("#flow-diagram g.fd-pending.fd-token_info")
    expect(pending).to_be_visible()
    assert pending.get_attribute("tabindex") is None  # no entry to open yet
    wait_idle(page)
    expect(pending).to_have_count(0)
    expect(page.locator(ARROWS).last).to_have_class(re.compile("fd-ok fd-token_info"))

    served.admin("faults", {"endpoint": "token_info", "status": 500})
    page.get_by_role("button", name="Token info").click()
    wait_idle(page)
    last = page.locator(ARROWS).last
    expect(last).to_have_class(re.compile("fd-failed fd-token_info"))
    expect(last).to_contain_text("failed · 500")  # said in words, not by colour alone
    assert "Outcome: failed (500" in last.get_attribute("aria-label")
