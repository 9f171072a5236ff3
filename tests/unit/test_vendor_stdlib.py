"""The vendored python_stdlib.zip (and its second part, python_stdlib_later.zip) is the
precompiled, cut build the manifest describes, and the cut covers every import in app/ (run
`python3 scripts/vendor_runtime.py --stdlib` when not)."""

from __future__ import annotations

import ast
import importlib.util
import sys
import zipfile

import pytest

from app.boot import later
from scripts import build_app_bundle, stdlib_cut, vendor_runtime
from tests.serving import ROOT

REL = f"{vendor_runtime.PYODIDE_DIR}/{vendor_runtime.STDLIB_ZIP}"
LATER_REL = f"{vendor_runtime.PYODIDE_DIR}/{vendor_runtime.STDLIB_LATER_ZIP}"
ZIP = ROOT / "static/vendor" / REL
LATER_ZIP = ROOT / "static/vendor" / LATER_REL
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


def module_of(entry_name: str) -> str:
    parts = entry_name.removesuffix(".pyc").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize(("path", "key"), [(ZIP, "modules"), (LATER_ZIP, "later_modules")])
def test_zips_hold_pyc_only_with_pyodides_magic(path, key: str) -> None:
    e = entry()
    magic = bytes.fromhex(e["pyc_magic"])
    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        names = {i.filename for i in infos}
        if not e["sources_kept"]:
            assert not [n for n in names if n.endswith(".py")]
        pycs = [i for i in infos if i.filename.endswith(".pyc")]
        assert sorted(module_of(i.filename) for i in pycs) == e[key]
        for info in pycs:
            head = z.read(info)[:16]
            assert head[:4] == magic, info.filename
            # PEP 552 flags: 0b01 = hash-based, 0b10 = check_source; unchecked means 0b01.
            assert int.from_bytes(head[4:8], "little") == 0b01, info.filename


def test_the_two_parts_split_the_cut() -> None:
    e = entry()
    first, later = set(e["modules"]), set(e["later_modules"])
    assert first and later and not first & later
    assert e["module_count"] == len(first)
    assert len(first | later) < e["upstream_modules"]
    assert {"json", "_pyodide", "asyncio.tasks", "encodings.utf_8", "encodings.cp437"} <= first
    assert {"hashlib", "email.message", "pyodide.http", "encodings.cp1252"} <= later
    # What the boot imports is in the first zip (`sys.modules` after Pyodide booted).
    assert set(e["boot_modules"]) & later == set()


def test_app_mounts_the_second_zip_where_the_manifest_says() -> None:
    e = entry()
    assert later.STDLIB_URL == f"static/vendor/{e['later_zip']}" == f"static/vendor/{LATER_REL}"
    assert e["later_mount_path"] == later.STDLIB_MOUNT_PATH
    boot_js = (ROOT / "static/boot.js").read_text()
    for url in later.URLS:
        assert f'["preload", "{url}"]' in boot_js


@pytest.mark.parametrize("path", [ZIP, LATER_ZIP])
def test_zips_are_deterministic(path) -> None:
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o40755}
    # Stored entries: the zip is compressed as a whole on the wire (its .br / .gz siblings).
    method = zipfile.ZIP_STORED if entry()["stored"] else zipfile.ZIP_DEFLATED
    assert {i.compress_type for i in infos if not i.is_dir()} == {method}


def test_precompressed_siblings_are_listed_with_their_source() -> None:
    files = vendor_runtime.load_manifest()["files"]
    for rel in (REL, LATER_REL):
        for suffix, encoding in ((".br", "br"), (".gz", "gzip")):
            sibling = files[rel + suffix]
            assert sibling["compressed_from"] == rel
            assert sibling["encoding"] == encoding
    assert f"{vendor_runtime.PYODIDE_DIR}/pyodide.asm.wasm.br" in files


# Modules the page's JavaScript provides at run time (Pyodide's `js`, PyScript's `polyscript`).
JS_PROVIDED = {"js", "pyodide_js", "polyscript", "_pyscript", "pyscript"}


def is_module_in_cpython(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def uncovered_imports(app_dir) -> list[str]:
    """Imports in app_dir's modules (anywhere, lazy ones included) that the cut zips lack,
    and module-level imports of the entry point and of the app modules it imports at once
    (static/app.zip) that the first zip lacks."""
    e = entry()
    # boot_modules also names what a package registers itself (`collections.abc`, `os.path`).
    first = set(e["modules"]) | set(e["builtin_modules"]) | set(e["boot_modules"])
    roots = {name.split(".")[0] for name in e["roots"]} | JS_PROVIDED
    app = vendor_runtime.app_roots(app_dir)
    stale = _uncovered(app, first | set(e["later_modules"]), roots, top_level_only=False)
    if (app_dir / build_app_bundle.ENTRY_POINT).is_file():
        eager = ["app.main"] + [
            build_app_bundle.module_name(path, app_dir) for path in build_app_bundle.eager(app_dir)
        ]
        stale += [
            f"{line} (before the second zip is mounted)"
            for line in _uncovered({n: app[n] for n in eager}, first, roots, top_level_only=True)
        ]
    return stale


def _uncovered(modules: dict, have: set[str], roots: set[str], top_level_only: bool) -> list:
    stale = []
    for name, (source, is_package) in modules.items():
        imported_names = stdlib_cut.imports_of(
            source, name, is_package, top_level_only=top_level_only
        )
        for imported in sorted(imported_names):
            if imported.split(".")[0] in roots or imported in have:
                continue
            parent = imported.rpartition(".")[0]
            # `from json import loads` names json.loads: fine unless json.loads is a module.
            if parent in have and not is_module_in_cpython(imported):
                continue
            stale.append(f"{name} imports {imported}")
    return stale


def test_every_app_import_is_in_the_cut_zips() -> None:
    stale = uncovered_imports(ROOT / "app")
    assert stale == [], (
        "the standard library zip is stale: run python3 scripts/vendor_runtime.py --stdlib"
    )


def test_staleness_check_catches_a_new_import(tmp_path) -> None:
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "new.py").write_text(
        "import json\n\ndef later():\n    import xml.dom.minidom  # lazily\n"
    )
    assert uncovered_imports(tmp_path) == [
        "app.new imports xml",
        "app.new imports xml.dom",
        "app.new imports xml.dom.minidom",
    ]


