"""Pack the app's Python modules into two zips: static/app.zip and static/app_later.zip.

    python scripts/build_app_bundle.py           # rewrite both from app/
    python scripts/build_app_bundle.py --check   # exit 1 when either is out of date

- static/app.zip: what `app/main.py` imports at module level (app.boot.address, app.boot.keys,
  app.boot.later and their package), before "Sign in" is usable. PyScript unpacks it into the
  browser's file system (`pyscript.toml`: "./static/app.zip" = "./*").
- static/app_later.zip: every other module of app/. `app/boot/later.py` fetches it once "Sign in"
  is usable and unpacks it beside the first before the page is built.

So the first visit waits for a few KB of the app instead of all of it, and one request
replaces one per module. The modules are shipped without docstrings and comments (`shipped`:
a third fewer bytes), each line where it was, so tracebacks still point at the source.
The bytes depend only on the sources (sorted entries, fixed timestamps and permissions), so
the committed bundles can be checked for staleness.
`app/main.py` stays outside: the page runs it as its PyScript entry point.
`serve.py` builds the bundles on the fly from app/, so editing the app and reloading the page
just works during development.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python3 scripts/build_app_bundle.py`
    sys.path.insert(0, str(ROOT))

from scripts.stdlib_cut import DOCUMENTED, imports_of  # noqa: E402

APP = ROOT / "app"
BUNDLES = {"boot": ROOT / "static" / "app.zip", "later": ROOT / "static" / "app_later.zip"}
ENTRY_POINT = "main.py"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def sources(app_dir: Path = APP) -> list[Path]:
    """Every module of the app, sub-packages (app/ui/) included, but the entry point."""
    entry = app_dir / ENTRY_POINT
    return sorted(p for p in app_dir.rglob("*.py") if p != entry and "__pycache__" not in p.parts)


def module_name(path: Path, app_dir: Path) -> str:
    parts = ["app", *path.relative_to(app_dir).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def eager(app_dir: Path = APP) -> list[Path]:
    """The modules that importing the entry point imports at once (module-level imports,
    followed through the app's own modules), and their packages."""
    by_name = {module_name(p, app_dir): p for p in sources(app_dir)}
    entry = app_dir / ENTRY_POINT
    todo = imports_of(entry.read_text(encoding="utf-8"), "app.main", False, top_level_only=True)
    found: set[str] = set()
    while todo:
        name = todo.pop()
        if name in found or name not in by_name:
            continue
        found.add(name)
        path = by_name[name]
        is_package = path.name == "__init__.py"
        todo |= imports_of(path.read_text(encoding="utf-8"), name, is_package, top_level_only=True)
    return sorted(by_name[name] for name in found)


def build(app_dir: Path = APP, part: str = "boot") -> bytes:
    """The bytes of one bundle ("boot": static/app.zip, "later": static/app_later.zip)."""
    first = eager(app_dir)
    chosen = first if part == "boot" else [p for p in sources(app_dir) if p not in first]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in chosen:
            name = path.relative_to(app_dir).as_posix()
            info = zipfile.ZipInfo(f"app/{name}", date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, shipped(path.read_text(encoding="utf-8")).encode())
    return buffer.getvalue()


def shipped(source: str) -> str:
    """The source as the browser gets it: without docstrings and comments, which nothing in
    the page reads, but with every line where it was (tracebacks keep their line numbers)
    and with asserts kept (unlike ``python -OO``)."""
    lines = source.splitlines(keepends=True)
    for row, col in _comments(source):
        line = lines[row]
        lines[row] = line[:col].rstrip() + ("\n" if line.endswith("\n") else "")
    for first, last, body_needed in _docstrings(source):
        blank = ["\n"] * (last - first + 1)
        if body_needed:  # the docstring was the whole body: something must stay
            indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
            blank[0] = f"{indent}pass\n"
        lines[first : last + 1] = blank
    return "".join(lines)


def _comments(source: str) -> list[tuple[int, int]]:
    """(line, column), 0-based, of every comment."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(t.start[0] - 1, t.start[1]) for t in tokens if t.type == tokenize.COMMENT]


def _docstrings(source: str) -> list[tuple[int, int, bool]]:
    """(first line, last line, 0-based; whether a body must stay) of every docstring that has
    its lines to itself (one that shares a line with code is kept)."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, DOCUMENTED) or not node.body:
            continue
        doc = node.body[0]
        if not (
            isinstance(doc, ast.Expr)
            and isinstance(doc.value, ast.Constant)
            and isinstance(doc.value.value, str)
        ):
            continue
        first, last = doc.lineno - 1, doc.end_lineno - 1
        before, after = lines[first][: doc.col_offset], lines[last][doc.end_col_offset :]
        if before.strip() or after.split("#")[0].strip():
            continue
        found.append((first, last, len(node.body) == 1 and not isinstance(node, ast.Module)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    args = parser.parse_args()
    stale = []
    for part, bundle in BUNDLES.items():
        fresh = build(part=part)
        rel = bundle.relative_to(ROOT).as_posix()
        if args.check:
            if not (bundle.is_file() and bundle.read_bytes() == fresh):
                stale.append(rel)
            continue
        bundle.write_bytes(fresh)
        count = len(zipfile.ZipFile(io.BytesIO(fresh)).namelist())
        print(f"wrote {rel} ({count} modules, {len(fresh)} bytes)")
    if stale:
        print(f"out of date: {', '.join(stale)}: run python3 scripts/build_app_bundle.py")
        return 1
    if args.check:
        print("static/app.zip and static/app_later.zip are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
