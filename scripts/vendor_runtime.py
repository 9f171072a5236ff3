"""Re-create the vendored browser runtime under static/vendor/ from the registries.

    python scripts/vendor_runtime.py           # fetch, unpack, rewrite static/vendor/MANIFEST.json
    python scripts/vendor_runtime.py --stdlib  # only re-cut the stdlib (after app/ changes)
    python scripts/vendor_runtime.py --micropython  # only re-vendor MicroPython (bench only)
    python scripts/vendor_runtime.py --check   # verify the files on disk against the manifest

The npm tarballs are kept in .vendor-cache/npm/ (gitignored; checked against the integrity the
manifest pins), so `--stdlib` runs offline once they are there.

Sources (pinned below): @pyscript/core and pyodide from the npm registry (`npm pack`, whose
integrity npm checks), pyodide-http from PyPI (`pip download`, checked against PYODIDE_HTTP_SHA256).
Only the files the page can load are kept: no source maps, type declarations or consoles.

One file is built rather than copied: Pyodide's `python_stdlib.zip` is replaced by a
precompiled one cut to the modules the page can import (see `build_stdlib` and
scripts/stdlib_cut.py), split in two: `python_stdlib.zip`, what runs before "Sign in" is
usable (Pyodide loads it), and `python_stdlib_later.zip`, the rest (app/boot/later.py
mounts it). Upstream ships the standard library as `.py` sources,
so CPython compiles every module it imports from source on every page load (about 1.5 s of
a 3 s boot). The vendored Pyodide itself, run under Node, compiles each module to an
unchecked hash-based `.pyc` (no mtimes; the magic number is that Pyodide's own, so it can
never mismatch) and writes the zip deterministically: sorted entries, fixed timestamps and
permissions, entries stored (see STDLIB_STORE). Same input, same bytes.

The `.py` sources are left out: keeping them would add 2.5 MB to every cold load for the sake
of source lines in tracebacks of stdlib frames. Without them a traceback still names the file
and line of every stdlib frame (`/lib/python314.zip/json/decoder.py", line 361`), only the
source text line is missing; the app's own code stays `.py` and shows in full. Docstrings
are left out, as `python -OO` does (`__doc__` is None; the standard library supports that
mode), but asserts are kept (optimize=0): 15 % fewer bytes, and nothing the page shows reads
a stdlib docstring.

The big files get precompressed siblings (`.br`, `.gz`, see `precompress`), listed in the
manifest like every other file, for hosts that serve them (nginx `brotli_static`/`gzip_static`,
serve.py).

The manifest records, for every vendored file, the package it came from, its version and its
sha256, so tests can prove that the served bytes are the pinned ones.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"

PYSCRIPT_VERSION = "0.7.31"
PYODIDE_VERSION = "314.0.2"  # the version PyScript 0.7.31 defaults to
PYODIDE_HTTP_VERSION = "0.2.2"
PYODIDE_HTTP_WHEEL = f"pyodide_http-{PYODIDE_HTTP_VERSION}-py3-none-any.whl"
PYODIDE_HTTP_SHA256 = "cf006ea593c1643b5badeb4d42ed24a6eebd830276171fa1f82de0777b3fb608"
# PyScript's second interpreter (`mpy`), for bench/micropython only: the app page never loads
# it (docs/micropython.md). The version PyScript 0.7.31's core names for `mpy` (its CDN URL,
# micropython-webassembly-pyscript@1.28.0-6, which the page never contacts).
MICROPYTHON_PACKAGE = "@micropython/micropython-webassembly-pyscript"
MICROPYTHON_VERSION = "1.28.0-6"

PYSCRIPT_DIR = f"pyscript-{PYSCRIPT_VERSION}"
PYODIDE_DIR = f"pyodide-{PYODIDE_VERSION}"
WHEELS_DIR = "wheels"
MICROPYTHON_DIR = f"micropython-{MICROPYTHON_VERSION}"
# The plain build (no settrace, no ulab): the one PyScript loads unless asked for those.
MICROPYTHON_FILES = ("micropython.mjs", "micropython.wasm")

# What Pyodide itself fetches at start-up from its indexURL.
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)


STDLIB_ZIP = "python_stdlib.zip"
# The part of the cut that the page needs only after "Sign in" is usable; app/boot/later.py
# fetches and mounts it (see scripts/stdlib_cut.py's build()).
STDLIB_LATER_ZIP = "python_stdlib_later.zip"
# What runs before "Sign in" is usable: the module-level imports of these (and of Pyodide's
# boot and PyScript's package) make the first zip; everything else waits for the second, which
# app/main.py mounts before it imports any other app module. Codecs are imported by name at
# run time, where the closure cannot see them: zipfile reads entry names as cp437 (PyScript
# unpacks static/app.zip with it), and the common single-byte ones are a few KB.
EAGER_MODULES = (
    "app.main",
    "encodings.cp437",
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_8_sig",
)
# Compilation settings of the precompiled stdlib, recorded in the manifest.
STDLIB_OPTIMIZE = 0
STDLIB_KEEP_SOURCES = False
# Docstrings left out, as `python -OO` does (asserts stay): 15 % fewer bytes before "Sign in".
STDLIB_STRIP_DOCSTRINGS = True
# Entries stored, not deflated: the zip then compresses as one stream (brotli, gzip on the
# wire), which finds the redundancy between the .pyc files that per-entry deflate cannot.
STDLIB_STORE = True

APP_DIR = ROOT / "app"
CACHE = ROOT / ".vendor-cache" / "npm"
STDLIB_CUT_SCRIPT = Path(__file__).resolve().parent / "stdlib_cut.py"
# PyScript ships its Python package as an object literal inside its core chunk.
PYSCRIPT_PACKAGE_MARKER = '{pyscript:{"__init__.py"'
# `import x` / `from x import` in Python code that JavaScript runs (PyScript, Pyodide).
JS_PY_IMPORT = re.compile(r"(?:\bfrom\s+([A-Za-z_][\w.]*)\s+import\b|\bimport\s+([A-Za-z_][\w.]*))")

# Runs the stdlib cut inside the given Pyodide (see scripts/stdlib_cut.py).
STDLIB_CUT_MJS = r"""
import fs from "node:fs";
import { pathToFileURL } from "node:url";
const [indexDir, jobPath] = process.argv.slice(2);
const job = JSON.parse(fs.readFileSync(jobPath, "utf8"));

