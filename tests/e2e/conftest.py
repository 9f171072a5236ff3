"""End-to-end harness: `serve.py` on free ports, Debian's Chromium through Playwright.

Fixtures
- ``served``: one `python serve.py` (app + emulator with its test controls) for the session;
  ``served.app_url``, ``served.emulator_url``, ``served.admin(path, payload)`` for the
  emulator's ``/_emulator/`` endpoints, ``served.reset()``.
- ``static_served``: `python serve.py --no-emulator`, the app alone (config.json from disk).
- ``app_page``: one browser page per test module, already booted on the app; it records
  every request and console message (``app_page.requests``, ``app_page.console``) and
  ``app_page.goto(url=None)`` loads the app again and waits until Python is ready.

Booting Pyodide costs seconds, so tests of a module share ``app_page`` instead of opening a
fresh context each (pytest-playwright's ``page``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.serving import ServeProcess, start_serve

READY_SELECTOR = "html[data-app-ready]"
BOOT_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("e2e/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def served() -> Iterator[ServeProcess]:
    server = start_serve("--emulator-port", "0", "--emulator-test-controls")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def static_served() -> Iterator[ServeProcess]:
    server = start_serve("--no-emulator")
    yield server
    server.stop()


@dataclass
class AppPage:
    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def goto(self, url: str | None = None) -> Page:
        self.page.goto(url or self.url)
        self.wait_ready()
        return self.page

    def wait_ready(self) -> None:
        self.page.wait_for_selector(READY_SELECTOR, state="attached", timeout=BOOT_TIMEOUT_MS)

    def console_errors(self) -> list[str]:
        """Console errors (with the resource or script they are about) and page errors."""
        errors = [
            f"{m.text} ({m.location.get('url', '')})" for m in self.console if m.type == "error"
        ]
        return errors + self.page_errors


def open_app_page(
    browser: Browser, url: str, context: BrowserContext | None = None
) -> tuple[AppPage, BrowserContext]:
    """The app booted in a new page that records requests, console and page errors.

    The page opens in ``context`` when given (prepared by the caller, e.g. with an init
    script), else in a new context; the caller closes the context it gets back.
    """
    context = context or browser.new_context()
    page = context.new_page()
    app_page = AppPage(page, url)
    page.on(
        "request", lambda r: app_page.requests.append(r.url) if isinstance(r, Request) else None
    )
    page.on("console", lambda m: app_page.console.append(m))
    page.on("pageerror", lambda exc: app_page.page_errors.append(str(exc)))
    app_page.goto()
    return app_page, context


@pytest.fixture(scope="module")
def app_page(browser: Browser, served: ServeProcess) -> Iterator[AppPage]:
    app_page, context = open_app_page(browser, served.app_url)
    yield app_page
    context.close()
