"""The cut standard library in Chromium: every module of app/ (and PyScript's package and
pyodide-http) imports from it, lazily imported dependencies included.

The CPython test (tests/unit/test_vendor_stdlib.py) checks the import statements against the
manifest's module list; this one runs them in the page's real runtime, where a module missing
from the zip would be a user's ImportError.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from scripts import vendor_runtime
from tests.serving import ROOT

from .probe import probe_page, probe_report

WHEEL = f"static/vendor/{vendor_runtime.WHEELS_DIR}/{vendor_runtime.PYODIDE_HTTP_WHEEL}"


def app_modules() -> list[str]:
    """Every module of app/ but the entry point (which starts the app when imported)."""
    return sorted(set(vendor_runtime.app_roots()) - {"app.main"})


# pyodide-http's patch for the third-party `requests`, which the app does not use or ship.
NOT_FOR_THIS_APP = {"pyodide_http._requests"}


def wheel_modules() -> list[str]:
    return sorted(set(vendor_runtime.wheel_roots(ROOT / WHEEL)) - NOT_FOR_THIS_APP)


@pytest.fixture(scope="module")
def probe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("import-probe")
    (root / "app").symlink_to(ROOT / "app")  # serve.py builds static/app.zip from it
    # The app's runtime settings, with the app bundle and the pyodide-http wheel unpacked.
    files = f'[files]\n"./static/app.zip" = "./*"\n"./{WHEEL}" = "./*"\n'
    with probe_page(root, "imports.html", app_modules() + wheel_modules(), files) as url:
        yield url


def test_every_app_module_imports_from_the_cut_stdlib(browser: Browser, probe_url: str) -> None:
    report = probe_report(browser, probe_url, "data-imports")
    assert report["python"].startswith("3.14.")
    assert report["stdlib_zips"] == ["/lib/python314.zip", "/lib/python314_later.zip"]
    assert report["failed"] == {}
    imported = set(report["imported"])
    assert set(app_modules()) <= imported
    assert {"pyodide_http", "pyscript", "pyscript.web", "pyscript.fetch"} <= imported
