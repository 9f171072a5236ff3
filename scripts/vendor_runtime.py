"""Re-create the vendored browser runtime under static/vendor/ from the registries.

    python scripts/vendor_runtime.py          # fetch, unpack, rewrite static/vendor/MANIFEST.json
    python scripts/vendor_runtime.py --check  # verify the files on disk against the manifest

Sources (pinned below): @pyscript/core and pyodide from the npm registry (`npm pack`, whose
integrity npm checks), pyodide-http from PyPI (`pip download`, checked against PYODIDE_HTTP_SHA256).
Only the files the page can load are kept: no source maps, type declarations or consoles.

One file is built rather than copied: Pyodide's `python_stdlib.zip` is replaced by a
precompiled one (see `build_stdlib`). Upstream ships the standard library as `.py` sources,
so CPython compiles every module it imports from source on every page load (about 1.5 s of
a 3 s boot). The vendored Pyodide itself, run under Node, compiles each module to an
unchecked hash-based `.pyc` (no mtimes; the magic number is that Pyodide's own, so it can
never mismatch) and writes the zip deterministically: sorted entries, fixed timestamps and
permissions, deflated by the pinned Pyodide's zlib. Same input, same bytes.

The `.py` sources are left out: keeping them would add 2.5 MB to every cold load for the sake
of source lines in tracebacks of stdlib frames. Without them a traceback still names the file
and line of every stdlib frame (`/lib/python314.zip/json/decoder.py", line 361`), only the
source text line is missing; the app's own code stays `.py` and shows in full. Docstrings
and asserts are kept (optimize=0): `-OO` would save only 0.6 MB and changes behaviour.

The manifest records, for every vendored file, the package it came from, its version and its
sha256, so tests can prove that the served bytes are the pinned ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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

PYSCRIPT_DIR = f"pyscript-{PYSCRIPT_VERSION}"
PYODIDE_DIR = f"pyodide-{PYODIDE_VERSION}"
WHEELS_DIR = "wheels"

# What Pyodide itself fetches at start-up from its indexURL.
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)


STDLIB_ZIP = "python_stdlib.zip"
# Compilation settings of the precompiled stdlib, recorded in the manifest.
STDLIB_OPTIMIZE = 0
STDLIB_KEEP_SOURCES = False

# Runs inside the vendored Pyodide: compile every .py of the upstream zip with this very
# interpreter, write a deterministic zip of .pyc files (plus the non-Python data files).
STDLIB_COMPILER_PY = r"""
import importlib.util, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

def build_stdlib(src_path, dst_path, optimize, keep_sources):
    # co_filename: where zipimport finds the module, so tracebacks name the real file.
    prefix = next(p for p in sys.path if p.endswith(".zip")) + "/"
    fixed = (1980, 1, 1, 0, 0, 0)
    entries = {}
    with zipfile.ZipFile(src_path) as src:
        for info in src.infolist():
            name = info.filename
            if info.is_dir():
                entries[name] = None
                continue
            data = src.read(info)
            if name.endswith(".py"):
                code = compile(data, prefix + name, "exec", dont_inherit=True, optimize=optimize)
                source_hash = importlib.util.source_hash(data)
                entries[name + "c"] = bytes(_code_to_hash_pyc(code, source_hash, checked=False))
                if keep_sources:
                    entries[name] = data
            else:
                entries[name] = data
    with zipfile.ZipFile(dst_path, "w") as out:
        for name in sorted(entries):
            data = entries[name]
            info = zipfile.ZipInfo(name, fixed)
            info.create_system = 3
            if data is None:
                info.external_attr = (0o40755 << 16) | 0x10
                out.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, data, compresslevel=9)
    return importlib.util.MAGIC_NUMBER.hex() + " " + sys.version
