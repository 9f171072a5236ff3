"""Start-up benchmark: time to interactive of the app against bare pages, cold and warm.

    python bench/startup.py [--runs 5]

Pages, each served by serve.py's own handler (same MIME types, caching and gzip) on 127.0.0.1:
- app:   the app itself; interactive = the "Sign in with ilert" button is enabled.
- floor: a bare page that boots the same vendored PyScript + Pyodide with the app's runtime
         settings and writes one line (the floor the app cannot beat).
- js:    a plain JavaScript page that enables a button (the lower bound).

Cold = a new browser context (empty HTTP cache); warm = a reload in that context.
Time to interactive is measured in the page (performance.now(), from navigation start).
Prints medians and the app/floor ratio. A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import serve  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Records when the page became interactive: the sign-in button (or the bench's own marker)
# is enabled, or <html data-app-ready> appears.
PROBE = """
(() => {
  const done = () => { if (window.__tti === undefined) window.__tti = performance.now(); };
  const check = () => {
    const button = document.getElementById('sign-in');
    if (button && !button.disabled) done();
    if (document.documentElement.hasAttribute('data-app-ready')) done();
  };
  new MutationObserver(check).observe(document, {subtree: true, attributes: true, childList: true});
})();
"""

FLOOR_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>floor</title>
<link rel="icon" href="data:,">
<script type="module" src="{core}"></script></head>
<body><script type="py" config="./pyscript.toml">
from pyscript import document
document.body.append("Python is ready")
document.documentElement.setAttribute("data-app-ready", "")
</script></body></html>
"""

JS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>js</title><link rel="icon" href="data:,">
<script type="module">
document.getElementById("sign-in").disabled = false;
</script></head>
<body><button id="sign-in" disabled>Sign in</button></body></html>
"""


@dataclass
class Scenario:
    name: str
    root: Path
    times: dict[str, list[float]] = field(default_factory=lambda: {"cold": [], "warm": []})
    cold_bytes: list[int] = field(default_factory=list)
    url: str = ""


def app_core_script() -> str:
    """The PyScript module the app's index.html loads, so the floor uses the very same."""
    html = (ROOT / "index.html").read_text()
    marker = 'src="static/vendor/pyscript-'
    start = html.index(marker) + len('src="')
    return html[start : html.index('"', start)]


def floor_toml() -> str:
    """The app's runtime settings (interpreter, plugins, the runtime's own files), no app code."""
    config = tomllib.loads((ROOT / "pyscript.toml").read_text())
    lines = [f'interpreter = "{config["interpreter"]}"']
    if "plugins" in config:
        lines.append("plugins = [" + ", ".join(f'"{p}"' for p in config["plugins"]) + "]")
    return "\n".join(lines) + "\n"


def build_pages(tmp: Path) -> list[Scenario]:
    floor = tmp / "floor"
    floor.mkdir()
    (floor / "static").symlink_to(ROOT / "static")
    (floor / "index.html").write_text(FLOOR_HTML.format(core=app_core_script()))
    (floor / "pyscript.toml").write_text(floor_toml())
    js = tmp / "js"
    js.mkdir()
    (js / "index.html").write_text(JS_HTML)
    return [Scenario("app", ROOT), Scenario("floor", floor), Scenario("js", js)]


@contextmanager
def serving(root: Path) -> Iterator[str]:
    server = serve.make_app_server("127.0.0.1", 0, None, False, root=root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def measure(browser: Browser, scenario: Scenario) -> None:
    context = browser.new_context()
    context.add_init_script(PROBE)
    page = context.new_page()
    for mode in ("cold", "warm"):
        if mode == "cold":
            page.goto(scenario.url)
        else:
            page.reload()
        page.wait_for_function("window.__tti !== undefined", timeout=120_000, polling=20)
        scenario.times[mode].append(page.evaluate("window.__tti") / 1000)
        if mode == "cold":
            scenario.cold_bytes.append(
                page.evaluate(
                    "performance.getEntriesByType('navigation')[0].transferSize +"
                    " performance.getEntriesByType('resource')"
                    ".reduce((n, e) => n + e.transferSize, 0)"
                )
            )
    context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per page and mode (default 5)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        scenarios = build_pages(tmp)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            with serving_all(scenarios):
                for s in scenarios:  # one unmeasured load each: fills serve.py's gzip cache
                    measure(browser, Scenario(s.name, s.root, url=s.url))
                for _ in range(args.runs):
                    for s in scenarios:  # interleaved, so drift hits every page alike
                        measure(browser, s)
            version = browser.version
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(scenarios, args.runs, version)
    return 0


@contextmanager
def serving_all(scenarios: list[Scenario]) -> Iterator[None]:
    with ExitStack() as stack:
        for s in scenarios:
            s.url = stack.enter_context(serving(s.root))
        yield


def report(scenarios: list[Scenario], runs: int, version: str) -> None:
    med = {s.name: {m: statistics.median(t) for m, t in s.times.items()} for s in scenarios}
    print(f"Time to interactive, median of {runs} runs, Chromium {version}")
    print("| page  | cold (s) | warm (s) | cold transfer (MB) |")
    print("|-------|----------|----------|--------------------|")
    for s in scenarios:
        mb = statistics.median(s.cold_bytes) / 1e6
        cold, warm = med[s.name]["cold"], med[s.name]["warm"]
        print(f"| {s.name:<5} | {cold:8.2f} | {warm:8.2f} | {mb:18.2f} |")
    for mode in ("cold", "warm"):
        ratio = med["app"][mode] / med["floor"][mode]
        verdict = "meets" if ratio <= 1.10 else "MISSES"
        print(f"app/floor {mode}: {ratio:.2f} ({verdict} the 1.10 target)")


if __name__ == "__main__":
    sys.exit(main())
