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
    # No wheel at boot: pyodide-http is opt-in, loaded by app/browser/xhr.py from a vendored file.
    assert not [s for s in config["files"] if s.endswith(".whl")]
    from app.browser import xhr

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


def test_micropython_is_the_version_pyscript_names_and_the_app_does_not_load_it() -> None:
    manifest = vendor_runtime.load_manifest()
    package = manifest["packages"][vendor_runtime.MICROPYTHON_PACKAGE]
    assert package["version"] == vendor_runtime.MICROPYTHON_VERSION
    assert package["integrity"].startswith("sha512-")
    # PyScript's core builds its (never contacted) CDN URL for `mpy` from this version.
    pyscript = ROOT / "static/vendor" / f"pyscript-{vendor_runtime.PYSCRIPT_VERSION}"
    cores = [p.read_text(encoding="utf-8") for p in pyscript.glob("core-*.js")]
    assert any(f'(e="{package["version"]}")' in core for core in cores)
    for name in vendor_runtime.MICROPYTHON_FILES:
        rel = f"{vendor_runtime.MICROPYTHON_DIR}/{name}"
        assert manifest["files"][rel]["package"] == vendor_runtime.MICROPYTHON_PACKAGE
        assert f"{rel}.br" in manifest["files"]
    # The app's page, its boot script and its runtime config never point at it.
    for path in ("index.html", "static/boot.js", "pyscript.toml"):
        assert vendor_runtime.MICROPYTHON_DIR not in (ROOT / path).read_text(encoding="utf-8")
