"""How the project launches Debian's Chromium headless (tests, benchmark): one place."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Chromium keeps only the last --disable-features switch, and Playwright passes its own
# (playwright-core's chromiumSwitches.ts); so ours repeats Playwright's list and adds to it.
# tests/e2e/test_browser_launch.py checks that the browser still sees all of Playwright's.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "TcpPortRandomizationWin",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
# Chromium builds the omnibox's popup (a WebUI page of some 60 modules, in a renderer of its
# own) for every new window, and Playwright opens a window for every browser context. On this
# 2-core machine that work ran beside every cold page load and held back its first paint by
# 50-100 ms. A user's browser does it once, at start-up: turned off, so that tests and the
# benchmark time the page and not the browser's own user interface.
BROWSER_UI_FEATURES = (
    "WebUIOmniboxPopup",
    "WebUIOmniboxFullPopup",
    "WebUIOmniboxAimPopup",
    "PreloadTopChromeWebUI",
)
DISABLED_FEATURES = PLAYWRIGHT_DISABLED_FEATURES + BROWSER_UI_FEATURES

# Background networking, updates and sync would reach for hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
]
