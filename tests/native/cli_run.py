"""Run ``ilert-pkce`` as a user would (a subprocess) and play the browser for its login.

The CLI's tokens go to a file store in a temporary ``XDG_CONFIG_HOME`` (``file_store``);
``BROWSER`` points at ``fake_browser.py``, which hands the authorize address to the test;
``play_browser`` then signs in at the emulator like a person (login page, consent form,
Approve) and delivers the redirect to the CLI's loopback server over real HTTP.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.emulator.emu_http import Browser, Reply, get

ROOT = Path(__file__).resolve().parents[2]
FAKE_BROWSER = Path(__file__).with_name("fake_browser.py")
CLI = [sys.executable, "-m", "ilert_pkce"]


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no user config, tokens in a file under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILERT_PKCE_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        ILERT_PKCE_STORE="file",
        PYTHONPATH=str(ROOT),
        BROWSER=f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_BROWSER))} "
        f"{shlex.quote(str(home / 'opened-url'))} %s",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def emulator_args(emulator, *more: str) -> list[str]:
    return [
        "--preset",
        "emulator",
        "--ilert-host",
        emulator.url,
        "--api-base",
        emulator.ip_url + "/api",
        *more,
    ]


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str


class Running:
    """A CLI process under way (``login``)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.env = env
        self.home = Path(env["HOME"])
        (self.home / "opened-url").unlink(missing_ok=True)  # an earlier login's
        self.proc = subprocess.Popen(
            [*CLI, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def opened_url(self, timeout: float = 15) -> str:
        """The address the CLI asked the (fake) browser to open."""
        target = self.home / "opened-url"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if target.exists():
                return target.read_text(encoding="utf-8")
            if self.proc.poll() is not None:
                raise AssertionError(f"the CLI ended: {self.finish()}")
            time.sleep(0.02)
        raise AssertionError("the CLI opened no browser")

    def finish(self, timeout: float = 60) -> Done:
        out, err = self.proc.communicate(timeout=timeout)
        return Done(self.proc.returncode, out, err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> Done:
    proc = subprocess.run(
        [*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    return Done(proc.returncode, proc.stdout, proc.stderr)


def approve_at_emulator(url: str, approve: bool = True) -> str:
    """Sign in as Alice at the emulator's pages and Approve (or Deny); the redirect's URL."""
    browser = Browser()
    login = browser.open(url)
    consent = browser.click(login, "Continue as Alice Meier")
    done = browser.click(consent, "Approve" if approve else "Deny")
    assert done.status == 302, (done.status, done.text[:500])
    return done.location


def deliver(redirect: str) -> Reply:
    """GET the redirect on the CLI's loopback server, as the browser does."""
    assert urlsplit(redirect).hostname in ("127.0.0.1", "::1", "localhost"), redirect
    return get(redirect, timeout=60)


def play_browser(running: Running, approve: bool = True) -> Reply:
    return deliver(approve_at_emulator(running.opened_url(), approve))


def login_played(args: list[str], env: dict[str, str]) -> tuple[Reply, Done]:
    """``ilert-pkce login ARGS`` with the browser's part played at the emulator: the page
    the loopback server answered with, and how the process ended."""
    running = Running(["login", *args], env)
    try:
        page = play_browser(running)
        return page, running.finish()
    finally:
        running.kill()


def token_file(home: Path) -> Path:
    return home / "config" / "ilert-pkce" / "tokens.json"
