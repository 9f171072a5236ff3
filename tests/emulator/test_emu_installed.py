"""``python -m ilert_emulator`` (and ``ilert-pkce``) from an installed package, far from the
repository.

The package is built from this working tree (a copy of pyproject.toml, README.md,
ilert_emulator/, app/ and ilert_pkce/, so the tree stays clean) and installed into a fresh
virtual environment. A ``.pth`` file lends it the site-packages of the interpreter running the
tests (a venv's or the system's alike), so its dependencies are the ones installed here and
nothing is downloaded beyond the build backend pip's configured index provides; the editable
install of the repository is not lent (a ``.pth`` line adds a folder but runs none of its
hooks). Then it runs from a temporary directory, where the repository is not importable; the
emulator imports none of ``app``'s modules.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.serving import stop_process

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def lend_site_packages(python: Path) -> None:
    """Put this interpreter's site-packages on the new venv's path, after its own."""
    where = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], ROOT, {}
    )
    assert where.returncode == 0, where.stderr
    lent = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(where.stdout.strip()) / "lent-from-the-test-run.pth").write_text("\n".join(lent) + "\n")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("installed")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("ilert_emulator", "app", "ilert_pkce"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    venv = base / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    made = _run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        base,
        env,
    )
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    lend_site_packages(python)
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q"]
    result = _run([*pip, str(src)], base, env)
    if result.returncode != 0:  # no index for the build backend: use the one installed here
        result = _run([*pip, "--no-build-isolation", str(src)], base, env)
    assert result.returncode == 0, result.stdout + result.stderr
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return python, elsewhere, env


def test_imports_from_the_venv_without_the_repository(installed):
    python, elsewhere, env = installed
    probe = (
        "import json, sys, pkgutil, importlib, ilert_emulator; "
        "[importlib.import_module(m.name) for m in "
        "pkgutil.iter_modules(ilert_emulator.__path__, 'ilert_emulator.') "
        "if not m.name.endswith('__main__')]; "
        "print(json.dumps({'file': ilert_emulator.__file__, 'path': sys.path, "
        "'app': any(n == 'app' or n.startswith('app.') for n in sys.modules)}))"
    )
    result = _run([str(python), "-c", probe], elsewhere, env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["file"].startswith(str(python.parent.parent))
    assert not any(p and Path(p).resolve() == ROOT for p in facts["path"])
    assert facts["app"] is False  # the emulator imports none of the app's modules


def test_the_terminal_client_is_installed(installed):
    python, elsewhere, env = installed
    for command in ([str(python.parent / "ilert-pkce")], [str(python), "-m", "ilert_pkce"]):
        result = _run([*command, "login", "--help"], elsewhere, env)
        assert result.returncode == 0, result.stderr
        assert "--no-browser" in result.stdout


def test_python_m_ilert_emulator_starts_and_answers(installed):
    python, elsewhere, env = installed
    process = subprocess.Popen(
        [str(python), "-m", "ilert_emulator", "--port", "0", "--quiet", "--test-controls"],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        match = re.search(r"http://localhost:\d+", first)
        assert match, first + process.stderr.read()
        url = match.group(0)
        with urllib.request.urlopen(url + "/", timeout=10) as resp:
            assert resp.status == 200
        req = urllib.request.Request(
            url + "/_emulator/issue-code",
            data=json.dumps(
                {
                    "client_id": "ilert-pkce-demo",
                    "redirect_uri": "http://localhost:4597/",
                    "scope": "profile monitor:w offline_access",
                    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            code = json.loads(resp.read())["code"]
        assert re.fullmatch(r"[0-9a-f]{28}", code)
        form = (
            "grant_type=authorization_code&client_id=ilert-pkce-demo&code="
            + code
            + "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        )
        token = urllib.request.Request(
            url + "/api/developers/oauth2/token",
            data=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(token, timeout=10) as resp:
            body = json.loads(resp.read())
        assert body["scope"] == "profile monitor:w offline_access"
        assert body["token_type"] == "Bearer" and body["refresh_token"]
    finally:
        stop_process(process)