// PyScript's Python package: the object literal in its core chunk, evaluated as JavaScript.
function pyscriptPackage(js, marker) {
  const start = js.indexOf(marker);
  if (start < 0) throw new Error("PyScript's Python package not found in " + job.pyscriptChunk);
  let depth = 0, i = start, quote = null;
  for (; i < js.length; i++) {
    const c = js[i];
    if (quote) { if (c === "\\") i++; else if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) break;
  }
  return Function(`"use strict"; return (${js.slice(start, i + 1)});`)();
}
function flatten(tree, prefix, out) {
  for (const [name, value] of Object.entries(tree)) {
    if (typeof value === "string") {
      if (!name.endsWith(".py")) continue;
      const stem = name.slice(0, -3);
      out[stem === "__init__" ? prefix : prefix + "." + stem] = [value, stem === "__init__"];
    } else flatten(value, prefix ? prefix + "." + name : name, out);
  }
  return out;
}
const chunk = fs.readFileSync(job.pyscriptChunk, "utf8");
const pyscript = flatten(pyscriptPackage(chunk, job.marker), "", {});
const roots = { ...job.roots, ...pyscript };

const { loadPyodide } = await import(pathToFileURL(indexDir + "/pyodide.mjs").href);
const py = await loadPyodide({ indexURL: indexDir + "/" });
py.FS.mkdirTree("/tmp/cut");
py.FS.writeFile("/tmp/cut/upstream.zip", fs.readFileSync(job.upstream));
py.FS.writeFile("/tmp/cut/stdlib_cut.py", fs.readFileSync(job.script));
py.globals.set("job_json", JSON.stringify({ ...job, roots }));
const result = py.runPython(`
import json, sys
boot = sorted(sys.modules)  # what Pyodide imported while it booted, before we import anything
sys.path.insert(0, "/tmp/cut")
import stdlib_cut
job = json.loads(job_json)
roots = {name: (src, is_pkg) for name, (src, is_pkg) in job["roots"].items()}
info = stdlib_cut.build("/tmp/cut/upstream.zip", "/tmp/cut/built.zip", "/tmp/cut/later.zip",
                        roots, job["rootNames"] + boot, job["eager"] + job["rootNames"] + boot,
                        job["optimize"], job["keepSources"], job["store"],
                        job["stripDocstrings"])
info["roots"] = sorted(roots)
info["boot_modules"] = boot
json.dumps(info)
`);
fs.writeFileSync(job.dest, py.FS.readFile("/tmp/cut/built.zip"));
fs.writeFileSync(job.destLater, py.FS.readFile("/tmp/cut/later.zip"));
fs.writeFileSync(job.info, result);
"""


def app_roots(app_dir: Path = APP_DIR) -> dict[str, list]:
    """app/**/*.py as closure roots: module name -> [source, is a package]."""
    roots = {}
    for path in sorted(app_dir.rglob("*.py")):
        parts = ["app", *path.relative_to(app_dir).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        roots[name] = [path.read_text(encoding="utf-8"), is_package]
    return roots


def wheel_roots(wheel: Path) -> dict[str, list]:
    """The Python modules of a pure-Python wheel as closure roots."""
    roots = {}
    with zipfile.ZipFile(wheel) as z:
        for entry in sorted(z.namelist()):
            if not entry.endswith(".py") or ".dist-info/" in entry:
                continue
            parts = entry[:-3].split("/")
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            roots[name] = [z.read(entry).decode("utf-8"), is_package]
    return roots


def js_import_names(paths: list[Path]) -> list[str]:
    """Module names that Python snippets inside JavaScript files import (a generous guess:
    names that are no module are dropped by the closure)."""
    names = set()
    for path in paths:
        for match in JS_PY_IMPORT.finditer(path.read_text(encoding="utf-8", errors="replace")):
            names.add(match.group(1) or match.group(2))
    return sorted(names)


def build_stdlib(
    pyodide_pkg: Path,
    pyscript_dist: Path,
    wheel: Path,
    dest: Path,
    dest_later: Path,
    workdir: Path,
) -> dict:
    """Cut and precompile upstream's python_stdlib.zip (from the unpacked npm package
    pyodide_pkg, whose Pyodide runs the build under Node) into dest and dest_later; see
    scripts/stdlib_cut.py.

    Returns what the manifest records about the build.
    """
    upstream_zip = pyodide_pkg / STDLIB_ZIP
    chunks = [p for p in sorted(pyscript_dist.glob("*.js")) if keep_pyscript_file(p.name)]
    chunk = next(p for p in chunks if PYSCRIPT_PACKAGE_MARKER in p.read_text(encoding="utf-8"))
    js_files = [*chunks, pyodide_pkg / "pyodide.mjs", pyodide_pkg / "pyodide.asm.mjs"]
    job = {
        "upstream": str(upstream_zip.resolve()),
        "script": str(STDLIB_CUT_SCRIPT),
        "pyscriptChunk": str(chunk.resolve()),
        "marker": PYSCRIPT_PACKAGE_MARKER,
        "roots": {**app_roots(), **wheel_roots(wheel)},
        "rootNames": js_import_names(js_files),
        "eager": list(EAGER_MODULES),
        "optimize": STDLIB_OPTIMIZE,
        "keepSources": STDLIB_KEEP_SOURCES,
        "stripDocstrings": STDLIB_STRIP_DOCSTRINGS,
        "store": STDLIB_STORE,
        "dest": str((workdir / "python_stdlib.built.zip").resolve()),
        "destLater": str((workdir / "python_stdlib_later.built.zip").resolve()),
        "info": str((workdir / "stdlib.json").resolve()),
    }
    job_path = workdir / "stdlib-job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    runner = workdir / "stdlib_cut.mjs"
    runner.write_text(STDLIB_CUT_MJS, encoding="utf-8")
    subprocess.run(
        ["node", str(runner), str(pyodide_pkg.resolve()), str(job_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(Path(job["info"]).read_text(encoding="utf-8"))
    magic_hex = info["pyc_magic"]
    for built, target in ((Path(job["dest"]), dest), (Path(job["destLater"]), dest_later)):
        if stdlib_magics(built) != {magic_hex}:
            raise SystemExit(f"{built.name}: .pyc magic numbers differ from Pyodide's {magic_hex}")
        shutil.copyfile(built, target)
    return {
        "upstream_sha256": sha256_of(upstream_zip),
        "built_by": "scripts/vendor_runtime.py --stdlib: scripts/stdlib_cut.py in the pinned "
        "Pyodide under Node",
        "python": info["python"],
        "pyc_magic": magic_hex,
        "pyc_magic_int": struct.unpack("<H", bytes.fromhex(magic_hex)[:2])[0],
        "invalidation_mode": "UNCHECKED_HASH",
        "optimize": STDLIB_OPTIMIZE,
        "sources_kept": STDLIB_KEEP_SOURCES,
        "docstrings_stripped": STDLIB_STRIP_DOCSTRINGS,
        "stored": STDLIB_STORE,
        "upstream_modules": info["upstream_modules"],
        "module_count": len(info["modules"]),
        # The closure's inputs and output; tests/unit/test_vendor_stdlib.py checks that every
        # import in app/ is covered, so a stale cut fails in CPython before a browser sees it.
        "roots": info["roots"],
        "eager": list(EAGER_MODULES),
        "modules": info["modules"],
        "later_zip": f"{PYODIDE_DIR}/{STDLIB_LATER_ZIP}",
        "later_mount_path": info["later_mount_path"],
        "later_modules": info["later_modules"],
        "builtin_modules": info["builtin_modules"],
        "boot_modules": info["boot_modules"],
        "missing_from_roots": info["missing_from_roots"],
    }


def stdlib_magics(zip_path: Path) -> set[str]:
    """The magic numbers (hex) of the .pyc files in a stdlib zip."""
    with zipfile.ZipFile(zip_path) as z:
        return {z.read(info)[:4].hex() for info in z.infolist() if info.filename.endswith(".pyc")}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def npm_integrity(path: Path) -> str:
    """npm's integrity string (sha512, base64) of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def npm_pack(spec: str, workdir: Path) -> tuple[Path, str]:
    """One npm package tarball, from .vendor-cache/npm/ or downloaded into it; its path and
    npm's integrity string. A cached tarball must match the integrity the manifest pins."""
    name, _, version = spec.rpartition("@")
    filename = f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    cached = CACHE / filename
    pinned = None
    if MANIFEST.is_file():
        pinned = load_manifest()["packages"].get(name, {}).get("integrity")
    if not cached.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["npm", "pack", spec, "--json", "--silent"],
            cwd=CACHE,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cached = CACHE / json.loads(out)[0]["filename"]
    integrity = npm_integrity(cached)
    if pinned and pinned != integrity and version == load_manifest()["packages"][name]["version"]:
        raise SystemExit(f"{cached}: integrity {integrity} is not the pinned {pinned}")
    return cached, integrity


