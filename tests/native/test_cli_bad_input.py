"""Every way a terminal sign-in or call can go wrong: one plain line on stderr (no
traceback), a documented non-zero exit code, and nothing half-stored."""

from __future__ import annotations

import json
import signal
import socket
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ilert_pkce import messages
from tests.native.cli_run import (
    Running,
    approve_at_emulator,
    cli_env,
    deliver,
    emulator_args,
    login_played,
    play_browser,
    run,
    token_file,
)


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("ilert-pkce:")]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(emulator, env, *more: str) -> Running:
    return Running(["login", *emulator_args(emulator, "--port", "0", *more)], env)


def signed_in(emulator, env) -> None:
    running = login(emulator, env)
    try:
        play_browser(running)
        assert running.finish().code == 0
    finally:
        running.kill()


def redirect_base(url: str) -> str:
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


def test_port_in_use(emulator, env, home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run(["login", *emulator_args(emulator, "--port", str(port))], env)
    assert done.code == messages.LOCAL
    line = one_line(done.stderr)
    assert f"Port {port}" in line and "--port" in line
    assert not (home / "opened-url").exists()  # no browser opened for a sign-in that can't end
    assert not token_file(home).exists()


def test_fixed_redirect_uri_is_used_exactly(emulator, env, home):
    port = free_port()
    uri = f"http://127.0.0.1:{port}/callback"
    running = Running(["login", *emulator_args(emulator, "--redirect-uri", uri)], env)
    try:
        url = running.opened_url()
        assert redirect_base(url) == uri
        deliver(approve_at_emulator(url))
        assert running.finish().code == 0
    finally:
        running.kill()


def test_browser_cannot_open_prints_the_address(emulator, home):
    env = cli_env(home, BROWSER="false")  # the browser command fails
    running = login(emulator, env)
    try:
        deadline = time.monotonic() + 15
        text = ""
        while "http://" not in text and time.monotonic() < deadline:
            text += running.proc.stderr.readline()
        assert "Could not open a browser" in text
        url = next(w for w in text.split() if "/oauth2/authorize?" in w)
        deliver(approve_at_emulator(url))
        done = running.finish()
    finally:
        running.kill()
    assert done.code == 0, done.stderr
    assert token_file(home).exists()


def test_no_browser_waits_then_times_out(emulator, env, home):
    done = run(
        ["login", *emulator_args(emulator, "--port", "0", "--no-browser", "--wait", "1")], env
    )
    assert done.code == messages.SIGN_IN_FAILED
    assert "/oauth2/authorize?" in done.stderr
    assert "within 1 seconds" in one_line(done.stderr)
    assert not (home / "opened-url").exists()
    assert not token_file(home).exists()


def _answer(running: Running, **params: str | None) -> tuple[int, str]:
    """Send the loopback server a forged or odd callback; (page status, CLI stderr line)."""
    url = running.opened_url()
    state = parse_qs(urlsplit(url).query)["state"][0]
    query = {"code": "abc", "state": state, **params}
    target = redirect_base(url) + "?" + urlencode({k: v for k, v in query.items() if v is not None})
    page = deliver(target)
    done = running.finish()
    assert done.code == messages.SIGN_IN_FAILED, done.stderr
    assert "You can close this tab" in page.text
    return page.status, one_line(done.stderr)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"state": "forged"}, "state mismatch"),
        ({"state": None}, "no state"),
        ({"error": "access_denied", "code": None}, "You declined access"),
        ({"error": "server_error", "error_description": "broken", "code": None}, "broken"),
        ({"error": "access_denied", "code": None, "state": "other"}, "state mismatch"),
        ({"iss": "https://evil.example"}, "evil.example"),
    ],
)
def test_bad_callbacks(emulator, env, home, params, words):
    running = login(emulator, env)
    try:
        status, line = _answer(running, **params)
    finally:
        running.kill()
    assert status == 400
    assert words in line
    assert not token_file(home).exists()


