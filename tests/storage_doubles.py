"""A store that refuses like a browser's, for tests (it must not ship in the page's bundle)."""

from __future__ import annotations

from app.core.storage import MemoryStorage


class QuotaExceeded(Exception):
    """What a browser's ``setItem`` throws when the store is full (a DOMException there)."""


class StorageBlocked(Exception):
    """What a browser throws on any access when storage is disabled (SecurityError)."""


class QuotaStorage(MemoryStorage):
    """A small store with a quota in characters (keys and values counted, as browsers do).

    A real store that refuses writes, for tests: ``blocked`` makes every access throw.
    """

    def __init__(self, quota: int, blocked: bool = False) -> None:
        super().__init__()
        self.quota = quota
        self.blocked = blocked

    def used(self) -> int:
        return sum(len(k) + len(v) for k, v in self.data.items())

    def _check(self) -> None:
        if self.blocked:
            raise StorageBlocked("The operation is insecure.")

    def get(self, key: str) -> str | None:
        self._check()
        return super().get(key)

    def set(self, key: str, value: str) -> None:
        self._check()
        value = str(value)
        old = self.data.get(key)
        freed = len(key) + len(old) if old is not None else 0
        after = self.used() - freed + len(key) + len(value)
        if after > self.quota:
            raise QuotaExceeded(f"Setting the value of '{key}' exceeded the quota.")
        self.data[key] = value

    def remove(self, key: str) -> None:
        self._check()
        super().remove(key)

    def keys(self) -> list[str]:
        self._check()
        return super().keys()
