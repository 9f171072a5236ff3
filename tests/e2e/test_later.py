"""The second parts of the standard library and of the app (app/boot/later.py) in Chromium:
"Sign in" works before they have arrived, a click waits for them, a lost download is retried,
and a download that keeps failing is told in plain words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from .app_flow import approve, wait_idle
from .conftest import BOOT_TIMEOUT_MS, ServeProcess

LATER_ZIP = "**/python_stdlib_later.zip"
APP_LATER_ZIP = "**/app_later.zip"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


def sign_in_button(page: Page):
    return page.get_by_role("button", name="Sign in with ilert")


def test_sign_in_is_usable_before_the_second_zip_and_a_click_waits_for_it(
    context: BrowserContext, served: ServeProcess
) -> None:
    served.reset()
    held: list[Route] = []
    released = False

    def hold(route: Route) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    context.route(LATER_ZIP, hold)
    context.route(APP_LATER_ZIP, hold)
    page = context.new_page()
    # Every window.open is counted: the click's own task would call it if the page could.
    page.add_init_script(
        "window.__opened = 0; const open = window.open;"
        " window.open = function (...args) { window.__opened += 1;"
        " return open.apply(window, args); };"
    )
    page.goto(served.app_url)
    expect(sign_in_button(page)).to_be_enabled(timeout=BOOT_TIMEOUT_MS)
    assert len(held) == 2, "the second zips were not requested"
    # The page is not built yet: it waits for the rest of the standard library.
    assert page.get_attribute("html", "data-app-ready") is None
    sign_in_button(page).click()  # handled (synchronously) before the click returns
    assert page.evaluate("window.__opened") == 0, "nothing can happen before the second zip"
    assert context.pages == [page]

    with context.expect_page(timeout=BOOT_TIMEOUT_MS) as popup_info:
        released = True
        for route in held:
            route.continue_()
    popup = popup_info.value
    popup.wait_for_load_state("domcontentloaded")
    approve(popup)
    popup.wait_for_event("close", timeout=15_000)
    wait_idle(page)
    expect(page.locator("#profile")).to_contain_text("Alice Meier")
    assert page.evaluate("document.getElementById('boot-error').hidden")


def test_a_lost_download_of_the_second_zip_is_retried(
    context: BrowserContext, static_served: ServeProcess
) -> None:
    attempts: list[str] = []

    def fail_twice(route: Route) -> None:
        attempts.append(route.request.url)
        if len(attempts) <= 2:  # the preload, then Python's first fetch
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route(LATER_ZIP, fail_twice)
    page = context.new_page()
    page.goto(static_served.app_url)
    wait_idle(page)
    assert len(attempts) == 3
    expect(page.locator("#boot-error")).to_be_hidden()
    expect(sign_in_button(page)).to_be_enabled()


def test_a_second_zip_that_never_arrives_is_told_in_plain_words(
    context: BrowserContext, static_served: ServeProcess
) -> None:
    context.route(APP_LATER_ZIP, lambda route: route.abort("internetdisconnected"))
    page = context.new_page()
    page.goto(static_served.app_url)
    error = page.locator("#boot-error")
    expect(error).to_be_visible(timeout=BOOT_TIMEOUT_MS)
    expect(error).to_contain_text(
        "The app could not start: part of the app's Python code did not download"
        " (static/app_later.zip: the network failed while downloading it)."
    )
    expect(error).to_contain_text("Reload the page to try again.")
    expect(sign_in_button(page)).to_be_disabled()
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error:" not in body
