"""Re-create the vendored browser runtime under static/vendor/ from the registries.

    python scripts/vendor_runtime.py          # fetch, unpack, rewrite static/vendor/MANIFEST.json
    python scripts/vendor_runtime.py --check  # verify the files on disk against the manifest

Sources (pinned below): @pyscript/core and pyodide from the npm registry (`npm pack`, whose
integrity npm checks), pyodide-http from PyPI (`pip download`, checked against PYODIDE_HTTP_SHA256).
Only the files the page can load are kept: no source maps, type declarations or consoles.

The manifest records, for every vendored file, the package it came from, its version and its
sha256, so tests can prove that the served bytes are the pinned ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
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
