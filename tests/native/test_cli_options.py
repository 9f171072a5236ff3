"""Settings of the terminal client: the page's presets and rules, from flags, ILERT_PKCE_*
variables and a config file; the loopback server's one-shot behaviour."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tomllib

import pytest

from app.core.errors import ConfigError
from ilert_pkce import loopback, messages, options
from tests.asyncrun import run
from tests.emulator.emu_http import get
from tests.native.cli_run import ROOT

NO_ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing"))


def test_defaults_are_ilert_and_a_fixed_loopback_port():
    opts = options.resolve({"client_id": "abc"}, environ=NO_ENV)
    assert (
        opts.settings.authorize_endpoint()
        == "https://app.ilert.com/api/developers/oauth2/authorize"
    )
    assert opts.settings.token_endpoint() == "https://api.ilert.com/api/developers/oauth2/token"
    assert (opts.host, opts.port, opts.path) == ("127.0.0.1", 8765, "/callback")
    assert (opts.timeout, opts.wait) == (30.0, 300.0)


def test_presets():
    tenant = options.resolve(
        {"preset": "tenant", "tenant": "acme", "client_id": "x"}, environ=NO_ENV
    )
    assert tenant.settings.authorize_endpoint().startswith("https://acme.ilert.com/")
    emulator = options.resolve({"preset": "emulator"}, environ=NO_ENV)
    assert emulator.settings.client_id == "ilert-cli-demo"
    assert emulator.settings.authorize_endpoint().startswith("http://localhost:4598/")
    custom = options.resolve(
        {"preset": "custom", "issuer": "https://id.example", "client_id": "x"}, environ=NO_ENV
    )
    assert custom.needs_discovery and custom.settings.api_base == ""
    with pytest.raises(ConfigError, match="tenant"):
        options.resolve({"preset": "tenant", "client_id": "x"}, environ=NO_ENV)
    with pytest.raises(ConfigError, match="preset"):
        options.resolve({"preset": "nope"}, environ=NO_ENV)


def test_a_custom_server_can_require_iss():
    endpoints = {
        "preset": "custom",
        "client_id": "x",
        "authorize_url": "https://id.example/authorize",
        "token_url": "https://id.example/token",
    }
    opts = options.resolve(
        {**endpoints, "issuer": "https://id.example", "iss_parameter": "required"}, environ=NO_ENV
    )
    assert opts.settings.iss_parameter == "required" and not opts.needs_discovery
    env = {"ILERT_PKCE_ISSUER": "https://id.example", "ILERT_PKCE_ISS_PARAMETER": "required"}
    assert options.resolve(endpoints, environ=env).settings.iss_parameter == "required"
    with pytest.raises(ConfigError, match="issuer"):  # whose iss would it be?
        options.resolve({**endpoints, "iss_parameter": "required"}, environ=NO_ENV)


def test_precedence_file_env_flags(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"preset": "emulator", "client_id": "from-file", "port": 9001}))
    env = {"ILERT_PKCE_CLIENT_ID": "from-env", "ILERT_PKCE_SCOPE": "profile"}
    opts = options.resolve({}, str(config), environ=env)
    assert opts.settings.client_id == "from-env"
    assert opts.settings.scope == "profile"
    assert opts.port == 9001
    opts = options.resolve({"client_id": "from-flag", "port": 0}, str(config), environ=env)
    assert (opts.settings.client_id, opts.port) == ("from-flag", 0)


def test_the_default_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "ilert-pkce").mkdir()
    (tmp_path / "ilert-pkce" / "config.json").write_text('{"preset": "emulator"}')
    assert options.resolve({}, environ=NO_ENV).settings.client_id == "ilert-cli-demo"
    (tmp_path / "ilert-pkce" / "config.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        options.resolve({}, environ=NO_ENV)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://localhost:4597/callback", ("localhost", 4597, "/callback")),
        ("http://[::1]:9000/cb", ("[::1]", 9000, "/cb")),
        ("http://127.0.0.1:8765/callback", ("127.0.0.1", 8765, "/callback")),
    ],
)
def test_redirect_uri(uri, expected):
    opts = options.resolve({"preset": "emulator", "redirect_uri": uri}, environ=NO_ENV)
    assert (opts.host, opts.port, opts.path) == expected


@pytest.mark.parametrize(
    "flags",
    [
        {"redirect_uri": "https://127.0.0.1:8765/callback"},
        {"redirect_uri": "http://example.com:8765/callback"},
        {"redirect_uri": "http://localhost:4597/callback", "port": 0},
        {"port": 70000},
        {"port": "abc"},
        {"timeout": "0"},
        {"scope": "profile bogus"},
        {"ilert_host": "http://example.com"},  # plain http only on loopback (the page's rule)
    ],
)
def test_refused_settings(flags):
    with pytest.raises(ConfigError):
        options.resolve({"preset": "emulator", **flags}, environ=NO_ENV)


def test_console_script_and_module():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["ilert-pkce"] == "ilert_pkce.cli:main"
    # An install holds every package of the tree (the terminal client imports app.core).
    from fnmatch import fnmatchcase

    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("app", "ilert_pkce", "ilert_emulator")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert {"ilert_pkce", "app", "app.core", "app.ui", "ilert_emulator"} <= on_disk
    assert all(any(fnmatchcase(name, pattern) for pattern in include) for name in on_disk)
    assert any(d.startswith("keyring>=") and "<" in d for d in project["project"]["dependencies"])
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "ilert_pkce", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0 and "exit codes:" in done.stdout


def test_loopback_server_is_one_shot():
    async def scenario() -> list:
        async with loopback.listen("127.0.0.1", 0) as listener:
            base = f"http://127.0.0.1:{listener.port}"
            other = await asyncio.to_thread(get, base + "/favicon.ico")
            first = asyncio.create_task(asyncio.to_thread(get, base + "/callback?code=a&state=b"))
            answer = await listener.next(5)
            second = await asyncio.to_thread(get, base + "/callback?code=c&state=d")
            answer.reply("Title <b>", "Text & more", True)
            page = await first
            repeated = None
        async with loopback.listen("127.0.0.1", 0) as listener:
            base = f"http://127.0.0.1:{listener.port}"
            task = asyncio.create_task(asyncio.to_thread(get, base + "/callback?state=a&state=b"))
            repeated = await listener.next(5)
            repeated.reply("x", "y", False)
            await task
        return [other, answer, second, page, repeated, listener.port]

    other, answer, second, page, repeated, port = run(scenario())
    assert other.status == 404
    assert answer.params == {"code": "a", "state": "b"}
    assert second.status == 409  # only the first redirect is the answer
    assert page.status == 200
    assert "Title &lt;b&gt;" in page.text and "Text &amp; more" in page.text
    assert "<script" not in page.text
    assert repeated.problem is not None and "repeated" in str(repeated.problem.description)
    import socket

    with socket.socket() as s:  # closed: a new login can listen there again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        s.bind(("127.0.0.1", port))
        s.listen()


def test_port_in_use_is_reported():
    import socket

    async def scenario(port: int) -> None:
        async with loopback.listen("127.0.0.1", port):
            pass

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(loopback.PortInUse):
            run(scenario(busy.getsockname()[1]))


def test_readme_lists_the_exit_codes():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Native app") : readme.index("## Deploy to static hosting")]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", section, re.M)}
    assert documented == {code for code, _ in messages.EXIT_CODES}
