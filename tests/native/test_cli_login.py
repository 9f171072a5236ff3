"""The terminal client as a user runs it: a subprocess, a real loopback callback, the
emulator over real HTTP, tokens in the file store (mode 0600)."""

from __future__ import annotations

import json
import stat

from tests.emulator.emu_http import post
from tests.native.cli_run import ROOT, emulator_args, login_played, run, token_file


def test_login_then_every_command(emulator, env, home):
    page, done = login_played(emulator_args(emulator, "--port", "0"), env)
    assert done.code == 0, done.stderr
    assert page.status == 200
    assert "You can close this tab" in page.text
    assert page.header("Content-Security-Policy").startswith("default-src 'none'")
    assert "Signed in. Tokens stored in the token file" in done.stderr
    assert "refresh token: yes" in done.stdout

    stored = token_file(home)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    record = json.loads(stored.read_text())
    access, refresh = record["access_token"], record["refresh_token"]
    assert record["endpoints"]["client_id"] == "ilert-cli-demo"
    assert record["endpoints"]["token"] == emulator.ip_url + "/api/developers/oauth2/token"

    # Secrets never reach the terminal.
    for text in (done.stdout, done.stderr):
        assert access not in text and refresh not in text

    whoami = run(["whoami"], env)
    assert whoami.code == 0, whoami.stderr
    assert "alice" in whoami.stdout
    me = run(["whoami", "--json"], env)
    assert json.loads(me.stdout)["username"] == "alice"

    for command in ("alerts", "sources", "oncall"):
        result = run([command, "--json"], env)
        assert result.code == 0, (command, result.stderr)
        assert isinstance(json.loads(result.stdout), list)
    sources = run(["sources"], env)
    assert sources.code == 0 and sources.stdout.strip()

    info = run(["token-info", "--json"], env)
    assert info.code == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["server_says"]["active"] is True
    assert data["claims"]["il_u"] == "alice"

    again = run(["refresh"], env)
    assert again.code == 0, again.stderr
    latest = json.loads(stored.read_text())
    assert latest["obtained_at"] > record["obtained_at"]
    refresh = latest["refresh_token"]  # ilert rotates; the used one stays valid (its docs)

    out = run(["logout"], env)
    assert out.code == 0, out.stderr
    assert not stored.exists()
    # The refresh token was revoked at the server, not only forgotten.
    form = {"grant_type": "refresh_token", "client_id": "ilert-cli-demo", "refresh_token": refresh}
    refused = post(emulator.token_url, form)
    assert refused.status == 401 and refused.json()["code"] == "invalid_grant"

    after = run(["whoami"], env)
    assert after.code == 3
    assert "ilert-pkce login" in after.stderr
    for text in (out.stdout, out.stderr, after.stderr, info.stdout, again.stdout):
        assert access not in text and refresh not in text


def _login(emulator, env, *more: str):
    return login_played(emulator_args(emulator, "--port", "0", *more), env)


def test_login_again_replaces_and_revokes_the_old_session(emulator, env, home):
    assert _login(emulator, env)[1].code == 0
    first = json.loads(token_file(home).read_text())["refresh_token"]
    assert _login(emulator, env)[1].code == 0
    assert json.loads(token_file(home).read_text())["refresh_token"] != first
    form = {"grant_type": "refresh_token", "client_id": "ilert-cli-demo", "refresh_token": first}
    assert post(emulator.token_url, form).status == 401


def test_quiet_json_login(emulator, env, home):
    done = _login(emulator, env, "--quiet", "--json")[1]
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["can_refresh"] is True
    assert done.stderr == ""  # the browser opened: nothing to say


def test_quiet_no_browser_still_prints_the_address(emulator, env, home):
    args = ["login", *emulator_args(emulator, "--port", "0", "--quiet", "--no-browser")]
    done = run([*args, "--wait", "1"], env)
    assert done.code == 4
    assert "/oauth2/authorize?" in done.stderr


def test_api_text_cannot_drive_the_terminal(emulator, env, home):
    """An alert summary with terminal escape sequences is printed as plain text."""
    data = json.loads((ROOT / "ilert_emulator" / "data" / "demo.json").read_text())
    data["alerts"][0]["summary"] = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\rline\nnext"
    assert _login(emulator, env)[1].code == 0
    emulator.set_data(data)
    done = run(["alerts"], env)
    assert done.code == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\r" not in done.stdout
    assert " ]0;owned  [2J [31mred line next" in done.stdout
    as_json = run(["alerts", "--json"], env)  # JSON escapes them
    assert "\x1b" not in as_json.stdout
    assert any("owned" in a["summary"] for a in json.loads(as_json.stdout))
