"""The self-hosted runtime in a real Chromium: it boots, paints the shell first, stays local."""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
import re
import sys
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.serving import ROOT, ServeProcess

from .conftest import AppPage, open_app_page
from .probe import probe_page, probe_report

MANIFEST = json.loads((ROOT / "static/vendor/MANIFEST.json").read_text())
PYSCRIPT = "/static/vendor/pyscript-0.7.31/"
PYODIDE = "/static/vendor/pyodide-314.0.2/"
# Everything a cold load of the app may request (paths on the app's server). PyScript's
# error chunk is the one plugin it imports even when turned off (to switch on-page errors off).
COLD_LOAD_ALLOWED = [
    r"/",
    r"/static/(app\.css|boot\.js|favicon\.svg|app\.zip|app_later\.zip)",
    r"/pyscript\.toml",
    r"/config\.json",
    re.escape(PYSCRIPT) + r"(core\.js|core-\w+\.js|toml-[\w-]+\.js|error-[\w-]+\.js)",
    re.escape(PYODIDE)
    + r"(pyodide\.mjs|pyodide\.asm\.mjs|pyodide\.asm\.wasm|python_stdlib(_later)?\.zip"
    + r"|pyodide-lock\.json)",
    r"/app/main\.py",
]
UNUSED_PLUGIN_CHUNKS = (
    "py-editor",
    "py-terminal",
    "py-game",
    "donkey",
    "deprecations-manager",
    "codemirror",
    "xterm",
    "mpy-",
)


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
    released: list[bool] = []

    def hold(route: Route) -> None:  # hold the runtime back until the checks below are done
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/pyodide.asm.wasm", hold)
    page.goto(static_served.app_url)
    expect(page.get_by_role("heading", name="Sign in with ilert", level=1)).to_be_visible()
    sign_in = page.get_by_role("button", name="Sign in with ilert")
    expect(sign_in).to_be_visible()
    expect(sign_in).to_be_disabled()
    expect(page.locator("#boot progress")).to_be_visible()
    expect(page.locator("#boot")).to_contain_text("Loading the Python runtime")
    assert page.get_attribute("html", "data-app-ready") is None  # Python is not there
    released.append(True)  # a request still to come goes through; one held is let go
    for route in held:
        route.continue_()
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


def test_cold_load_requests_only_what_the_app_uses(browser: Browser, static_served) -> None:
    app_page, context = open_app_page(browser, static_served.app_url)
    # Late requests count too: wait until the page is fully built (settings and log shown,
    # nothing busy) and the network has been quiet for 500 ms.
    app_page.page.wait_for_selector("html[data-app-ready]:not([data-busy]) #log-card:not([hidden])")
    app_page.page.wait_for_load_state("networkidle")
    context.close()
    paths = [urlsplit(u).path for u in app_page.requests]
    unexpected = [p for p in paths if not any(re.fullmatch(a, p) for a in COLD_LOAD_ALLOWED)]
    assert unexpected == []
    assert not [p for p in paths if any(c in p for c in UNUSED_PLUGIN_CHUNKS)]
    dupes = sorted({p for p in paths if paths.count(p) > 1})
    assert not dupes, f"requested twice (preload not matched?): {dupes}"
    assert f"{PYODIDE}python_stdlib.zip" in paths
    assert f"{PYODIDE}python_stdlib_later.zip" in paths
    assert "/static/app_later.zip" in paths
    # A preload hint that does not match its use shows as "preloaded but not used" warnings.
    warnings = [m.text for m in app_page.console if m.type in ("warning", "error")]
    assert not [w for w in warnings if "preload" in w.lower()]
    assert set(preload_hints()) <= set(paths)


def preload_hints() -> list[str]:
    """The files static/boot.js preloads (it adds the hints once the shell has painted)."""
    boot = (ROOT / "static/boot.js").read_text(encoding="utf-8")
    return ["/" + h for h in re.findall(r'\["(?:module)?preload", "([^"]+)"\]', boot)]


def test_preload_hints_point_at_files_that_exist() -> None:
    hints = preload_hints()
    assert f"{PYODIDE}pyodide.asm.wasm" in hints
    vendored = {f"/static/vendor/{rel}" for rel in MANIFEST["files"]}
    for hint in hints:
        assert hint in vendored or (ROOT / hint.lstrip("/")).is_file(), hint


def app_stdlib_imports() -> list[str]:
    """The standard-library modules app/*.py import (dotted names, as imported)."""
    names = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return sorted(n for n in names if n.split(".")[0] in sys.stdlib_module_names)


@pytest.fixture(scope="module")
def stdlib_probe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """tests/e2e/pages/stdlib.html on the app's runtime, served by serve.py's handler."""
    root = tmp_path_factory.mktemp("stdlib-probe")
    (root / "app").symlink_to(ROOT / "app")  # serve.py builds static/app.zip from it
    files = '[files]\n"./static/app.zip" = "./*"\n'
    with probe_page(root, "stdlib.html", app_stdlib_imports(), files) as url:
        yield url


def test_stdlib_modules_the_app_imports_load_from_pyc(browser: Browser, stdlib_probe_url) -> None:
    modules = app_stdlib_imports()
    assert "json" in modules and "urllib.parse" in modules
    report = probe_report(browser, stdlib_probe_url, "data-stdlib")
    assert report["python"].startswith("3.14.")
    assert sorted(report["modules"]) == modules
    # The rest are compiled into the interpreter: C modules or frozen bytecode.
    from_zip = {n: m for n, m in report["modules"].items() if m["loader"] == "zipimporter"}
    assert "json" in from_zip and "urllib.parse" in from_zip
    others = {m["loader"] for n, m in report["modules"].items() if n not in from_zip}
    assert others <= {"BuiltinImporter", "FrozenImporter"}
    zips = set()
    for name, module in from_zip.items():
        zips.add(module["file"].partition(".zip/")[0] + ".zip")
        assert module["file"].endswith(".pyc"), name
    # Both parts of the cut: the first (json) and the one mounted later (hashlib).
    assert zips == {"/lib/python314.zip", "/lib/python314_later.zip"}
    assert from_zip["hashlib"]["file"] == "/lib/python314_later.zip/hashlib.pyc"
    # Without the sources a traceback still names the stdlib file and line.
    assert re.search(r'python314\.zip/json/decoder\.py", line \d+', report["traceback"])
