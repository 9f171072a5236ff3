"""The app against the emulator's strict modes (serve.py flags): strict rotation (a used
refresh token is revoked at once) and a code exchange that requires redirect_uri."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from app.boot.keys import TOKENS_KEY
from tests.serving import ServeProcess, start_serve

from .app_flow import reset, session_item, sign_in, wait_idle
from .conftest import AppPage, open_app_page


@pytest.fixture(scope="module", params=["strict-rotation", "require-redirect-uri"])
def strict(request: pytest.FixtureRequest) -> Iterator[tuple[str, ServeProcess]]:
    server = start_serve(
        "--emulator-port", "0", "--emulator-test-controls", f"--emulator-{request.param}"
    )
    yield request.param, server
    server.stop()


@pytest.fixture(scope="module")
def strict_page(browser: Browser, strict: tuple[str, ServeProcess]) -> Iterator[AppPage]:
    app_page, context = open_app_page(browser, strict[1].app_url)
    yield app_page
    context.close()


def test_sign_in_refresh_twice_sign_out(
    strict_page: AppPage, strict: tuple[str, ServeProcess]
) -> None:
    mode, served = strict
    page = reset(strict_page, served)
    # reset() restores the modes the emulator was started with: the flag's, here.
    assert served.admin("modes", {})[mode.replace("-", "_")] is True
    sign_in(strict_page)
    expect(page.locator("#profile")).to_contain_text("Alice")
    seen = [session_item(page, TOKENS_KEY)["refresh_token"]]
    for _ in range(2):
        page.get_by_role("button", name="Refresh now").click()
        wait_idle(page)
        expect(page.locator("#status")).to_have_text("Access token refreshed.")
        seen.append(session_item(page, TOKENS_KEY)["refresh_token"])
    assert len(set(seen)) == 3  # each refresh used the token the one before returned
    page.get_by_role("button", name="Reload data").click()
    wait_idle(page)
    expect(page.locator("#notice")).to_be_hidden()
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    expect(page.locator("#status")).to_contain_text("refresh token was revoked")
    assert session_item(page, TOKENS_KEY) is None
