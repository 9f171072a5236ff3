"""Start-up benchmark: time to interactive of the app against bare pages, cold and warm.

    python bench/startup.py [--runs 5] [--no-links]

Pages, each served by serve.py's own handler (same MIME types, caching and gzip) on 127.0.0.1:
- app:   the app itself; interactive = the "Sign in with ilert" button is enabled; built =
         the whole page (<html data-app-ready>), after the second part of the standard
         library and of the app (app/boot/later.py) have arrived. A click in between waits for it.
- floor: a bare page that boots the same vendored PyScript + Pyodide with the app's runtime
         settings and writes one line (the floor the app cannot beat).
- stock: the same bare page on the *stock* npm files of the same versions (@pyscript/core and
         pyodide, unmodified python_stdlib.zip, PyScript's default plugins): what the app would
         cost without its runtime optimizations. Fetched once with `npm pack` into
         .vendor-cache/ (gitignored), served under static/vendor/ like the app's copy.
- js:    a plain JavaScript page that enables a button (the lower bound).

Cold = a new browser context (empty HTTP cache); warm = a reload in that context.
Links: a first visit (cold) through Chromium's network emulation (CDP
Network.emulateNetworkConditions) at 20 Mbit/s with 40 ms latency and at 5 Mbit/s with 100 ms,
where the bytes on the wire decide; localhost measures CPU only.
Chromium runs with scripts/chromium.py's settings, as the tests do. Among them: no omnibox
popup WebUI per new window, which headless Chromium otherwise builds beside every cold load
(a browser's start-up cost, not the page's; it added 50-100 ms to every page's first paint).
Time to interactive is measured in the page (performance.now(), from navigation start).
First contentful paint (the shell's first paint) is read from the paint timing entries.
Prints medians, the app/stock and app/floor ratios, cold transfer bytes (every byte up to
the page built) and the app's first paint against the targets, and on the links the time
to the page built beside the time to interactive. A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
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
from scripts import vendor_runtime  # noqa: E402
from scripts.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PYSCRIPT_VERSION = vendor_runtime.PYSCRIPT_VERSION
PYODIDE_VERSION = vendor_runtime.PYODIDE_VERSION
STOCK_CACHE = ROOT / ".vendor-cache" / f"stock-{PYSCRIPT_VERSION}-{PYODIDE_VERSION}"
TARGET_STOCK_RATIO = 0.55
TARGET_FLOOR_RATIO = 1.10
TARGET_FCP = 0.15
TARGET_COLD_MB = 5.0
# Emulated links for a first visit: name -> (download Mbit/s, latency ms).
LINKS = {"20M/40ms": (20, 40), "5M/100ms": (5, 100)}
TARGET_LINK_RATIO = {"20M/40ms": 0.55}


# Records when the page became interactive: the sign-in button (or the bench's own marker)
# is enabled, or <html data-app-ready> appears; and when it was built: <html data-app-ready>
# (the app's whole page, after the second part of the stdlib; bare pages: at once).
PROBE = """
(() => {
  const check = () => {
    const now = performance.now();
    const button = document.getElementById('sign-in');
    const built = document.documentElement.hasAttribute('data-app-ready');
    if (window.__tti === undefined && ((button && !button.disabled) || built)) window.__tti = now;
    if (window.__built === undefined && built) window.__built = now;
  };
  new MutationObserver(check).observe(document, {subtree: true, attributes: true, childList: true});
  // Also every frame: while Pyodide runs Python, mutation records can be delivered late
  // although the browser has already painted the enabled button and takes clicks.
  const frame = () => { check(); if (window.__built === undefined) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
})();
"""

BARE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,">
<script type="module" src="{core}"></script></head>
<body>{extra}<script type="py" config="./pyscript.toml">
from pyscript import document
document.body.append("Python is ready")
document.documentElement.setAttribute("data-app-ready", "")
</script></body></html>
"""

JS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>js</title><link rel="icon" href="data:,">
<script type="module">
document.getElementById("sign-in").disabled = false;
document.documentElement.setAttribute("data-app-ready", "");
</script></head>
<body><button id="sign-in" disabled>Sign in</button></body></html>
"""


@dataclass
class Scenario:
    name: str
    root: Path
    times: dict[str, list[float]] = field(default_factory=lambda: {"cold": [], "warm": []})
    cold_bytes: list[int] = field(default_factory=list)
    fcp: dict[str, list[float]] = field(default_factory=lambda: {"cold": [], "warm": []})
    links: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in LINKS})
    built: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in LINKS})
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


def app_mpy_config() -> str:
    """The <mpy-config> element static/boot.js adds for the app (PyScript's `mpy` side)."""
    config = tomllib.loads((ROOT / "pyscript.toml").read_text())
    return f"<mpy-config>{json.dumps({'plugins': config.get('plugins', [])})}</mpy-config>"


def fetch_stock() -> Path:
    """The stock npm files, as static/vendor/ would hold them, in .vendor-cache/ (once)."""
    done = STOCK_CACHE / ".complete"
    if done.exists():
        return STOCK_CACHE
    shutil.rmtree(STOCK_CACHE, ignore_errors=True)
    work = STOCK_CACHE / ".work"
    work.mkdir(parents=True)
    for spec, dest, sub in (
        (f"@pyscript/core@{PYSCRIPT_VERSION}", f"pyscript-{PYSCRIPT_VERSION}", "dist"),
        (f"pyodide@{PYODIDE_VERSION}", f"pyodide-{PYODIDE_VERSION}", ""),
    ):
        tarball, _ = vendor_runtime.npm_pack(spec, work)
        package = vendor_runtime.unpack(tarball, work / dest)
        (package / sub).rename(STOCK_CACHE / dest)
    shutil.rmtree(work)
    done.touch()
    return STOCK_CACHE


def build_pages(tmp: Path) -> list[Scenario]:
    floor = tmp / "floor"
    floor.mkdir()
    (floor / "static").symlink_to(ROOT / "static")
    (floor / "index.html").write_text(
        BARE_HTML.format(title="floor", core=app_core_script(), extra=app_mpy_config())
    )
    (floor / "pyscript.toml").write_text(floor_toml())
    stock = tmp / "stock"
    (stock / "static").mkdir(parents=True)
    (stock / "static" / "vendor").symlink_to(fetch_stock())
    (stock / "index.html").write_text(
        BARE_HTML.format(
            title="stock", core=f"static/vendor/pyscript-{PYSCRIPT_VERSION}/core.js", extra=""
        )
    )
    (stock / "pyscript.toml").write_text(
        f'interpreter = "./static/vendor/pyodide-{PYODIDE_VERSION}/pyodide.mjs"\n'
    )
    js = tmp / "js"
    js.mkdir()
    (js / "index.html").write_text(JS_HTML)
    return [
        Scenario("app", ROOT),
        Scenario("floor", floor),
        Scenario("stock", stock),
        Scenario("js", js),
    ]


@contextmanager
def serving(root: Path) -> Iterator[str]:
    # The app's page is measured with its CSP header, as deployed; the bare pages are not the
    # app (the js page's inline script would be refused).
    server = serve.make_app_server("127.0.0.1", 0, None, False, root=root, send_csp=root == ROOT)
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
        fcp = page.evaluate(
            "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
        )
        scenario.fcp[mode].append(fcp / 1000)
        if mode == "cold":
            # Every byte of the first visit, also those that arrive after "Sign in" works.
            page.wait_for_function("window.__built !== undefined", timeout=120_000, polling=20)
            scenario.cold_bytes.append(
                page.evaluate(
                    "performance.getEntriesByType('navigation')[0].transferSize +"
                    " performance.getEntriesByType('resource')"
                    ".reduce((n, e) => n + e.transferSize, 0)"
                )
            )
    context.close()


def measure_link(browser: Browser, scenario: Scenario, link: str) -> None:
    """A first visit over an emulated link (CDP network conditions on the page's target)."""
    mbit, latency = LINKS[link]
    context = browser.new_context()
    context.add_init_script(PROBE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": mbit * 1_000_000 / 8,
            "uploadThroughput": mbit * 1_000_000 / 8,
        },
    )
    page.goto(scenario.url, timeout=180_000)
    page.wait_for_function("window.__built !== undefined", timeout=180_000, polling=20)
    scenario.links[link].append(page.evaluate("window.__tti") / 1000)
    scenario.built[link].append(page.evaluate("window.__built") / 1000)
    context.close()


def measure_all(browser: Browser, scenarios: list[Scenario], runs: int, links: list[str]) -> None:
    """``runs`` rounds over every page, on localhost and each link, after a warm-up."""
    for s in scenarios:  # one unmeasured load each: fills serve.py's gzip cache
        measure(browser, Scenario(s.name, s.root, url=s.url))
    for _ in range(runs):
        for s in scenarios:  # interleaved, so drift hits every page alike
            measure(browser, s)
            for link in links:
                measure_link(browser, s, link)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per page and mode (default 5)")
    parser.add_argument(
        "--no-links", action="store_true", help="localhost only (no emulated slow links)"
    )
    args = parser.parse_args()
    links = [] if args.no_links else list(LINKS)
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        scenarios = build_pages(tmp)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            with serving_all(scenarios):
                measure_all(browser, scenarios, args.runs, links)
            version = browser.version
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(scenarios, args.runs, version, links)
    return 0


@contextmanager
def serving_all(scenarios: list[Scenario]) -> Iterator[None]:
    with ExitStack() as stack:
        for s in scenarios:
            s.url = stack.enter_context(serving(s.root))
        yield


def report(scenarios: list[Scenario], runs: int, version: str, links: list[str]) -> None:
    med = {s.name: {m: statistics.median(t) for m, t in s.times.items()} for s in scenarios}
    fcp = {s.name: {m: statistics.median(t) for m, t in s.fcp.items()} for s in scenarios}
    link_med = {s.name: {k: statistics.median(s.links[k]) for k in links} for s in scenarios}
    built_med = {s.name: {k: statistics.median(s.built[k]) for k in links} for s in scenarios}
    mb = {s.name: statistics.median(s.cold_bytes) / 1e6 for s in scenarios}
    print(f"Time to interactive (TTI) and first contentful paint (FCP), median of {runs} runs,")
    print(f"Chromium {version}; links: a first visit through CDP network emulation")
    print()
    columns = [
        "TTI cold (s)",
        "TTI warm (s)",
        "FCP cold (s)",
        "FCP warm (s)",
        *(f"{k} cold (s)" for k in links),
        "cold transfer (MB)",
    ]
    print("| page  | " + " | ".join(columns) + " |")
    print("|-------|" + "|".join("-" * (len(c) + 2) for c in columns) + "|")
    for s in scenarios:
        cells = [
            med[s.name]["cold"],
            med[s.name]["warm"],
            fcp[s.name]["cold"],
            fcp[s.name]["warm"],
            *(link_med[s.name][k] for k in links),
            mb[s.name],
        ]
        digits = [2, 2, 3, 3, *(2 for _ in links), 2]
        text = [f"{v:{len(c)}.{d}f}" for v, c, d in zip(cells, columns, digits, strict=True)]
        print(f"| {s.name:<5} | " + " | ".join(text) + " |")
    print()
    for base, target in (("stock", TARGET_STOCK_RATIO), ("floor", TARGET_FLOOR_RATIO)):
        for mode in ("cold", "warm"):
            ratio = med["app"][mode] / med[base][mode]
            verdict = "meets" if ratio <= target else "MISSES"
            print(f"app/{base} {mode}: {ratio:.2f} ({verdict} the {target:.2f} target)")
    for link in links:
        ratio = link_med["app"][link] / link_med["stock"][link]
        target = TARGET_LINK_RATIO.get(link)
        verdict = ""
        if target is not None:
            verdict = f" ({'meets' if ratio <= target else 'MISSES'} the {target:.2f} target)"
        print(f"app/stock first visit at {link}: {ratio:.2f}{verdict}")
        print(
            f"  app page built at {link}: {built_med['app'][link]:.2f} s "
            f"(stock's bare page: {built_med['stock'][link]:.2f} s)"
        )
    for mode in ("cold", "warm"):
        value = fcp["app"][mode]
        verdict = "meets" if 0 <= value <= TARGET_FCP else "MISSES"
        print(f"app first paint {mode}: {value:.3f} s ({verdict} the {TARGET_FCP} s target)")
    verdict = "meets" if mb["app"] <= TARGET_COLD_MB else "MISSES"
    print(
        f"app cold transfer: {mb['app']:.2f} MB, stock {mb['stock']:.2f} MB "
        f"({verdict} the {TARGET_COLD_MB} MB target)"
    )


if __name__ == "__main__":
    sys.exit(main())
