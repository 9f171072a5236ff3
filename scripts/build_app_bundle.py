"""Pack the app's Python modules into static/app.zip, which the page fetches in one request.

    python scripts/build_app_bundle.py           # rewrite static/app.zip from app/
    python scripts/build_app_bundle.py --check   # exit 1 when static/app.zip is out of date

PyScript unpacks the zip into the browser's file system (`pyscript.toml`: "./static/app.zip" =
"./*"), so one request replaces one per module. The bytes depend only on the sources (sorted
entries, fixed timestamps and permissions), so the committed bundle can be checked for staleness.
`app/main.py` stays outside: the page runs it as its PyScript entry point.
`serve.py` builds the bundle on the fly while app/ is newer than the file, so editing the app
and reloading the page just works during development.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
BUNDLE = ROOT / "static" / "app.zip"
ENTRY_POINT = "main.py"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def sources(app_dir: Path = APP) -> list[Path]:
    """Every module of the app, sub-packages (app/ui/) included, but the entry point."""
    entry = app_dir / ENTRY_POINT
    return sorted(p for p in app_dir.rglob("*.py") if p != entry and "__pycache__" not in p.parts)


def build(app_dir: Path = APP) -> bytes:
    """The bundle's bytes for the modules in ``app_dir``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sources(app_dir):
            name = path.relative_to(app_dir).as_posix()
            info = zipfile.ZipInfo(f"app/{name}", date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buffer.getvalue()


def newest_source_mtime(app_dir: Path = APP) -> float:
    return max((p.stat().st_mtime for p in sources(app_dir)), default=0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    args = parser.parse_args()
    fresh = build()
    if args.check:
        if BUNDLE.is_file() and BUNDLE.read_bytes() == fresh:
            print("static/app.zip is up to date")
            return 0
        print("static/app.zip is out of date: run python3 scripts/build_app_bundle.py")
        return 1
    BUNDLE.write_bytes(fresh)
    print(f"wrote static/app.zip ({len(sources())} modules, {len(fresh)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