def unpack(tarball: Path, dest: Path) -> Path:
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def pip_download_wheel(workdir: Path) -> Path:
    vendored = VENDOR / WHEELS_DIR / PYODIDE_HTTP_WHEEL
    if vendored.is_file() and sha256_of(vendored) == PYODIDE_HTTP_SHA256:
        wheel = workdir / PYODIDE_HTTP_WHEEL
        shutil.copyfile(vendored, wheel)
        return wheel
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(workdir),
            f"pyodide-http=={PYODIDE_HTTP_VERSION}",
        ],
        check=True,
    )
    wheel = workdir / PYODIDE_HTTP_WHEEL
    actual = sha256_of(wheel)
    if actual != PYODIDE_HTTP_SHA256:
        raise SystemExit(f"{wheel.name}: sha256 {actual} does not match the pinned hash")
    return wheel


def keep_pyscript_file(name: str) -> bool:
    return name.endswith((".js", ".css")) and not name.endswith(".map")


# Precompressed siblings: for the files a first visit loads that are worth it. PyScript's
# editor and terminal chunks are never loaded by the page (pyscript.toml turns them off).
PRECOMPRESS_MIN_BYTES = 8 * 1024
PRECOMPRESS_SUFFIXES = (".wasm", ".mjs", ".js", ".json", ".zip")
PRECOMPRESS_SKIP = ("codemirror", "xterm", "py-editor", "py-terminal", "zip-")
BROTLI_QUALITY = 11
BROTLI_WINDOW = 24
GZIP_LEVEL = 9


