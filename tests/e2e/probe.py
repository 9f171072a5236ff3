"""A probe page (tests/e2e/pages/*.html) on the app's own runtime, served like the app."""

from __future__ import annotations

import contextlib
import json
import re
import string
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser

import serve
from tests.serving import ROOT

from .conftest import BOOT_TIMEOUT_MS

PAGES = Path(__file__).parent / "pages"


@contextlib.contextmanager
def probe_page(root: Path, template: str, modules: list[str], files: str = "") -> Iterator[str]:
    """Serve ``pages/<template>`` from ``root`` with serve.py's handler; yields its URL.

    The page gets index.html's PyScript core and the app's interpreter and plugins (from
    pyscript.toml), so it runs what a user's browser runs; ``files`` is appended to its
    pyscript.toml (a ``[files]`` table). The template's ``$modules`` is the list given.
    """
    (root / "static").symlink_to(ROOT / "static")
    html = (ROOT / "index.html").read_text(encoding="utf-8")
    core = re.search(r'src="(static/vendor/pyscript-[^"]+/core\.js)"', html).group(1)
    page = string.Template((PAGES / template).read_text(encoding="utf-8"))
    (root / "index.html").write_text(
        page.substitute(core=core, modules=repr(modules)), encoding="utf-8"
    )
    config = tomllib.loads((ROOT / "pyscript.toml").read_text(encoding="utf-8"))
    (root / "pyscript.toml").write_text(
        f"interpreter = {json.dumps(config['interpreter'])}\n"
        f"plugins = {json.dumps(config.get('plugins', []))}\n" + files,
        encoding="utf-8",
    )
    server = serve.make_app_server("127.0.0.1", 0, None, False, root=root)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def probe_report(browser: Browser, url: str, attribute: str) -> dict:
    """Open the probe page in a fresh context; the JSON report it sets on <html attribute>."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(f"html[{attribute}]", state="attached", timeout=BOOT_TIMEOUT_MS)
        return json.loads(page.get_attribute("html", attribute))
    finally:
        context.close()
