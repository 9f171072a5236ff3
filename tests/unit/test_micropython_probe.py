"""The MicroPython bench's probe (bench/micropython/probe.py): right on CPython, and what it
reports on the vendored MicroPython under Node (the interpreter PyScript's `mpy` loads).

docs/micropython.md is written from this report; when the core moves to the common subset,
the blockers asserted here go away and this test says so.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest

from tests.serving import ROOT

BENCH = ROOT / "bench" / "micropython"


def load_probe():
    spec = importlib.util.spec_from_file_location("mpy_probe", BENCH / "probe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def node_report() -> dict:
    done = subprocess.run(
        ["node", str(BENCH / "node_run.mjs")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_on_cpython_everything_passes_so_the_expectations_are_right() -> None:
    from app.core import errors  # imported by the session before the probe runs

    probe = load_probe()
    report = probe.run()
    assert report["implementation"].startswith("cpython 3.")
    assert sys.modules["app.core.errors"] is errors  # the session's modules are left as they were
    assert {k: v for k, v in report["imports"].items() if v != "ok"} == {}
    assert {k: v for k, v in report["features"].items() if v != "ok"} == {}
    assert report["imports_past_future"] == {}  # CPython has the real __future__
    flow = report["flow"]
    assert flow["authorize"].startswith("ok: http://localhost:4598/api/developers/oauth2/authorize")
    assert "code_challenge_method" in flow["authorize"]
    assert flow["callback"] == "ok: code the-code, verifier 43"
    assert flow["token_response"] == "ok: expires_at 1060.0, profile"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_on_micropython_under_node_the_report_names_the_blockers() -> None:
    report = node_report()
    probe = load_probe()
    assert report["implementation"] == "micropython 1.28.0"
    assert set(report["imports"]) == set(probe.CORE + probe.CLOSURE + probe.STDLIB)
    imports, past = report["imports"], report["imports_past_future"]
    # Every module of the core stops at `from __future__ import annotations` or earlier.
    assert [m for m in probe.CORE if imports[m] == "ok"] == []
    assert imports["app.core.pkce"] == "ImportError: no module named '__future__'"
    assert imports["app.core.servers"].startswith("SyntaxError")  # (*a, b) displays
    assert imports["app.core.protocol"].startswith("SyntaxError")  # {**a, b} displays
    # Past it: the stdlib modules MicroPython does not have.
    assert past["app.core.pkce"] == "ImportError: no module named 'secrets'"
    assert past["app.core.flow"] == "ImportError: no module named 'collections.abc'"
    assert past["app.boot.keys"] == "ok"
    assert past["app.core.backoff"] == "ImportError: no module named 'collections.abc'"
    for missing in ("dataclasses", "typing", "secrets", "urllib.parse", "contextlib"):
        assert imports[missing].startswith("ImportError"), missing
    for present in ("re", "hashlib", "json", "asyncio", "base64", "hmac"):
        assert imports[present] == "ok", present
    features = report["features"]
    assert features["re {m,n} repetition (pkce verifier)"] == "wrong: False"
    # Silently: the flow log's JWT redaction would never match (a token in the log).
    assert features["re {5,} (flowlog's JWT redaction)"] == "wrong: False"
    assert features["class annotations (dataclass fields)"].startswith("AttributeError")
    assert features["hashlib.sha256().digest"] == "ok"
    assert report["flow"] == {"authorize": "ImportError: no module named 'secrets'"}
