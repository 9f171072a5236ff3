"""Where the tokens go: the OS keyring when it has a backend, else a 0600 file."""

from __future__ import annotations

import json
import os
import stat

import keyring
import pytest
from keyring.backends import chainer, fail

from app.boot.keys import TOKENS_KEY
from ilert_pkce import store
from tests.native.cli_run import (
    Running,
    cli_env,
    emulator_args,
    login_played,
    play_browser,
    run,
    token_file,
)
from tests.native.fake_keyring import FileKeyring


@pytest.fixture
def restore_keyring():
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def test_no_keyring_backend_means_the_file(restore_keyring, monkeypatch, tmp_path):
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    keyring.set_keyring(fail.Keyring())
    assert not store.keyring_usable()
    backend = store.choose_backend()
    assert isinstance(backend, store.FileBackend)
    assert backend.path == tmp_path / "ilert-pkce" / "tokens.json"
    with pytest.raises(store.StoreFailed):
        store.choose_backend("keyring")
    empty = chainer.ChainerBackend()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(empty)  # a chainer with nothing in it
    assert isinstance(store.choose_backend(), store.FileBackend)
    with pytest.raises(store.StoreFailed):
        store.choose_backend("keyring")


def test_a_keyring_backend_is_used(restore_keyring, monkeypatch, tmp_path):
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    monkeypatch.setenv("TEST_KEYRING_FILE", str(tmp_path / "ring.json"))
    keyring.set_keyring(FileKeyring())
    backend = store.choose_backend()
    assert isinstance(backend, store.KeyringBackend)
    storage = store.TokenStorage(backend)
    storage.set(TOKENS_KEY, '{"access_token": "x"}')
    storage.set("ilert-pkce:attempt", "in memory only")
    assert json.loads((tmp_path / "ring.json").read_text()) == {
        "ilert-pkce/tokens": '{"access_token": "x"}'
    }
    assert store.TokenStorage(backend).get(TOKENS_KEY) == '{"access_token": "x"}'
    storage.remove(TOKENS_KEY)
    assert backend.load() is None


def test_token_file_is_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        backend = store.FileBackend(tmp_path / "cfg" / "tokens.json")
        backend.save("secret")
        backend.save("secret 2")  # replaced, still private
    finally:
        os.umask(old)
    assert stat.S_IMODE(backend.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backend.path.parent.stat().st_mode) == 0o700
    assert backend.load() == "secret 2"
    assert [p.name for p in backend.path.parent.iterdir()] == ["tokens.json"]  # no temp left


def test_refused_write_stores_nothing(tmp_path, emulator):
    ring = tmp_path / "ring.json"
    env = cli_env(
        tmp_path,
        PYTHON_KEYRING_BACKEND="tests.native.fake_keyring.FileKeyring",
        TEST_KEYRING_FILE=str(ring),
        TEST_KEYRING_LOCKED="1",
    )
    del env["ILERT_PKCE_STORE"]
    page, done = login_played(emulator_args(emulator, "--port", "0"), env)
    assert done.code == 8, done.stderr
    assert "nothing was stored" in done.stderr
    assert "Traceback" not in done.stderr
    assert page.status == 400
    assert not ring.exists() and not token_file(tmp_path).exists()


def test_cli_uses_the_keyring(emulator, tmp_path):
    ring = tmp_path / "ring.json"
    env = cli_env(
        tmp_path,
        PYTHON_KEYRING_BACKEND="tests.native.fake_keyring.FileKeyring",
        TEST_KEYRING_FILE=str(ring),
    )
    del env["ILERT_PKCE_STORE"]
    running = Running(["login", *emulator_args(emulator, "--port", "0")], env)
    try:
        play_browser(running)
        done = running.finish()
    finally:
        running.kill()
    assert done.code == 0, done.stderr
    assert "the system keyring (FileKeyring)" in done.stderr
    assert not token_file(tmp_path).exists()
    record = json.loads(json.loads(ring.read_text())["ilert-pkce/tokens"])
    assert record["access_token"]
    assert run(["whoami"], env).code == 0
    assert run(["logout"], env).code == 0
    assert json.loads(ring.read_text()) == {}
