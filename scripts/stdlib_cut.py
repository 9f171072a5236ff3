"""The standard library cut to what the page can import (run inside Pyodide, under Node).

`scripts/vendor_runtime.py --stdlib` boots the pinned Pyodide under Node, writes upstream's
`python_stdlib.zip` and the root modules into its file system and calls `build()` here. It must
run in Pyodide's own Python: the stdlib is 3.14 source (CPython 3.11 cannot parse all of it) and
the `.pyc` magic number must be the browser's.

The closure starts from the roots (every module of app/, PyScript's `pyscript` package as
shipped inside @pyscript/core's JavaScript, pyodide-http, the import statements PyScript's and
Pyodide's JavaScript run, Pyodide's own `pyodide` and `_pyodide` packages and whatever Pyodide
imports while it boots) and follows every import statement in every function, also those
guarded by `try` or `if` (a guarded import that is never taken costs a few KB; a missing one an
ImportError in a user's browser), plus `__import__("x")` / `import_module("x")` with a literal.
Generous on purpose: the packages in ALWAYS are taken whole (minus tests), and the closure
follows their imports too. Left out: NEVER (tests, tools for a terminal) and the code that only
runs as `python -m module` (`if __name__ == "__main__":`, functions named `main`/`_main`/`_test`).

The closure is written as two zips (`build`): the first holds what runs before "Sign in" is
usable (`boot_part`: the module-level imports of Pyodide's boot, PyScript and `app.main`),
the second everything else, which app/boot/later.py mounts before the page is built.
Docstrings can be left out (`without_docstrings`, as `python -OO` does, asserts kept).

This file also runs under CPython (tests import its pure helpers), so it keeps to 3.11 syntax.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import zipfile

FIXED_TIME = (1980, 1, 1, 0, 0, 0)

# Taken whole whatever the closure says: text codecs are looked up by name at run time
# (`bytes.decode(charset)` with a charset from an HTTP header), and the rest is what the app's
# transports and Pyodide's event loop rely on.
ALWAYS = (
    "encodings",
    "asyncio",
    "json",
    "collections",
    "importlib",
    "re",
    "urllib",
    "pyodide",
    "_pyodide",
    "traceback",
    "linecache",
    "tokenize",
    "codecs",
    "site",
    "sysconfig",
)
# Not taken with their package in ALWAYS (but taken when anything imports them): Pyodide's
# REPL console (platform, ctypes, xml, ...) and the metadata/resource readers of installed
# distributions (the page installs none).
# Nor the command-line tools inside packages (`python -m json.tool`, `asyncio.__main__`).
WHOLE_PACKAGE_EXCEPT = (
    "pyodide.console",
    "importlib.metadata",
    "importlib.resources",
    "json.tool",
)
# Never taken, even when something names them: test suites and tools that cannot run in a
# browser page (no processes, no terminal, no Tk). Importing one fails with ImportError, as it
# would in Pyodide for modules it does not ship at all (`_tkinter`, `_multiprocessing`).
NEVER = (
    "test",
    "idlelib",
    "tkinter",
    "turtle",
    "turtledemo",
    "lib2to3",
    "ensurepip",
    "venv",
    "pydoc_data",
    "_pyrepl",
    "multiprocessing",
    "concurrent.futures.process",
    "unittest",
    "doctest",
    "pdb",
    "pydoc",
    "__phello__",
    "__hello__",
    "ctypes.macholib",
)


def parents(name: str) -> list[str]:
    """`a.b.c` -> [`a`, `a.b`, `a.b.c`]."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def excluded(name: str) -> bool:
    if any(name == n or name.startswith(n + ".") for n in NEVER):
        return True
    return any(p in ("test", "tests", "idle_test") for p in name.split(".")[1:])


# Functions that are a module's command-line entry point: their imports (argparse, pprint, ...)
# serve `python -m module`, which a page never runs.
SCRIPT_ENTRY_POINTS = ("main", "_main", "_test", "test", "_parse_args", "_test_generator")