"""

STDLIB_COMPILER_MJS = """
import fs from "node:fs";
import { pathToFileURL } from "node:url";
const [indexDir, srcZip, dstZip, compilerPy, optimize, keepSources] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(indexDir + "/pyodide.mjs").href);
const py = await loadPyodide({ indexURL: indexDir + "/" });
py.FS.writeFile("/tmp/upstream.zip", fs.readFileSync(srcZip));
py.runPython(fs.readFileSync(compilerPy, "utf8"));
const info = py.runPython(
  `build_stdlib("/tmp/upstream.zip", "/tmp/built.zip", ${optimize}, ${keepSources})`
);
fs.writeFileSync(dstZip, py.FS.readFile("/tmp/built.zip"));
console.log(info);
"""


def build_stdlib(pyodide_dir: Path, upstream_zip: Path, dest: Path, workdir: Path) -> dict:
    """Precompile upstream's python_stdlib.zip with the Pyodide in pyodide_dir; see the docstring.

    Returns what the manifest records about the build.
    """
    compiler_py = workdir / "compile_stdlib.py"
    compiler_mjs = workdir / "compile_stdlib.mjs"
    compiler_py.write_text(STDLIB_COMPILER_PY, encoding="utf-8")
    compiler_mjs.write_text(STDLIB_COMPILER_MJS, encoding="utf-8")
    built = workdir / "python_stdlib.built.zip"
    out = subprocess.run(
        [
            "node",
            str(compiler_mjs),
            str(pyodide_dir.resolve()),
            str(upstream_zip.resolve()),
            str(built),
            str(compiler_py),
            str(STDLIB_OPTIMIZE),
            "True" if STDLIB_KEEP_SOURCES else "False",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    magic_hex, python_version = out.splitlines()[-1].split(" ", 1)
    if stdlib_magics(built) != {magic_hex}:
        raise SystemExit(f"{built.name}: .pyc magic numbers differ from Pyodide's {magic_hex}")
    shutil.copyfile(built, dest)
    return {
        "upstream_sha256": sha256_of(upstream_zip),
        "built_by": "scripts/vendor_runtime.py build_stdlib: the vendored pyodide.mjs under Node",
        "python": python_version.split()[0],
        "pyc_magic": magic_hex,
        "pyc_magic_int": struct.unpack("<H", bytes.fromhex(magic_hex)[:2])[0],
        "invalidation_mode": "UNCHECKED_HASH",
        "optimize": STDLIB_OPTIMIZE,
        "sources_kept": STDLIB_KEEP_SOURCES,
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


def npm_pack(spec: str, workdir: Path) -> tuple[Path, str]:
    """Download one npm package tarball; return its path and npm's integrity string."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out)[0]
    return workdir / info["filename"], info["integrity"]


def unpack(tarball: Path, dest: Path) -> Path:
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def pip_download_wheel(workdir: Path) -> Path:
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
    # Replace the upstream stdlib by its precompiled build (booting the Pyodide just copied).
    stdlib_rel = f"{PYODIDE_DIR}/{STDLIB_ZIP}"
    stdlib_info = build_stdlib(
        VENDOR / PYODIDE_DIR, py_pkg / STDLIB_ZIP, VENDOR / stdlib_rel, workdir
    )
    files[stdlib_rel] = {
        "package": "pyodide",
        "version": PYODIDE_VERSION,
        "sha256": sha256_of(VENDOR / stdlib_rel),
        **stdlib_info,
    }
    add(wheel, f"{WHEELS_DIR}/{wheel.name}", "pyodide-http", PYODIDE_HTTP_VERSION)

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
        },
        "files": dict(sorted(files.items())),
    }


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
    parser.add_argument("--check", action="store_true", help="verify, do not download")
    args = parser.parse_args()
    if args.check:
        problems = check()
        for line in problems:
            print(line)
        print("vendored runtime matches the manifest" if not problems else "MISMATCH")
        return 1 if problems else 0
    with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
        manifest = build(Path(tmp))
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(manifest['files'])} files and {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
