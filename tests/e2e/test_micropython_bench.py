"""The MicroPython bench page (bench/micropython.py, page mpy-core) in Chromium: PyScript boots
the vendored MicroPython, tries the app's core and writes the same report as the same
interpreter under Node; nothing is fetched from anywhere but 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser

import serve
from scripts import vendor_runtime
from tests.serving import ROOT

from .conftest import BOOT_TIMEOUT_MS


def load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bench = load("bench_micropython", "bench/micropython.py")
    root = bench.build_root(tmp_path_factory.mktemp("mpy") / "mpy-core", "mpy-core")
    server = serve.make_app_server("127.0.0.1", 0, None, False, root=root, send_csp=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_core_report_in_chromium_is_micropythons_and_all_is_local(
    browser: Browser, bench_url: str
) -> None:
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    try:
        page = context.new_page()
        page.goto(bench_url)
        page.wait_for_selector("html[data-mpy-report]", state="attached", timeout=BOOT_TIMEOUT_MS)
        report = json.loads(page.get_attribute("html", "data-mpy-report"))
        assert page.is_enabled("#sign-in")
    finally:
        context.close()
    assert report["implementation"] == "micropython 1.28.0"
    assert report["imports"]["app.boot.keys"] == "ok"
    assert report["imports"]["app.core.pkce"] == "ImportError: no module named '__future__'"
    assert (
        report["imports_past_future"]["app.core.pkce"] == "ImportError: no module named 'secrets'"
    )
    # The DOM layer's Pyodide FFI is not there; PyScript's own, and the browser's CSPRNG, are.
    browser_side = report["browser"]
    assert browser_side["pyodide.ffi.create_proxy (the app's DOM layer)"].startswith("ImportError")
    assert browser_side["pyscript.ffi.create_proxy, to_js"] == "ok"
    assert browser_side["js.crypto.getRandomValues (a CSPRNG for secrets)"] == "ok"
    if shutil.which("node"):  # the same interpreter without a browser: the same answers
        node = load("mpy_probe_test", "tests/unit/test_micropython_probe.py").node_report()
        for part in ("imports", "imports_past_future", "features", "flow"):
            assert report[part] == node[part], part
    assert {urlsplit(url).hostname for url in requests} == {"127.0.0.1"}
    mpy = f"/static/vendor/{vendor_runtime.MICROPYTHON_DIR}/"
    assert {urlsplit(u).path.rsplit("/", 1)[-1] for u in requests if mpy in u} == {
        "micropython.mjs",
        "micropython.wasm",
    }
    assert not [u for u in requests if "pyodide" in u]  # this page boots MicroPython only
