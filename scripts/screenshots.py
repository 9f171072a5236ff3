"""Take the README's screenshots: the diagram after a full sign-in, and a teaching-mode step.

    python3 scripts/screenshots.py            # writes docs/images/diagram.png, teaching.png

Starts serve.py (app + emulator) on free ports, signs in as the demo user in Chromium
(scripts/chromium.py's settings) and captures the two parts of the page: the diagram with
the code exchange opened, and the teaching panel after the code exchange (the PKCE check).
PNGs are re-saved with a palette when Pillow is installed, to keep them small.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.serving import start_serve  # noqa: E402

OUT = ROOT / "docs" / "images"
WIDTH = 900
READY = "html[data-app-ready]"
IDLE = "html[data-app-ready]:not([data-busy])"


def shrink(path: Path) -> None:
    """Re-save as a 128-colour PNG (the page has few colours; text stays sharp)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


def sign_in(page: Page, teaching: bool) -> None:
    if teaching:
        page.locator("#settings summary").click()
        page.locator("#set-teaching").check()
        page.locator("#settings summary").click()
    page.get_by_role("button", name="Sign in with ilert").click()
    if teaching:
        page.locator('#teach[data-phase="authorize"] .teach-continue').click()
    page.locator("button[name=username][value=alice]").click()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector(READY, state="attached", timeout=60_000)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    server = start_serve("--emulator-port", "0")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto(server.app_url)
            page.wait_for_selector(IDLE, state="attached", timeout=60_000)
            sign_in(page, teaching=False)
            page.wait_for_selector(IDLE, state="attached", timeout=60_000)
            page.locator("#log-card").scroll_into_view_if_needed()
            page.wait_for_selector("#flow-diagram g.fd-exchange")
            page.locator("#flow-diagram g.fd-exchange").click()
            page.wait_for_timeout(300)
            target = OUT / "diagram.png"
            page.locator("#flow-diagram").screenshot(path=str(target))
            shrink(target)

            # Teaching mode in a fresh tab: the step after the code exchange.
            page.close()
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto(server.app_url)
            page.wait_for_selector(IDLE, state="attached", timeout=60_000)
            sign_in(page, teaching=True)
            page.locator('#teach[data-phase="callback"] .teach-continue').click()
            panel = page.locator('#teach[data-phase="exchange"]')
            panel.wait_for(timeout=60_000)
            page.wait_for_timeout(300)
            target = OUT / "teaching.png"
            # The panel down to the claims (the code, the PKCE check, the token response).
            clip = page.evaluate(
                """() => {
                  const panel = document.querySelector('#teach').getBoundingClientRect();
                  const parts = [...document.querySelectorAll('#teach .teach-section')];
                  const claims = parts.find(p => p.textContent.startsWith('Claims'));
                  const end = claims ? claims.getBoundingClientRect().top : panel.bottom;
                  return {x: panel.left, y: panel.top + scrollY, width: panel.width,
                          height: end - panel.top};
                }"""
            )
            page.screenshot(path=str(target), full_page=True, clip=clip)
            shrink(target)
            browser.close()
    finally:
        server.stop()
    for name in ("diagram.png", "teaching.png"):
        print(f"{OUT / name}: {(OUT / name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