def test_staleness_check_catches_an_eager_import_of_the_second_zip(tmp_path) -> None:
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "main.py").write_text("import json\nfrom app import helper\n")
    (tmp_path / "helper.py").write_text("import hashlib\n\ndef later():\n    import secrets\n")
    assert uncovered_imports(tmp_path) == [
        "app.helper imports hashlib (before the second zip is mounted)"
    ]


def test_the_module_that_mounts_the_second_zip_uses_only_the_first() -> None:
    e = entry()
    first = set(e["modules"]) | set(e["builtin_modules"]) | set(e["boot_modules"]) | {"js"}
    source = (ROOT / "app/boot/later.py").read_text()
    # Function bodies too: they run before the mount is done.
    imported = stdlib_cut.imports_of(source, "app.boot.later", False)
    assert {n for n in imported if n.partition(".")[0] != "__future__"} <= first


def test_cut_keeps_what_the_runtime_needs_whole() -> None:
    e = entry()
    modules = set(e["modules"]) | set(e["later_modules"])
    # Whole packages, also the parts nothing imports statically (codecs looked up by name).
    assert {"encodings.cp1252", "encodings.latin_1", "encodings.idna"} <= modules
    assert {"asyncio.tasks", "json.decoder", "urllib.request", "pyodide.http"} <= modules
    assert {"_pyodide._importhook", "pyodide.ffi", "pyodide.webloop"} <= modules
    # The closure's roots: the app, PyScript's package (from its JavaScript), pyodide-http.
    roots = set(e["roots"])
    assert {"app.main", "app.ui.app", "pyscript", "pyscript.web", "pyodide_http"} <= roots
    # Left out: test suites and terminal tools.
    assert not [m for m in modules if m.split(".")[0] in ("test", "unittest", "tkinter")]
    assert set(e["boot_modules"]) & modules


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import a.b\n", {"a", "a.b"}),
        ("def f():\n    from c import d\n", {"c", "c.d"}),
        ("try:\n    import e\nexcept ImportError:\n    e = None\n", {"e"}),
        ("from . import g\nfrom .h import i\n", {"pkg", "pkg.g", "pkg.h", "pkg.h.i"}),
        ("m = __import__('j')\nimportlib.import_module('k.l')\n", {"j", "k", "k.l"}),
    ],
)
def test_imports_of_finds_every_import(source: str, expected: set[str]) -> None:
    assert stdlib_cut.imports_of(source, "pkg.mod", False) == expected


def test_top_level_only_leaves_out_function_bodies() -> None:
    source = (
        "import a\n"
        "try:\n    import b\nexcept ImportError:\n    pass\n"
        "class C:\n    import c\n    def m(self):\n        import d\n"
        "def f():\n    import e\n"
        "g = lambda: __import__('h')\n"
    )
    assert stdlib_cut.imports_of(source, "m", False, top_level_only=True) == {"a", "b", "c"}
    assert stdlib_cut.imports_of(source, "m", False) == {"a", "b", "c", "d", "e", "h"}


def test_script_only_code_is_skipped_in_the_stdlib() -> None:
    source = (
        "import a\n"
        "def main():\n    import argparse\n"
        "if __name__ == '__main__':\n    import pprint\n"
    )
    assert stdlib_cut.imports_of(source, "m", False, skip_script_code=True) == {"a"}
    assert stdlib_cut.imports_of(source, "m", False) == {"a", "argparse", "pprint"}


def test_stdlib_cut_runs_on_this_python() -> None:
    # scripts/stdlib_cut.py runs inside Pyodide (3.14) but must stay importable here.
    assert sys.version_info >= (3, 11)
    assert stdlib_cut.parents("a.b.c") == ["a", "a.b", "a.b.c"]


def test_docstrings_go_and_asserts_stay() -> None:
    source = (
        '"""Module doc."""\n'
        "class C:\n"
        '    """Class doc."""\n'
        "    def m(self):\n"
        '        """Only a docstring."""\n'
        "def f(x):\n"
        '    """Function doc."""\n'
        "    assert x, 'kept'\n"
        "    return 'not a docstring'\n"
    )
    namespace: dict = {}
    tree = stdlib_cut.without_docstrings(ast.parse(source))
    exec(compile(tree, "m.py", "exec"), namespace)
    assert namespace.get("__doc__") is None and namespace["C"].__doc__ is None
    assert namespace["f"].__doc__ is None and namespace["C"]().m() is None
    assert namespace["f"](1) == "not a docstring"
    with pytest.raises(AssertionError, match="kept"):
        namespace["f"](0)
    # Line numbers stay those of the source (tracebacks name the real line).
    assert namespace["f"].__code__.co_firstlineno == 6
