"""Flow benchmark: after the redirect back from ilert, how fast is the page filled, and
does it ever freeze? And how long from "Approve" to the profile shown, popup against redirect?

    python bench/flow.py [--runs 3] [--latency 0 150] [--modes redirect popup]

For each emulated network latency (Chromium's DevTools ``Network.emulateNetworkConditions``,
applied to every request: the page, the token endpoint, the API), the benchmark signs in
through the local emulator (serve.py with its emulator, on 127.0.0.1) and measures, on the
page that handles the redirect:
- ready → filled: from ``<html data-app-ready>`` to all four data panels filled (profile,
  alert sources, open alerts, on call): the code exchange plus the first data load;
- the longest main-thread task after ready (PerformanceObserver ``longtask``: tasks of
  50 ms or more; "< 50 ms" means none was reported).
- approve → profile shown, for each sign-in mode: from the click on ilert's "Approve" to the
  profile panel filled on the app page (wall clock, Date.now(), since the redirect mode
  shows it in a new document): the redirect mode loads the page and boots Python again,
  the popup mode hands the answer to the page that is already running.
Targets (issue "Never freeze the page"): ready → filled <= 0.75 s at 150 ms latency, and no
task over 150 ms after ready (redirect mode); (issue "popup sign-in") approve → profile shown
<= 0.35 s at 0 ms latency in the popup mode. Prints the median of the runs. A benchmark, not a
test: the machine's load makes the numbers noisy; compare runs on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.boot.keys import SIGNIN_MODE_KEY  # noqa: E402
from scripts.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.serving import start_serve  # noqa: E402

TARGET_FILLED_AT_150 = 0.75
TARGET_LONGEST_TASK = 0.150
TARGET_POPUP_APPROVE_AT_0 = 0.35
MODES = ("redirect", "popup")
PANELS = ("profile", "sources", "alerts", "oncall")

# Installed in every document: long tasks, the moment the app is ready, the moment every
# panel has content (and none is still loading).
PROBE = """
(() => {
  window.__bench = {longtasks: [], ready: null, filled: null, profile: null};
  try {
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
    }).observe({type: "longtask", buffered: true});
  } catch (e) {}
  const panels = PANEL_IDS;
  const check = () => {
    const root = document.documentElement;
    const b = window.__bench;
    if (b.ready === null && root.hasAttribute("data-app-ready")) b.ready = performance.now();
    const profile = document.getElementById("profile");
    if (b.profile === null && profile && profile.childElementCount > 0
        && !profile.hasAttribute("aria-busy")) b.profile = Date.now();
    if (b.ready !== null && b.filled === null && panels.every(id => {
      const el = document.getElementById(id);
      return el && el.childElementCount > 0 && !el.hasAttribute("aria-busy");
    })) b.filled = performance.now();
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
})();
""".replace("PANEL_IDS", json.dumps(PANELS))

# On ilert's (the emulator's) consent page: the wall-clock moment "Approve" is pressed.
APPROVE_PROBE = """
addEventListener("click", (e) => {
  const button = e.target.closest && e.target.closest("button");
  if (button && /Approve/.test(button.textContent)) window.__benchApproved(Date.now());
}, true);
"""


def emulate_latency(context, page, latency_ms: float) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency_ms,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        },
    )


def one_run(
    browser: Browser, app_url: str, latency_ms: float, mode: str
) -> tuple[float, float, float]:
    """(ready → filled, longest task after ready, approve → profile), in seconds."""
    context = browser.new_context()
    approved: list[float] = []
    try:
        context.expose_function("__benchApproved", lambda t: approved.append(t))
        context.add_init_script(APPROVE_PROBE)
        page = context.new_page()
        emulate_latency(context, page, latency_ms)
        # The popup gets the same link (from its first request on: close enough, the
        # measured part starts at Approve).
        context.on("page", lambda other: emulate_latency(context, other, latency_ms))
        page.add_init_script(PROBE)
        page.goto(app_url)
        page.evaluate(
            "([key, mode]) => mode === 'popup' ? localStorage.removeItem(key)"
            " : localStorage.setItem(key, mode)",
            [SIGNIN_MODE_KEY, mode],
        )
        page.reload()
        page.wait_for_selector("html[data-app-ready]:not([data-busy])", timeout=120_000)
        if mode == "popup":
            with page.expect_popup() as info:
                page.get_by_role("button", name="Sign in with ilert").click()
            signin = info.value
        else:
            page.get_by_role("button", name="Sign in with ilert").click()
            signin = page
        signin.locator("button[name=username][value=alice]").click()
        signin.get_by_role("button", name="Approve").click()
        if mode == "redirect":
            page.wait_for_url(app_url + "*", timeout=60_000)
        page.wait_for_function("() => window.__bench && window.__bench.filled", timeout=120_000)
        page.wait_for_timeout(300)  # let a last long task be reported
        bench = page.evaluate("() => window.__bench")
        ready, filled = bench["ready"], bench["filled"]
        after = [d for start, d in bench["longtasks"] if start + d > ready]
        return (
            (filled - ready) / 1000,
            (max(after) if after else 0.0) / 1000,
            (bench["profile"] - approved[-1]) / 1000,
        )
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per latency (default 3)")
    parser.add_argument("--latency", type=float, nargs="+", default=[0, 150], help="ms")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = parser.parse_args()
    server = start_serve("--emulator-port", "0", "--emulator-test-controls")
    results: dict[tuple[str, float], list[tuple[float, float, float]]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for mode in args.modes:
                for latency in args.latency:
                    results[mode, latency] = []
                    for _ in range(args.runs):
                        server.reset()
                        results[mode, latency].append(
                            one_run(browser, server.app_url, latency, mode)
                        )
            browser.close()
    finally:
        server.stop()
    ok = True
    if "redirect" in args.modes:
        print("redirect mode, on the page that handles the redirect:")
        print(f"{'latency':>8} {'ready→filled (s)':>17} {'longest task after ready (s)':>29}")
        for latency in args.latency:
            runs = results["redirect", latency]
            filled = statistics.median(r[0] for r in runs)
            longest = statistics.median(r[1] for r in runs)
            task = f"{longest:.3f}" if longest else "< 0.050"
            print(f"{latency:>6.0f}ms {filled:>17.3f} {task:>29}")
            if latency == 150 and filled > TARGET_FILLED_AT_150:
                ok = False
            if longest > TARGET_LONGEST_TASK:
                ok = False
    print("approve → profile shown (s):")
    print(f"{'latency':>8} " + " ".join(f"{mode:>9}" for mode in args.modes))
    for latency in args.latency:
        cells = []
        for mode in args.modes:
            shown = statistics.median(r[2] for r in results[mode, latency])
            cells.append(f"{shown:>9.3f}")
            if mode == "popup" and latency == 0 and shown > TARGET_POPUP_APPROVE_AT_0:
                ok = False
        print(f"{latency:>6.0f}ms " + " ".join(cells))
    print(
        f"targets: ready→filled <= {TARGET_FILLED_AT_150} s at 150 ms, no task over "
        f"{TARGET_LONGEST_TASK * 1000:.0f} ms after ready, popup approve→profile <= "
        f"{TARGET_POPUP_APPROVE_AT_0} s at 0 ms: {'met' if ok else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