def is_main_guard(node: ast.AST) -> bool:
    """`if __name__ == "__main__":`"""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    sides = [node.test.left, *node.test.comparators]
    names = {getattr(s, "id", None) for s in sides} | {getattr(s, "value", None) for s in sides}
    return {"__name__", "__main__"} <= names


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def walk(tree: ast.AST, skip_script_code: bool, top_level_only: bool = False):
    """ast.walk, optionally without the code that only runs as a script (see above), or
    without function bodies (top_level_only: what importing the module runs)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if top_level_only and isinstance(node, FUNCTIONS):
            continue
        if skip_script_code and (
            is_main_guard(node)
            or (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name in SCRIPT_ENTRY_POINTS
            )
        ):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def imports_of(
    source: bytes | str,
    module: str,
    is_package: bool,
    skip_script_code: bool = False,
    top_level_only: bool = False,
) -> set[str]:
    """Every module name `source` can import, anywhere in it (absolute, dotted).

    For `from a import b` both `a` and `a.b` are named (b may be a submodule); callers keep the
    names that exist. skip_script_code: leave out what only `python -m module` runs (for the
    stdlib; the app's own modules are always read in full). top_level_only: only what
    importing the module imports (module and class bodies, `try`/`if` included; no function
    bodies).
    """
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in walk(ast.parse(source), skip_script_code, top_level_only):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                stem = ".".join(p for p in base if p)
                target = ".".join(p for p in (stem, node.module or "") if p)
            else:
                target = node.module or ""
            if not target:
                continue
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if (
                called in ("__import__", "import_module")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
            ):
                names.add(arg.value)
    return {p for n in names if n for p in parents(n)}


class Stdlib:
    """The modules of a stdlib zip: dotted name -> (entry name, is a package)."""

    def __init__(self, zip_path: str) -> None:
        self.zip = zipfile.ZipFile(zip_path)
        self.modules: dict[str, tuple[str, bool]] = {}
        for entry in self.zip.namelist():
            if not entry.endswith(".py"):
                continue
            parts = entry[:-3].split("/")
            if not all(p.isidentifier() for p in parts):
                continue
            if parts[-1] == "__init__":
                self.modules[".".join(parts[:-1])] = (entry, True)
            else:
                self.modules[".".join(parts)] = (entry, False)

    def imports(self, name: str, top_level_only: bool = False) -> set[str]:
        entry, is_package = self.modules[name]
        return imports_of(
            self.zip.read(entry),
            name,
            is_package,
            skip_script_code=True,
            top_level_only=top_level_only,
        )

    def package_members(self, package: str) -> set[str]:
        return {m for m in self.modules if m == package or m.startswith(package + ".")}


def closure(stdlib: Stdlib, roots: dict[str, tuple[str, bool]], names: set[str]) -> set[str]:
    """Stdlib modules reachable from the root sources and root names (generously, see top)."""
    wanted: set[str] = set()
    todo: set[str] = set(names)
    for module, (source, is_package) in roots.items():
        todo |= imports_of(source, module, is_package)
    for package in ALWAYS:
        todo |= {
            m
            for m in stdlib.package_members(package)
            if not any(m == x or m.startswith(x + ".") for x in WHOLE_PACKAGE_EXCEPT)
            and not m.endswith(".__main__")
        }
    while todo:
        name = todo.pop()
        if name in wanted or name not in stdlib.modules or excluded(name):
            continue
        wanted.add(name)
        todo |= stdlib.imports(name)
    return wanted


def boot_part(
    stdlib: Stdlib, roots: dict[str, tuple[str, bool]], eager: set[str], wanted: set[str]
) -> set[str]:
    """The stdlib modules of `wanted` that importing the eager names imports, at once.

    Eager: what runs before "Sign in" is usable (what Pyodide imports while it boots, the
    Python that PyScript's and Pyodide's JavaScript run, PyScript's package and the app's entry
    point). Only module-level imports are followed, through root modules and the stdlib alike:
    a function body runs later, after the rest of the stdlib is mounted (app/boot/later.py).
    """
    seen: set[str] = set()
    todo = {p for name in eager for p in parents(name)}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in roots:
            source, is_package = roots[name]
            todo |= imports_of(source, name, is_package, top_level_only=True)
        elif name in wanted:
            todo |= stdlib.imports(name, top_level_only=True)
    return seen & wanted


def missing_imports(
    stdlib: Stdlib, roots: dict[str, tuple[str, bool]], builtin: set[str]
) -> list[str]:
    """What the roots import that neither the stdlib zip, the interpreter nor the roots have
    (JavaScript-provided modules such as `js`, MicroPython's `ujson`, ...): for the manifest."""
    have = set(stdlib.modules) | builtin | set(roots)
    out = set()
    for module, (source, is_package) in roots.items():
        out |= {n for n in imports_of(source, module, is_package) if "." not in n}
    return sorted(out - have)


def data_files(stdlib: Stdlib, wanted: set[str]) -> list[str]:
    """Non-Python files that live in the folder of a package that is kept."""
    folders = {stdlib.modules[m][0].rpartition("/")[0] for m in wanted if stdlib.modules[m][1]}
    folders.add("site-packages")
    out = []
    for entry in stdlib.zip.namelist():
        if entry.endswith((".py", "/")):
            continue
        folder = entry.rpartition("/")[0]
        if folder in folders and not entry.endswith(("mypy.ini", ".bat")):
            out.append(entry)
    return out


DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def without_docstrings(tree: ast.Module) -> ast.Module:
    """The tree without module, class and function docstrings, as `python -OO` compiles it
    (`__doc__` is None), but with asserts and `if __debug__:` blocks kept (-OO drops those)."""
    for node in ast.walk(tree):
        if not isinstance(node, DOCUMENTED) or not node.body:
            continue
        first = node.body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            node.body.pop(0)
            if not node.body:
                node.body.append(ast.copy_location(ast.Pass(), first))
    return tree


def compiled_entries(
    stdlib: Stdlib,
    names: set[str],
    prefix: str,
    optimize: int,
    keep_sources: bool,
    strip_docstrings: bool = False,
) -> dict[str, bytes]:
    """Zip entries of the modules `names`, compiled to unchecked hash-based .pyc files."""
    from importlib._bootstrap_external import _code_to_hash_pyc

    entries: dict[str, bytes] = {}
    for name in sorted(names):
        entry = stdlib.modules[name][0]
        data = stdlib.zip.read(entry)
        source = without_docstrings(ast.parse(data)) if strip_docstrings else data
        # co_filename: where zipimport finds the module, so tracebacks name the real file.
        code = compile(source, prefix + entry, "exec", dont_inherit=True, optimize=optimize)
        pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
        entries[entry + "c"] = bytes(pyc)
        if keep_sources:
            entries[entry] = data
    return entries


def write_zip(dst_zip: str, entries: dict[str, bytes], store: bool) -> None:
    """A deterministic zip: sorted entries, a directory entry for every folder (as upstream
    has them), fixed times and permissions."""
    tree: dict[str, bytes | None] = dict(entries)
    for entry in entries:
        parts = entry.split("/")[:-1]
        for i in range(len(parts)):
            tree.setdefault("/".join(parts[: i + 1]) + "/", None)
    method = zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(dst_zip, "w") as out:
        for name in sorted(tree):
            data = tree[name]
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.create_system = 3
            if data is None:
                info.external_attr = (0o40755 << 16) | 0x10
                out.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = method
                out.writestr(info, data, compresslevel=None if store else 9)


def later_mount_path(boot_zip_path: str) -> str:
    """Where app/boot/later.py writes the second zip: beside the first (`/lib/python314.zip`
    -> `/lib/python314_later.zip`)."""
    return boot_zip_path[: -len(".zip")] + "_later.zip"


def build(
    src_zip: str,
    dst_zip: str,
    dst_later_zip: str,
    roots: dict[str, tuple[str, bool]],
    root_names: list[str],
    eager: list[str],
    optimize: int,
    keep_sources: bool,
    store: bool,
    strip_docstrings: bool = False,
) -> dict:
    """Write the cut, precompiled stdlib as two zips: dst_zip, what the eager names import at
    once (Pyodide loads it as its stdlib), and dst_later_zip, the rest of the closure (the app
    mounts it before it imports anything else); return what the manifest records."""
    stdlib = Stdlib(src_zip)
    builtin = set(sys.builtin_module_names)
    wanted = closure(stdlib, roots, set(root_names))
    boot = boot_part(stdlib, roots, set(eager), wanted)
    boot_path = next(p for p in sys.path if p.endswith(".zip"))
    later_path = later_mount_path(boot_path)
    entries = compiled_entries(
        stdlib, boot, boot_path + "/", optimize, keep_sources, strip_docstrings
    )
    for entry in data_files(stdlib, wanted):
        entries[entry] = stdlib.zip.read(entry)
    write_zip(dst_zip, entries, store)
    later = wanted - boot
    write_zip(
        dst_later_zip,
        compiled_entries(stdlib, later, later_path + "/", optimize, keep_sources, strip_docstrings),
        store,
    )
    return {
        "modules": sorted(boot),
        "later_modules": sorted(later),
        "later_mount_path": later_path,
        "missing_from_roots": missing_imports(stdlib, roots, builtin),
        "builtin_modules": sorted(builtin),
        "upstream_modules": len(stdlib.modules),
        "pyc_magic": importlib.util.MAGIC_NUMBER.hex(),
        "python": sys.version.split()[0],
    }