def wants_siblings(rel: str, size: int) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (
        name.endswith(PRECOMPRESS_SUFFIXES)
        and size >= PRECOMPRESS_MIN_BYTES
        and not name.startswith(PRECOMPRESS_SKIP)
        and not rel.startswith(WHEELS_DIR + "/")
    )


def precompress(files: dict[str, dict]) -> None:
    """Write `.br` and `.gz` next to each file worth it and list them in `files`.

    Deterministic: brotli at fixed quality and window, gzip with mtime 0 and no file name.
    """
    import brotli  # only the vendor script needs it (pyproject's "vendor" extra)

    for rel in [r for r in sorted(files) if "compressed_from" not in files[r]]:
        path = VENDOR / rel
        for stale in (path.with_name(path.name + ".br"), path.with_name(path.name + ".gz")):
            stale.unlink(missing_ok=True)
            files.pop(stale.relative_to(VENDOR).as_posix(), None)
        if not wants_siblings(rel, path.stat().st_size):
            continue
        data = path.read_bytes()
        packed = {
            "br": brotli.compress(data, quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW),
            "gz": gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0),
        }
        for suffix, body in packed.items():
            sibling = path.with_name(f"{path.name}.{suffix}")
            sibling.write_bytes(body)
            files[f"{rel}.{suffix}"] = {
                "package": files[rel]["package"],
                "version": files[rel]["version"],
                "sha256": sha256_of(sibling),
                "compressed_from": rel,
                "encoding": "br" if suffix == "br" else "gzip",
                "settings": f"brotli {brotli.__version__} quality {BROTLI_QUALITY} "
                f"lgwin {BROTLI_WINDOW}"
                if suffix == "br"
                else f"gzip level {GZIP_LEVEL}, mtime 0",
            }