def test_denied_in_the_emulator(emulator, env, home):
    running = login(emulator, env)
    try:
        page = play_browser(running, approve=False)
        done = running.finish()
    finally:
        running.kill()
    assert done.code == messages.SIGN_IN_FAILED
    assert "declined" in one_line(done.stderr) and "Sign-in failed" in page.text
    assert not token_file(home).exists()


def test_ctrl_c_cancels_and_frees_the_port(emulator, env, home):
    running = login(emulator, env)
    try:
        url = running.opened_url()
        port = urlsplit(redirect_base(url)).port
        running.proc.send_signal(signal.SIGINT)
        done = running.finish()
    finally:
        running.kill()
    assert done.code == messages.CANCELLED
    assert one_line(done.stderr) == "ilert-pkce: Cancelled."
    with socket.socket() as again:  # the port is free at once
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        again.bind(("127.0.0.1", port))
        again.listen()
    assert not token_file(home).exists()


def test_unreachable_token_endpoint(emulator, env, home):
    dead = f"http://127.0.0.1:{free_port()}/api"
    args = ["--preset", "emulator", "--ilert-host", emulator.url, "--api-base", dead]
    page, done = login_played([*args, "--port", "0"], env)
    assert done.code == messages.UNREACHABLE
    assert "Could not reach the server" in one_line(done.stderr)
    assert page.status == 400
    assert not token_file(home).exists()


@pytest.mark.parametrize(("status", "code"), [(429, messages.BUSY), (503, messages.BUSY)])
def test_busy_token_endpoint(emulator, env, home, status, code):
    emulator.faults.add("token", status=status)
    running = login(emulator, env)
    try:
        play_browser(running)
        done = running.finish()
    finally:
        running.kill()
    assert done.code == code
    assert f"HTTP {status}" in one_line(done.stderr)
    assert "run the command again" in done.stderr
    assert not token_file(home).exists()


@pytest.mark.parametrize("status", [429, 500])
def test_busy_api(emulator, env, home, status):
    signed_in(emulator, env)
    emulator.faults.add("api", status=status)
    done = run(["whoami"], env)
    assert done.code == messages.BUSY
    assert f"HTTP {status}" in one_line(done.stderr)
    assert run(["whoami"], env).code == 0  # still signed in


def test_api_unreachable_keeps_the_session(emulator, env, home):
    signed_in(emulator, env)
    record = json.loads(token_file(home).read_text())
    record["endpoints"]["api_base"] = f"http://127.0.0.1:{free_port()}/api"
    token_file(home).write_text(json.dumps(record))
    done = run(["whoami"], env)
    assert done.code == messages.UNREACHABLE
    assert "Could not reach the server" in one_line(done.stderr)
    assert token_file(home).exists()


def test_not_signed_in(env):
    for command in ("whoami", "alerts", "sources", "oncall", "token-info", "refresh"):
        done = run([command], env)
        assert done.code == messages.SIGNED_OUT, command
        assert one_line(done.stderr) == "ilert-pkce: Not signed in. Run: ilert-pkce login"
    assert run(["logout"], env).code == 0


def test_bad_settings(env):
    done = run(["login", "--preset", "ilert"], env)  # no client id
    assert done.code == messages.USAGE
    assert "client id is missing" in one_line(done.stderr)
    done = run(["login", "--preset", "emulator", "--redirect-uri", "https://example.com/cb"], env)
    assert done.code == messages.USAGE
    assert "loopback" in one_line(done.stderr)


def test_ctrl_c_during_a_hanging_request_exits_at_once(emulator, env, home):
    signed_in(emulator, env)
    emulator.faults.add("api", hang=25)
    running = Running(["whoami"], env)
    try:
        time.sleep(1.5)  # the request is under way, the server does not answer
        started = time.monotonic()
        running.proc.send_signal(signal.SIGINT)
        done = running.finish(timeout=20)
        took = time.monotonic() - started
    finally:
        running.kill()
    assert done.code == messages.CANCELLED
    assert took < 5  # not the 30 s timeout of the request under way
    assert token_file(home).exists()  # cancelled, still signed in
