"""Storage interface and the flow's keys.

The browser implementation (over ``sessionStorage``) lives in ``app.browser``; tests use
``MemoryStorage``. Tokens and the PKCE verifier only ever go to the session store given
here (the page passes sessionStorage), never to localStorage: sessionStorage is per tab
and dies with it, and a reload in the same tab keeps the session.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from app.keys import ATTEMPT_KEY, PREFIX, USED_KEY

MAX_USED = 20


class Storage(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def remove(self, key: str) -> None: ...
    def keys(self) -> Iterable[str]: ...


class MemoryStorage:
    """A dict-backed Storage for tests (and a fallback when the browser blocks storage)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self.data[key] = str(value)

    def remove(self, key: str) -> None:
        self.data.pop(key, None)

    def keys(self) -> list[str]:
        return list(self.data)


def get_json(storage: Storage, key: str) -> object | None:
    raw = storage.get(key)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        storage.remove(key)  # corrupt: drop rather than crash on every load
        return None


def set_json(storage: Storage, key: str, value: object) -> None:
    storage.set(key, json.dumps(value, separators=(",", ":")))


@dataclass(frozen=True)
class Attempt:
    verifier: str
    state: str
    redirect_uri: str
    created: float


def save_attempt(storage: Storage, attempt: Attempt) -> None:
    """Replace any earlier attempt: only the latest sign-in can complete."""
    set_json(storage, ATTEMPT_KEY, attempt.__dict__)


def peek_attempt(storage: Storage) -> Attempt | None:
    data = get_json(storage, ATTEMPT_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Attempt(
            str(data["verifier"]),
            str(data["state"]),
            str(data.get("redirect_uri", "")),
            float(data.get("created", 0)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def take_attempt(storage: Storage) -> Attempt | None:
    """Return and delete the stored attempt (verifier + state are one-time)."""
    attempt = peek_attempt(storage)
    storage.remove(ATTEMPT_KEY)
    return attempt


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:32]


def mark_state_used(storage: Storage, state: str) -> None:
    used = get_json(storage, USED_KEY)
    used = [u for u in used if isinstance(u, str)] if isinstance(used, list) else []
    used.append(_state_hash(state))
    set_json(storage, USED_KEY, used[-MAX_USED:])


def state_was_used(storage: Storage, state: str) -> bool:
    used = get_json(storage, USED_KEY)
    return isinstance(used, list) and _state_hash(state) in used


def clear_all(storage: Storage, keep: Callable[[str], bool] = lambda k: False) -> None:
    """Remove every item this app stored (sign-out, dead session)."""
    for key in list(storage.keys()):
        if key.startswith(PREFIX) and not keep(key):
            storage.remove(key)
