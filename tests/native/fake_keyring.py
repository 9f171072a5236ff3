"""A keyring backend for the tests: entries in a JSON file named by $TEST_KEYRING_FILE.

Loaded by ``keyring`` through ``PYTHON_KEYRING_BACKEND=tests.native.fake_keyring.FileKeyring``
so a CLI subprocess uses it like a real OS keyring; ``TEST_KEYRING_LOCKED=1`` makes every
write fail, as a locked keyring does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordSetError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["TEST_KEYRING_FILE"])

    def _all(self) -> dict:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._all().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        if os.environ.get("TEST_KEYRING_LOCKED"):
            raise PasswordSetError("the keyring is locked")
        data = self._all()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._all()
        data.pop(f"{service}/{username}", None)
        self._path().write_text(json.dumps(data))