def build(workdir: Path) -> dict:
    ps_tgz, ps_integrity = npm_pack(f"@pyscript/core@{PYSCRIPT_VERSION}", workdir)
    py_tgz, py_integrity = npm_pack(f"pyodide@{PYODIDE_VERSION}", workdir)
    ps_pkg = unpack(ps_tgz, workdir / "pyscript")
    py_pkg = unpack(py_tgz, workdir / "pyodide")
    wheel = pip_download_wheel(workdir)

    if VENDOR.exists():
        for child in VENDOR.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    VENDOR.mkdir(parents=True, exist_ok=True)

    files: dict[str, dict] = {}

    def add(src: Path, rel: str, package: str, version: str) -> None:
        dest = VENDOR / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        files[rel] = {"package": package, "version": version, "sha256": sha256_of(dest)}

    for src in sorted((ps_pkg / "dist").iterdir()):
        if keep_pyscript_file(src.name):
            add(src, f"{PYSCRIPT_DIR}/{src.name}", "@pyscript/core", PYSCRIPT_VERSION)
    add(ps_pkg / "LICENSE", f"{PYSCRIPT_DIR}/LICENSE", "@pyscript/core", PYSCRIPT_VERSION)
    for name in PYODIDE_FILES:
        add(py_pkg / name, f"{PYODIDE_DIR}/{name}", "pyodide", PYODIDE_VERSION)
    add_stdlib(files, py_pkg, ps_pkg / "dist", wheel, workdir)
    add(wheel, f"{WHEELS_DIR}/{wheel.name}", "pyodide-http", PYODIDE_HTTP_VERSION)
    mpy_integrity = add_micropython(files, workdir)
    precompress(files)

    return {
        "comment": "Written by scripts/vendor_runtime.py; do not edit by hand.",
        "packages": {
            "@pyscript/core": {
                "version": PYSCRIPT_VERSION,
                "registry": "npm",
                "integrity": ps_integrity,
            },
            "pyodide": {"version": PYODIDE_VERSION, "registry": "npm", "integrity": py_integrity},
            "pyodide-http": {
                "version": PYODIDE_HTTP_VERSION,
                "registry": "pypi",
                "sha256": PYODIDE_HTTP_SHA256,
            },
            **micropython_package(mpy_integrity),
        },
        "files": dict(sorted(files.items())),
    }


