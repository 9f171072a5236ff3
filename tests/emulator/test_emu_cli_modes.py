"""The modes reach the emulator from its own CLI and through serve.py."""

from __future__ import annotations

import json
import re
import urllib.request

from tests.serving import emulator_cli, start_serve


def state(base: str) -> dict:
    req = urllib.request.Request(
        f"{base}/_emulator/state", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_cli_flags_set_the_modes():
    modes = ("--test-controls", "--strict-rotation", "--require-redirect-uri")
    with emulator_cli("--quiet", *modes) as process:
        first = process.stdout.readline()
        url = re.search(r"http://localhost:\d+", first).group(0)
        assert state(url)["modes"] == {"strict_rotation": True, "require_redirect_uri": True}


def test_serve_passes_the_modes_through():
    served = start_serve(
        "--emulator-port",
        "0",
        "--emulator-test-controls",
        "--emulator-strict-rotation",
        "--emulator-require-redirect-uri",
    )
    try:
        assert served.emulator_url
        assert state(served.emulator_url)["modes"] == {
            "strict_rotation": True,
            "require_redirect_uri": True,
        }
        served.reset()  # the start-up modes are the ones reset restores
        assert state(served.emulator_url)["modes"]["strict_rotation"] is True
    finally:
        served.stop()


def test_serve_defaults_are_ilerts():
    served = start_serve("--emulator-port", "0", "--emulator-test-controls")
    try:
        assert state(served.emulator_url)["modes"] == {
            "strict_rotation": False,
            "require_redirect_uri": False,
        }
    finally:
        served.stop()
