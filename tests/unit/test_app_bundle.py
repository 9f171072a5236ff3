"""static/app.zip, the app's modules in one request, is built from app/ and up to date."""

from __future__ import annotations

import io
import zipfile

from scripts import build_app_bundle
from tests.serving import ROOT


def test_committed_bundle_is_up_to_date() -> None:
    committed = (ROOT / "static/app.zip").read_bytes()
    assert committed == build_app_bundle.build(), (
        "static/app.zip is stale: run python3 scripts/build_app_bundle.py"
    )


def test_bundle_holds_every_module_but_the_entry_point() -> None:
    names = zipfile.ZipFile(io.BytesIO(build_app_bundle.build())).namelist()
    app = ROOT / "app"
    expected = sorted(
        f"app/{p.relative_to(app).as_posix()}"
        for p in app.rglob("*.py")
        if p != app / "main.py" and "__pycache__" not in p.parts
    )
    assert names == expected
    assert "app/__init__.py" in names and "app/ui/alerts.py" in names  # sub-packages too


def test_bundle_is_deterministic(tmp_path) -> None:
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "main.py").write_text("print()\n")
    first = build_app_bundle.build(tmp_path)
    (tmp_path / "a.py").touch()  # a new mtime must not change the bytes
    assert build_app_bundle.build(tmp_path) == first
    assert zipfile.ZipFile(io.BytesIO(first)).namelist() == ["app/a.py"]
