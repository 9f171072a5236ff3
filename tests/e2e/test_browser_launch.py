"""The project's Chromium launch settings (scripts/chromium.py) do what they say.

Chromium keeps only the last ``--disable-features`` switch, so ours must repeat the features
Playwright turns off by default; these tests read the features the browser really runs with.
"""

from __future__ import annotations

import re

from playwright.sync_api import BrowserType

from scripts.chromium import BROWSER_UI_FEATURES, CHROMIUM, CHROMIUM_ARGS


def disabled_features(browser_type: BrowserType, args: list[str]) -> set[str]:
    """The features a Chromium launched with ``args`` (after Playwright's own) runs without."""
    browser = browser_type.launch(executable_path=CHROMIUM, args=args)
    try:
        page = browser.new_page()
        page.goto("chrome://version/?show-variations-cmd")
        text = page.inner_text("body")
    finally:
        browser.close()
    match = re.search(r'--disable-features="([^"]*)"', text)
    assert match, "chrome://version shows no disabled features"
    return set(match.group(1).split(","))


def test_launch_keeps_playwrights_disabled_features_and_adds_ours(
    browser_type: BrowserType,
) -> None:
    without_ours = [a for a in CHROMIUM_ARGS if not a.startswith("--disable-features=")]
    playwright_defaults = disabled_features(browser_type, without_ours)
    ours = disabled_features(browser_type, CHROMIUM_ARGS)
    assert "PaintHolding" in playwright_defaults  # the page is what we think it is
    lost = playwright_defaults - ours
    assert not lost, f"Playwright's defaults {lost} are lost: add them to scripts/chromium.py"
    assert set(BROWSER_UI_FEATURES) <= ours
