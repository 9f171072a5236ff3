"""The vendored python_stdlib.zip is the precompiled build the manifest describes."""

from __future__ import annotations

import zipfile

from scripts import vendor_runtime
from tests.serving import ROOT

REL = f"{vendor_runtime.PYODIDE_DIR}/{vendor_runtime.STDLIB_ZIP}"
ZIP = ROOT / "static/vendor" / REL
# Python 3.14's magic numbers are 3600-3699 (Lib/importlib/_bootstrap_external.py).
PY314_MAGICS = range(3600, 3700)


def entry() -> dict:
    return vendor_runtime.load_manifest()["files"][REL]


def test_manifest_records_how_the_stdlib_was_built() -> None:
    e = entry()
    assert e["upstream_sha256"] != e["sha256"]
    assert len(e["upstream_sha256"]) == 64
    assert e["python"].startswith("3.14.")
    assert e["pyc_magic_int"] in PY314_MAGICS
    assert bytes.fromhex(e["pyc_magic"])[2:] == b"\r\n"
    assert e["invalidation_mode"] == "UNCHECKED_HASH"


def test_zip_holds_pyc_only_with_pyodides_magic() -> None:
    e = entry()
    magic = bytes.fromhex(e["pyc_magic"])
    with zipfile.ZipFile(ZIP) as z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        names = {i.filename for i in infos}
        assert "json/__init__.pyc" in names and "_pyodide/__init__.pyc" in names
        if not e["sources_kept"]:
            assert not [n for n in names if n.endswith(".py")]
        pycs = [i for i in infos if i.filename.endswith(".pyc")]
        assert len(pycs) > 500
        for info in pycs:
            head = z.read(info)[:16]
            assert head[:4] == magic, info.filename
            # PEP 552 flags: 0b01 = hash-based, 0b10 = check_source; unchecked means 0b01.
            assert int.from_bytes(head[4:8], "little") == 0b01, info.filename


def test_zip_is_deterministic() -> None:
    with zipfile.ZipFile(ZIP) as z:
        infos = z.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o40755}
