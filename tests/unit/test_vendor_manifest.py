"""The vendored runtime on disk is exactly what its manifest pins."""

from __future__ import annotations

import json
import tomllib

from scripts import csp, vendor_runtime
from tests.serving import ROOT


def test_files_match_the_manifest() -> None:
    assert vendor_runtime.check() == []


def test_manifest_pins_the_expected_versions() -> None:
    manifest = vendor_runtime.load_manifest()
    packages = manifest["packages"]
    assert packages["@pyscript/core"]["version"] == "0.7.31"
    assert packages["pyodide"]["version"].startswith("314.0.")
    assert packages["pyodide-http"]["version"] == "0.2.2"
    for entry in manifest["files"].values():
        assert len(entry["sha256"]) == 64


def test_page_and_config_point_only_at_vendored_files() -> None:
    html = (ROOT / "index.html").read_text()
    config = tomllib.loads((ROOT / "pyscript.toml").read_text())
    # Every URL outside the CSP (whose connect-src names config.json's origins) is relative.
    assert "://" not in csp.META_RE.sub("", html).replace("http://www.w3.org", "")
    assert config["interpreter"].startswith("./static/vendor/")
    for source in config["files"]:
        assert source.startswith("./"), source
    files = vendor_runtime.load_manifest()["files"]
    assert config["interpreter"].removeprefix("./static/vendor/") in files
    # No wheel at boot: pyodide-http is opt-in, loaded by app/xhr.py from a vendored file.
    assert not [s for s in config["files"] if s.endswith(".whl")]
    from app import xhr

    assert xhr.WHEEL.removeprefix("static/vendor/") in files


def test_manifest_is_valid_json_with_sorted_files() -> None:
    manifest = json.loads((ROOT / "static/vendor/MANIFEST.json").read_text())
    assert list(manifest["files"]) == sorted(manifest["files"])


def test_precompressed_siblings_decode_to_their_source() -> None:
    import gzip
    import hashlib

    import brotli

    files = vendor_runtime.load_manifest()["files"]
    siblings = {rel: e for rel, e in files.items() if "compressed_from" in e}
    assert siblings
    for rel, entry in siblings.items():
        data = (vendor_runtime.VENDOR / rel).read_bytes()
        decoded = brotli.decompress(data) if entry["encoding"] == "br" else gzip.decompress(data)
        assert hashlib.sha256(decoded).hexdigest() == files[entry["compressed_from"]]["sha256"]
