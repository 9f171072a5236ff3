"""Where the terminal client keeps its tokens: the OS keyring, else a file only you can read.

The session core (``app.core.session``) talks to an ``app.core.storage.Storage``;
``TokenStorage`` is one whose token record lives in a backend and whose other keys (the sign-in
attempt, used states) stay in this process's memory: they only matter while ``login`` runs.

Backends: the ``keyring`` package (macOS Keychain, Windows Credential Locker, Secret
Service, KWallet) when it has a real backend; otherwise (no backend: ``keyring``'s ``fail``
or ``null`` backend, or a chainer with nothing in it) a JSON file with mode 0600 in
``$XDG_CONFIG_HOME/ilert-pkce/`` (``~/.config/ilert-pkce/``), written atomically so a crash
never leaves half a token record. ``ILERT_PKCE_STORE=keyring|file`` forces one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from app.boot.keys import TOKENS_KEY
from app.core.errors import AppError

SERVICE = "ilert-pkce"  # the keyring's service name
ACCOUNT = "tokens"  # the keyring's user name for the one token record
TOKENS_FILE = "tokens.json"
STORE_ENV = "ILERT_PKCE_STORE"


class StoreFailed(AppError):
    """The keyring or the token file refused a read or a write."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/ilert-pkce`` (``~/.config/ilert-pkce`` when unset or relative)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "ilert-pkce"


class Backend(Protocol):
    where: str  # for messages: "the system keyring (…)" or the file's path

    def load(self) -> str | None: ...
    def save(self, text: str) -> None: ...
    def delete(self) -> None: ...


class KeyringBackend:
    def __init__(self) -> None:
        import keyring

        self.keyring = keyring
        self.where = f"the system keyring ({type(keyring.get_keyring()).__name__})"

    def _call(self, fn, *args: str):
        try:
            return fn(SERVICE, *args)
        except Exception as exc:  # keyring.errors.KeyringError, D-Bus errors, locked ...
            raise StoreFailed(self.where, type(exc).__name__) from None

    def load(self) -> str | None:
        return self._call(self.keyring.get_password, ACCOUNT)

    def save(self, text: str) -> None:
        self._call(self.keyring.set_password, ACCOUNT, text)

    def delete(self) -> None:
        if self.load() is None:
            return
        self._call(self.keyring.delete_password, ACCOUNT)


class FileBackend:
    """One JSON file, mode 0600 in a 0700 folder, replaced atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / TOKENS_FILE
        self.where = f"the token file {self.path}"

    def load(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreFailed(self.where, exc.strerror or type(exc).__name__) from None

    def save(self, text: str) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Created 0600 from the start (never readable by others, not even briefly),
            # then renamed over the old file: a reader sees the old record or the new one.
            fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=folder)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise StoreFailed(self.where, exc.strerror or type(exc).__name__) from None

    def delete(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreFailed(self.where, exc.strerror or type(exc).__name__) from None


def keyring_usable() -> bool:
    """Whether ``keyring`` is installed and has a backend that stores anything."""
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring) or type(backend).__module__ == "keyring.backends.null":
        return False
    # A chainer with nothing in it stores nothing either.
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


def choose_backend(kind: str | None = None) -> Backend:
    """``keyring``, ``file`` or ``auto`` (default: ILERT_PKCE_STORE, else auto)."""
    kind = (kind or os.environ.get(STORE_ENV) or "auto").strip().lower()
    if kind == "file":
        return FileBackend()
    if kind == "keyring":
        if not keyring_usable():
            raise StoreFailed("the system keyring", "no keyring backend is available")
        return KeyringBackend()
    if kind != "auto":
        raise StoreFailed(f"{STORE_ENV}={kind}", "expected keyring, file or auto")
    return KeyringBackend() if keyring_usable() else FileBackend()


class TokenStorage:
    """An ``app.core.storage.Storage``: the token record in ``backend``, the rest in memory."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.memory: dict[str, str] = {}
        stored = backend.load()
        if stored is not None:
            self.memory[TOKENS_KEY] = stored

    def get(self, key: str) -> str | None:
        return self.memory.get(key)

    def set(self, key: str, value: str) -> None:
        if key == TOKENS_KEY:
            self.backend.save(str(value))  # raises: the caller's write() reports it
        self.memory[key] = str(value)

    def remove(self, key: str) -> None:
        if key == TOKENS_KEY:
            self.backend.delete()
        self.memory.pop(key, None)

    def keys(self) -> Iterable[str]:
        return list(self.memory)
