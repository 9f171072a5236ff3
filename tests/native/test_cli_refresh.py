"""Refresh as the page does it: by itself when under 60 s remain, and once on a 401."""

from __future__ import annotations

import json
import time

from ilert_pkce import messages
from tests.native.cli_run import Running, emulator_args, play_browser, run, token_file


def sign_in(emulator, env, *more: str) -> None:
    running = Running(["login", *emulator_args(emulator, "--port", "0", *more)], env)
    try:
        play_browser(running)
        assert running.finish().code == 0
    finally:
        running.kill()


def edit(home, **changes) -> dict:
    path = token_file(home)
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))
    return record


def test_refreshes_before_expiry(emulator, env, home):
    sign_in(emulator, env)
    before = edit(home, expires_at=time.time() + 30)  # under 60 s left
    done = run(["whoami"], env)
    assert done.code == 0, done.stderr
    after = json.loads(token_file(home).read_text())
    # (ilert's tokens carry no jti: two issued in the same second may be equal strings)
    assert after["obtained_at"] > before["obtained_at"]
    assert after["expires_at"] > time.time() + 3000


def test_no_refresh_while_time_remains(emulator, env, home):
    sign_in(emulator, env)
    before = json.loads(token_file(home).read_text())
    assert run(["whoami"], env).code == 0
    assert json.loads(token_file(home).read_text())["obtained_at"] == before["obtained_at"]


def test_refreshes_once_on_401_and_retries(emulator, env, home):
    sign_in(emulator, env)
    before = json.loads(token_file(home).read_text())
    emulator.clock.advance(3700)  # the server thinks the access token expired; we do not
    edit(home, expires_at=time.time() + 3000, refresh_expires_at=time.time() + 10**6)
    done = run(["whoami", "--json"], env)
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["username"] == "alice"
    assert json.loads(token_file(home).read_text())["obtained_at"] > before["obtained_at"]


def test_revoked_grant_ends_the_session(emulator, env, home):
    sign_in(emulator, env)
    emulator.revoke_grants("alice")
    emulator.clock.advance(3700)
    edit(home, expires_at=time.time() + 3000)
    done = run(["whoami"], env)
    assert done.code == messages.SIGNED_OUT, done.stderr
    assert "ilert-pkce login" in done.stderr
    assert not token_file(home).exists()  # nothing of the dead session is kept


def test_expired_without_refresh_token(emulator, env, home):
    sign_in(emulator, env, "--scope", "profile")
    record = json.loads(token_file(home).read_text())
    assert record["refresh_token"] is None
    refused = run(["refresh"], env)
    assert refused.code == messages.SIGNED_OUT
    assert "no refresh token" in refused.stderr
    edit(home, expires_at=time.time() - 5)
    done = run(["whoami"], env)
    assert done.code == messages.SIGNED_OUT
    assert not token_file(home).exists()


def test_a_401_that_no_refresh_cures_ends_the_session(emulator, env, home):
    """The API client only raises; flow's decision (``cli.decided``) ends the session."""
    sign_in(emulator, env)
    emulator.faults.add(
        "api", count=5, status=401, body='{"status":401}', content_type="application/json"
    )
    done = run(["whoami"], env)
    assert done.code == messages.SIGNED_OUT, done.stderr
    assert not token_file(home).exists()  # nothing of the dead session is kept


def test_a_failure_that_ends_nothing_keeps_the_session(emulator, env, home):
    sign_in(emulator, env)
    emulator.faults.add("api", status=404, body='{"status":404}', content_type="application/json")
    assert run(["whoami"], env).code != 0
    assert token_file(home).exists()
