"""serve.py over real HTTP: what it publishes, with which headers, and how it fails."""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.serving import ROOT, ServeProcess, run_on_busy_port, start_serve


@pytest.fixture(scope="module")
def app() -> Iterator[ServeProcess]:
    server = start_serve("--no-emulator")
    yield server
    server.stop()


def get(server: ServeProcess, path: str, **headers: str) -> http.client.HTTPResponse:
    parts = urlsplit(server.app_url)
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    resp.body = resp.read()  # type: ignore[attr-defined]
    conn.close()
    return resp


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/static/vendor/pyodide-314.0.2/pyodide.asm.wasm", "application/wasm"),
        ("/static/vendor/pyodide-314.0.2/pyodide.mjs", "text/javascript; charset=utf-8"),
        ("/pyscript.toml", "application/toml; charset=utf-8"),
        ("/app/main.py", "text/x-python; charset=utf-8"),
        ("/config.json", "application/json"),
        ("/static/favicon.svg", "image/svg+xml"),
    ],
)
def test_mime_types(app: ServeProcess, path: str, mime: str) -> None:
    resp = get(app, path)
    assert resp.status == 200
    assert resp.getheader("Content-Type") == mime


def test_cache_control(app: ServeProcess) -> None:
    vendored = get(app, "/static/vendor/pyscript-0.7.31/core.js")
    assert vendored.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    for path in ("/", "/index.html", "/pyscript.toml", "/app/main.py", "/config.json"):
        assert get(app, path).getheader("Cache-Control") == "no-cache", path


def test_gzip_when_asked(app: ServeProcess) -> None:
    path = "/static/vendor/pyodide-314.0.2/pyodide.asm.mjs"
    plain = get(app, path)
    packed = get(app, path, **{"Accept-Encoding": "gzip, deflate"})
    assert plain.getheader("Content-Encoding") is None
    assert packed.getheader("Content-Encoding") == "gzip"
    assert packed.getheader("Vary") == "Accept-Encoding"
    assert len(packed.body) < len(plain.body) / 2
    assert gzip.decompress(packed.body) == plain.body


def test_security_headers(app: ServeProcess) -> None:
    resp = get(app, "/")
    assert resp.getheader("Referrer-Policy") == "no-referrer"
    assert resp.getheader("X-Content-Type-Options") == "nosniff"


def test_callback_url_serves_the_page(app: ServeProcess) -> None:
    resp = get(app, "/?code=abc&state=xyz")
    assert resp.status == 200
    assert b"Sign in with ilert" in resp.body


@pytest.mark.parametrize(
    "path",
    [
        "/serve.py",
        "/README.md",
        "/.git/config",
        "/tests/serving.py",
        "/static/../serve.py",
        "/static/%2e%2e/serve.py",
        "/app/../pyproject.toml",
        "/static/vendor/nope.js",
    ],
)
def test_only_the_app_is_published(app: ServeProcess, path: str) -> None:
    assert get(app, path).status == 404


def test_config_json_from_disk_without_emulator(app: ServeProcess) -> None:
    served = json.loads(get(app, "/config.json").body)
    assert served == json.loads((ROOT / "config.json").read_text())


def test_busy_port_gives_one_clear_line() -> None:
    port, result = run_on_busy_port("serve.py", "--no-emulator")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port}" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_help_explains_the_flags() -> None:
    result = subprocess.run(
        [sys.executable, "serve.py", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    for flag in ("--host", "--port", "--emulator-port", "--no-emulator"):
        assert flag in result.stdout


def test_sigterm_stops_cleanly() -> None:
    server = start_serve("--no-emulator")
    server.proc.terminate()
    out, _ = server.proc.communicate(timeout=10)
    assert server.proc.returncode == 0
    assert "Traceback" not in (out or "")


@pytest.mark.parametrize(("path", "part"), [("app.zip", "boot"), ("app_later.zip", "later")])
def test_app_bundles_are_built_from_app_sources(app: ServeProcess, path: str, part: str) -> None:
    from scripts import build_app_bundle

    resp = get(app, f"/static/{path}")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/zip"
    assert resp.getheader("Cache-Control") == "no-cache"
    assert resp.body == build_app_bundle.build(part=part)


def test_config_file_is_served_and_sets_the_csp(tmp_path) -> None:
    config = {
        "client_id": "interop-spa",
        "server": "custom",
        "authorize_url": "http://127.0.0.1:45999/o/authorize",
        "token_url": "http://127.0.0.1:45999/o/token",
        "allowed_origins": ["https://auth.example.org"],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    server = start_serve("--no-emulator", "--config", str(path))
    try:
        assert json.loads(get(server, "/config.json").body) == config
        policy = get(server, "/").headers["Content-Security-Policy"]
        connect = next(p for p in policy.split(";") if p.strip().startswith("connect-src"))
        assert "http://127.0.0.1:45999" in connect and "https://auth.example.org" in connect
        assert "localhost:4598" not in connect  # the file on disk no longer counts
    finally:
        server.stop()


def test_unreadable_config_file_is_one_clear_line(tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text("[1, 2]")
    result = subprocess.run(
        [sys.executable, "serve.py", "--no-emulator", "--port", "0", "--config", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "must hold a JSON object" in result.stderr and "Traceback" not in result.stderr
