"""Start `serve.py` as a user would, on free ports, and stop it again (for any test)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ServeProcess:
    proc: subprocess.Popen
    app_url: str
    emulator_url: str | None = None

    def admin(self, path: str, payload: object | None = None, method: str = "POST") -> object:
        """Call the emulator's test-only endpoint /_emulator/<path> and return its JSON."""
        assert self.emulator_url, "started without the emulator"
        body = json.dumps(payload if payload is not None else {}).encode()
        req = urllib.request.Request(
            f"{self.emulator_url}/_emulator/{path.lstrip('/')}",
            data=body,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def reset(self) -> None:
        self.admin("reset")

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate ``proc`` and wait for it; kill it when it has not stopped within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def emulator_cli(*args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m ilert_emulator --port 0 ARGS`` run from the project root, stopped after.

    Its stdout and stderr are pipes: the first line of stdout names its URL.
    """
    cmd = [sys.executable, "-m", "ilert_emulator", "--port", "0", *args]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        yield proc
    finally:
        stop_process(proc)


def start_serve(*args: str) -> ServeProcess:
    """Start serve.py on free ports (127.0.0.1 only) and wait for the URLs it prints."""
    cmd = [sys.executable, str(ROOT / "serve.py"), "--host", "127.0.0.1", "--port", "0"]
    cmd += list(args)
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    urls: dict[str, str] = {}
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        match = re.match(r"(App|Emulator):\s+(\S+)", line)
        if match:
            urls[match.group(1)] = match.group(2).rstrip("/")
        if line.startswith("Open the app URL"):
            break
    if "App" not in urls:
        proc.kill()
        raise RuntimeError("serve.py did not start:\n" + "".join(lines))
    return ServeProcess(proc, urls["App"] + "/", urls.get("Emulator"))


def run_on_busy_port(*args: str) -> tuple[int, subprocess.CompletedProcess[str]]:
    """Run ``python ARGS --port P`` to its end while another socket listens on P."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [sys.executable, *args, "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    return port, result