def micropython_package(integrity: str) -> dict[str, dict]:
    """The manifest's `packages` entry of MicroPython."""
    return {
        MICROPYTHON_PACKAGE: {
            "version": MICROPYTHON_VERSION,
            "registry": "npm",
            "integrity": integrity,
            "used_by": "bench/micropython only; the app page does not load it",
        }
    }


def add_micropython(files: dict[str, dict], workdir: Path) -> str:
    """Copy MicroPython's module and wasm into static/vendor and files; npm's integrity."""
    tgz, integrity = npm_pack(f"{MICROPYTHON_PACKAGE}@{MICROPYTHON_VERSION}", workdir)
    pkg = unpack(tgz, workdir / "micropython")
    shutil.rmtree(VENDOR / MICROPYTHON_DIR, ignore_errors=True)
    for rel in [r for r in files if r.startswith(MICROPYTHON_DIR + "/")]:
        del files[rel]
    (VENDOR / MICROPYTHON_DIR).mkdir(parents=True)
    for name in MICROPYTHON_FILES:
        rel = f"{MICROPYTHON_DIR}/{name}"
        shutil.copyfile(pkg / name, VENDOR / rel)
        files[rel] = {
            "package": MICROPYTHON_PACKAGE,
            "version": MICROPYTHON_VERSION,
            "sha256": sha256_of(VENDOR / rel),
        }
    # The npm package has no LICENSE file; its package.json says MIT.
    files[f"{MICROPYTHON_DIR}/{MICROPYTHON_FILES[0]}"]["license"] = json.loads(
        (pkg / "package.json").read_text(encoding="utf-8")
    )["license"]
    return integrity


def rebuild_micropython(workdir: Path) -> dict:
    """`--micropython`: re-vendor only MicroPython (and its siblings) in the manifest."""
    manifest = load_manifest()
    files = manifest["files"]
    integrity = add_micropython(files, workdir)
    mpy_only = {rel: e for rel, e in files.items() if rel.startswith(MICROPYTHON_DIR + "/")}
    precompress(mpy_only)
    files.update(mpy_only)
    manifest["files"] = dict(sorted(files.items()))
    manifest["packages"].update(micropython_package(integrity))
    return manifest


