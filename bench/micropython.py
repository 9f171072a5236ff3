"""MicroPython bench: the app's core on PyScript's `mpy`, and what MicroPython would gain.

    python bench/micropython.py [--runs 3] [--no-links]   # time to interactive and bytes
    python bench/micropython.py --report                  # only the import/feature report
    node bench/micropython/node_run.mjs                   # the same report, without a browser

Pages (bench/micropython/page.html, built into a folder and served with serve.py's handler
like bench/startup.py's pages; everything from 127.0.0.1, the vendored MicroPython):
- mpy-min:  PyScript + MicroPython, one line of Python enables a button (MicroPython's floor);
- mpy-core: the same, loading the app's pure core (bench/micropython/probe.py and app/'s
            modules as files) and trying one authorize URL, callback check and token-response
            parse; interactive once the report is written (<html data-mpy-report>);
- handoff:  the next lever: a MicroPython shell enables "Sign in" while Pyodide (the app's
            vendored runtime) boots beside it on the same page (interactive = the shell's
            button; built = Pyodide ready);
- handoff-late: the same, but the shell adds Pyodide's <script type="py"> only once its
            button is enabled, so the two do not share the link before "Sign in" works;
and, from bench/startup.py in the same run: the app, the bare page on stock PyScript +
Pyodide (the issue's ratios are against it) and the plain JavaScript page.

Timing, links and the Chromium settings are bench/startup.py's (cold, warm, 20 Mbit/s / 40 ms,
5 Mbit/s / 100 ms). A benchmark, not a test: it prints numbers; docs/micropython.md has them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import string
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
import startup  # bench/startup.py: the measuring machinery

ROOT = startup.ROOT
HERE = Path(__file__).resolve().parent / "micropython"
MPY = startup.vendor_runtime
INTERPRETER = f"./static/vendor/{MPY.MICROPYTHON_DIR}/{MPY.MICROPYTHON_FILES[0]}"
# The app's modules the probe needs (the core, what it imports, and the flow's modules).
PROBE_APP_MODULES = ("__init__", "boot/__init__", "boot/keys", "boot/address", "core/__init__")
PROBE_APP_MODULES += ("core/backoff", "core/http", "core/errors", "core/explain", "core/urls")
PROBE_APP_MODULES += ("core/settings", "core/storage", "core/authorize", "core/callback")
PROBE_APP_MODULES += ("core/pkce", "core/protocol", "core/flow")
PROBE_APP_MODULES += ("core/scopes", "core/servers", "core/flowlog")
PAGES = ("mpy-min", "mpy-core", "handoff", "handoff-late")

ENABLE = 'document.getElementById("sign-in").disabled = False\n'
READY = 'document.documentElement.setAttribute("data-app-ready", "")\n'
PY_READY = f"from pyscript import document\n{READY}"
SCRIPTS = {
    "mpy-min": ("MicroPython's floor", "from pyscript import document\n" + ENABLE + READY),
    "mpy-core": (
        "the app's core on MicroPython",
        "import json\nimport mpy_probe\nfrom pyscript import document\n"
        "report = mpy_probe.run()\n"
        'report["browser"] = mpy_probe.browser_checks()\n'
        'document.documentElement.setAttribute("data-mpy-report", json.dumps(report))\n'
        + ENABLE
        + READY,
    ),
    "handoff": (
        "a MicroPython shell, Pyodide booting beside it",
        "from pyscript import document\n" + ENABLE,
    ),
    "handoff-late": (
        "a MicroPython shell that starts Pyodide once Sign in works",
        "from pyscript import document\n" + ENABLE + 'py = document.createElement("script")\n'
        'py.type = "py"\n'
        f"py.textContent = {PY_READY!r}\n"
        "document.body.append(py)\n",
    ),
}


def mpy_toml(page: str) -> str:
    plugins = startup.tomllib.loads((ROOT / "pyscript.toml").read_text())["plugins"]
    lines = [f'interpreter = "{INTERPRETER}"', f"plugins = {json.dumps(plugins)}"]
    if page == "mpy-core":
        lines += ["[files]", '"./static/mpy_probe.py" = "./mpy_probe.py"']
        lines += [f'"./app/{m}.py" = "./app/{m}.py"' for m in PROBE_APP_MODULES]
    return "\n".join(lines) + "\n"


def build_root(folder: Path, page: str) -> Path:
    """A folder serve.py's handler can serve (index.html, pyscript.toml, static/, app/) that
    holds the bench page ``page``; returns it."""
    folder.mkdir(parents=True)
    (folder / "static").mkdir()
    (folder / "static" / "vendor").symlink_to(ROOT / "static" / "vendor")
    (folder / "app").symlink_to(ROOT / "app")
    shutil.copyfile(HERE / "probe.py", folder / "static" / "mpy_probe.py")
    (folder / "pyscript.toml").write_text(mpy_toml(page))
    config = startup.tomllib.loads((ROOT / "pyscript.toml").read_text())
    py_config = {"plugins": config["plugins"]}
    description, source = SCRIPTS[page]
    scripts = f'<script type="mpy" config="./pyscript.toml">\n{source}</script>'
    if page.startswith("handoff"):  # the app's runtime and settings, beside the shell
        py_config["interpreter"] = config["interpreter"]
    if page == "handoff":
        scripts += f'\n<script type="py">\n{PY_READY}</script>'
    html = string.Template((HERE / "page.html").read_text()).substitute(
        title=page,
        description=description,
        core=startup.app_core_script(),
        plugins=json.dumps(py_config),
        scripts=scripts,
    )
    (folder / "index.html").write_text(html)
    return folder


def report_of(browser: startup.Browser, url: str) -> dict:
    """The mpy-core page's report (<html data-mpy-report>), from a fresh context."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("html[data-mpy-report]", state="attached", timeout=120_000)
        return json.loads(page.get_attribute("html", "data-mpy-report"))
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page and mode (default 3)")
    parser.add_argument("--no-links", action="store_true", help="localhost only")
    parser.add_argument("--report", action="store_true", help="only print the core's report")
    args = parser.parse_args()
    links = [] if args.no_links else list(startup.LINKS)
    tmp = Path(tempfile.mkdtemp(prefix="bench-mpy-"))
    try:
        keep = ("app", "stock", "js")
        scenarios = [s for s in startup.build_pages(tmp) if s.name in keep]
        scenarios += [startup.Scenario(p, build_root(tmp / p, p)) for p in PAGES]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=startup.CHROMIUM, args=startup.CHROMIUM_ARGS
            )
            with startup.serving_all(scenarios):
                core = next(s for s in scenarios if s.name == "mpy-core")
                print(json.dumps(report_of(browser, core.url), indent=1, sort_keys=True))
                if args.report:
                    return 0
                startup.measure_all(browser, scenarios, args.runs, links)
            version = browser.version
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(scenarios, args.runs, version, links)
    return 0


def report(scenarios: list[startup.Scenario], runs: int, version: str, links: list[str]) -> None:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"\nMedian of {runs} runs, Chromium {version}; TTI in s, transfer in MB (cold)")
    columns = ["TTI cold", "TTI warm", *(f"{k}" for k in links), *(f"built {k}" for k in links)]
    print("| page | " + " | ".join(columns) + " | transfer |")
    print("|---|" + "---|" * (len(columns) + 1))
    stock = next(s for s in scenarios if s.name == "stock")
    for s in scenarios:
        cells = [med(s.times["cold"]), med(s.times["warm"])]
        cells += [med(s.links[k]) for k in links] + [med(s.built[k]) for k in links]
        text = " | ".join(f"{v:.2f}" for v in cells)
        print(f"| {s.name} | {text} | {med(s.cold_bytes) / 1e6:.3f} |")
    print()
    for s in scenarios:
        if s.name == "stock":
            continue
        ratios = [f"localhost cold {med(s.times['cold']) / med(stock.times['cold']):.2f}"]
        ratios += [f"{k} {med(s.links[k]) / med(stock.links[k]):.2f}" for k in links]
        print(f"{s.name}/stock: " + ", ".join(ratios))


if __name__ == "__main__":
    sys.exit(main())
