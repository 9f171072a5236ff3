"""The self-hosted runtime in a real Chromium: it boots, paints the shell first, stays local."""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, expect

from .conftest import ROOT, AppPage, ServeProcess, open_app_page

MANIFEST = json.loads((ROOT / "static/vendor/MANIFEST.json").read_text())


@pytest.fixture(scope="module")
def booted(browser: Browser, static_served: ServeProcess):
    app_page, context = open_app_page(browser, static_served.app_url)
    yield app_page
    context.close()


def test_python_314_boots_and_enables_sign_in(booted: AppPage) -> None:
    page = booted.page
    assert page.get_attribute("html", "data-python-version").startswith("3.14.")
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_enabled()
    expect(page.locator("#boot")).to_be_hidden()


def test_every_request_goes_to_the_local_server(booted: AppPage) -> None:
    origin = urlsplit(booted.url)
    assert booted.requests, "no request was recorded"
    foreign = [u for u in booted.requests if urlsplit(u).netloc != origin.netloc]
    assert foreign == []
    # The runtime really came from our vendored copy.
    assert any(
        u.endswith("/static/vendor/pyodide-314.0.2/pyodide.asm.wasm") for u in booted.requests
    )


def test_no_console_errors_and_no_failed_requests(booted: AppPage) -> None:
    assert booted.console_errors() == []
    failed = []
    booted.page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    booted.goto()
    assert failed == []
    assert booted.console_errors() == []


def test_shell_is_usable_before_python_is_ready(browser: Browser, static_served) -> None:
    context = browser.new_context()
    page = context.new_page()
    held: list[Route] = []
    page.route("**/pyodide.asm.wasm", lambda route: held.append(route))  # hold the runtime back
    page.goto(static_served.app_url)
    expect(page.get_by_role("heading", name="Sign in with ilert", level=1)).to_be_visible()
    sign_in = page.get_by_role("button", name="Sign in with ilert")
    expect(sign_in).to_be_visible()
    expect(sign_in).to_be_disabled()
    expect(page.locator("#boot progress")).to_be_visible()
    expect(page.locator("#boot")).to_contain_text("Loading the Python runtime")
    page.wait_for_function("() => true")  # let the route handler run
    assert held, "the runtime request was not intercepted"
    held[0].continue_()
    page.wait_for_selector("html[data-app-ready]", state="attached", timeout=60_000)
    expect(sign_in).to_be_enabled()
    expect(page.locator("#boot")).to_be_hidden()
    context.close()


def test_runtime_load_failure_shows_a_readable_message(browser: Browser, static_served) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.route("**/pyodide.asm.wasm", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(static_served.app_url)
    error = page.locator("#boot-error")
    expect(error).to_be_visible(timeout=60_000)
    expect(error).to_contain_text("could not start")
    expect(error).to_contain_text("Reload")
    assert "Traceback" not in error.text_content()
    expect(page.get_by_role("button", name="Sign in with ilert")).to_be_disabled()
    context.close()


def test_served_vendor_files_match_the_manifest(static_served: ServeProcess) -> None:
    for rel, entry in MANIFEST["files"].items():
        if rel.endswith("LICENSE"):
            continue
        req = urllib.request.Request(
            f"{static_served.app_url}static/vendor/{rel}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
            if resp.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            assert "immutable" in resp.headers["Cache-Control"], rel
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], rel