def add_stdlib(
    files: dict[str, dict], py_pkg: Path, pyscript_dist: Path, wheel: Path, workdir: Path
) -> None:
    """Replace the upstream stdlib by its cut, precompiled build in static/vendor and files."""
    rel = f"{PYODIDE_DIR}/{STDLIB_ZIP}"
    later_rel = f"{PYODIDE_DIR}/{STDLIB_LATER_ZIP}"
    info = build_stdlib(py_pkg, pyscript_dist, wheel, VENDOR / rel, VENDOR / later_rel, workdir)
    files[rel] = {
        "package": "pyodide",
        "version": PYODIDE_VERSION,
        "sha256": sha256_of(VENDOR / rel),
        **info,
    }
    files[later_rel] = {
        "package": "pyodide",
        "version": PYODIDE_VERSION,
        "sha256": sha256_of(VENDOR / later_rel),
        "part_of": rel,
        "module_count": len(info["later_modules"]),
    }


def rebuild_stdlib(workdir: Path) -> dict:
    """`--stdlib`: re-cut the standard library (after app/ changed) and rewrite its manifest
    entries; every other vendored file stays as it is."""
    manifest = load_manifest()
    ps_tgz, _ = npm_pack(f"@pyscript/core@{PYSCRIPT_VERSION}", workdir)
    py_tgz, _ = npm_pack(f"pyodide@{PYODIDE_VERSION}", workdir)
    ps_pkg = unpack(ps_tgz, workdir / "pyscript")
    py_pkg = unpack(py_tgz, workdir / "pyodide")
    wheel = pip_download_wheel(workdir)
    files = manifest["files"]
    add_stdlib(files, py_pkg, ps_pkg / "dist", wheel, workdir)
    parts = (f"{PYODIDE_DIR}/{STDLIB_ZIP}", f"{PYODIDE_DIR}/{STDLIB_LATER_ZIP}")
    stdlib_only = {rel: files[rel] for rel in parts}
    precompress(stdlib_only)
    files.update(stdlib_only)
    manifest["files"] = dict(sorted(files.items()))
    return manifest


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def check() -> list[str]:
    """Problems between static/vendor and its manifest; empty when they agree."""
    manifest = load_manifest()
    problems = []
    listed = set(manifest["files"])
    for rel, entry in manifest["files"].items():
        path = VENDOR / rel
        if not path.is_file():
            problems.append(f"missing: {rel}")
        elif sha256_of(path) != entry["sha256"]:
            problems.append(f"changed: {rel}")
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {
        MANIFEST.name
    }
    problems += [f"not in the manifest: {rel}" for rel in sorted(on_disk - listed)]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify, do not download")
    mode.add_argument(
        "--stdlib",
        action="store_true",
        help="only re-cut python_stdlib.zip for the current app/ (run after app/ changes)",
    )
    mode.add_argument(
        "--micropython",
        action="store_true",
        help="only re-vendor MicroPython (bench/micropython's interpreter)",
    )
    args = parser.parse_args()
    if args.check:
        problems = check()
        for line in problems:
            print(line)
        print("vendored runtime matches the manifest" if not problems else "MISMATCH")
        return 1 if problems else 0
    with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
        if args.stdlib:
            manifest = rebuild_stdlib(Path(tmp))
        elif args.micropython:
            manifest = rebuild_micropython(Path(tmp))
        else:
            manifest = build(Path(tmp))
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if args.stdlib:
        entry = manifest["files"][f"{PYODIDE_DIR}/{STDLIB_ZIP}"]
        for name, count in (
            (STDLIB_ZIP, entry["module_count"]),
            (STDLIB_LATER_ZIP, len(entry["later_modules"])),
        ):
            size = (VENDOR / PYODIDE_DIR / name).stat().st_size
            print(
                f"wrote {PYODIDE_DIR}/{name}: {count} of {entry['upstream_modules']} stdlib "
                f"modules, {size} bytes"
            )
    else:
        print(f"wrote {len(manifest['files'])} files and {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
