"""Storage interface, what the flow stores, and storage that fails without losing anything.

The browser implementation (over ``sessionStorage``) lives in ``app.browser.web``; tests use
``MemoryStorage`` (and a store that refuses, in ``tests/``). Tokens and the PKCE verifier
only ever go to the session store given here (the page passes sessionStorage), never to
localStorage: sessionStorage is per tab and dies with it, and a reload in the same tab keeps
the session.

Browsers refuse writes (quota full, storage disabled, private mode): every write here
either succeeds, raises the one typed ``StorageRefused``, or, through ``FallbackStorage``,
keeps the value in memory for this page and reports the refusal once. Tokens are saved
before anything else and may push the (expendable) flow log out of the way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

from app.boot.keys import ATTEMPT_KEY, LOG_KEY, PREFIX, TOKENS_KEY, USED_KEY
from app.core import safe_json
from app.core.errors import StorageRefused

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


def _reason(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{name}: {text}" if text else name


def write(storage: Storage, key: str, text: str) -> bool:
    """Store ``text``. True when stored; False when a FallbackStorage kept it in memory only.

    Raises StorageRefused (never the browser's own exception) when the store refuses.
    """
    try:
        result = storage.set(key, text)
    except Exception as exc:  # QuotaExceededError, SecurityError, ... from the browser
        raise StorageRefused(key, _reason(exc)) from None
    return result is not False


def remove_quietly(storage: Storage, key: str) -> None:
    """Remove ``key``; a store that refuses even that is left alone."""
    with contextlib.suppress(Exception):
        storage.remove(key)


def read_json(storage: Storage, key: str) -> tuple[object | None, str]:
    """(the parsed value, "") ; (None, "") when missing or unreadable; (None, why) for junk.

    Anyone on the origin can write these keys: the value is checked before it is parsed
    (``app.core.safe_json``) and junk is removed, so that it cannot stop every later page load.
    """
    try:
        raw = storage.get(key)
    except Exception:
        return None, ""
    if raw is None:
        return None, ""
    try:
        return safe_json.loads(raw), ""
    except safe_json.Junk as exc:
        remove_quietly(storage, key)  # corrupt or planted: drop rather than fail on every load
        return None, str(exc)


def get_json(storage: Storage, key: str) -> object | None:
    """The parsed value, or None when missing, corrupt or unreadable (never raises)."""
    return read_json(storage, key)[0]


def set_json(storage: Storage, key: str, value: object) -> bool:
    """Store ``value`` as JSON; see write() for the result and StorageRefused."""
    return write(storage, key, json.dumps(value, separators=(",", ":")))


def save_first(storage: Storage, key: str, value: object, free: Iterable[str] = (LOG_KEY,)) -> bool:
    """Store an essential value, removing the expendable ``free`` keys if that makes room.

    The answer of write(); raises StorageRefused when even the freed store refuses.
    """
    try:
        return set_json(storage, key, value)
    except StorageRefused:
        for other in free:
            if other != key:
                remove_quietly(storage, other)
    return set_json(storage, key, value)


def save_tokens(storage: Storage, tokens: dict | None) -> bool:
    """Save (or, with None, remove) the token set before anything else.

    The flow log is given up first when space is short: a lost refresh token ends the
    session, a lost log only shortens what is shown after a reload.
    """
    if tokens is None:
        remove_quietly(storage, TOKENS_KEY)
        return True
    return save_first(storage, TOKENS_KEY, tokens, free=(LOG_KEY,))


class FallbackStorage:
    """A Storage that never throws: what the browser refuses is kept in memory.

    Values that only live in memory survive for this page, not a reload; the stale copy
    in the browser is removed so that a reload never brings back an old token. The
    first refusal is reported through ``on_refused`` (the page says so once) and kept in
    ``refused``. Writing an essential key may first remove the ``expendable`` keys
    (the flow log) to make room; expendable keys are never kept in memory (their owner
    holds them anyway) and never reported.
    """

    def __init__(
        self,
        primary: Storage,
        expendable: Iterable[str] = (LOG_KEY,),
        on_refused: Callable[[StorageRefused], None] | None = None,
    ) -> None:
        self.primary = primary
        self.expendable = frozenset(expendable)
        self.on_refused = on_refused
        self.memory: dict[str, str] = {}
        self.refused: StorageRefused | None = None

    def get(self, key: str) -> str | None:
        if key in self.memory:
            return self.memory[key]
        try:
            return self.primary.get(key)
        except Exception:
            return None

    def _write(self, key: str, value: str) -> StorageRefused | None:
        """Store in the browser (the memory copy goes); the refusal when it would not."""
        try:
            write(self.primary, key, value)
        except StorageRefused as exc:
            return exc
        self.memory.pop(key, None)
        return None

    def set(self, key: str, value: str) -> bool:
        """True when stored in the browser, False when kept in memory (or dropped)."""
        value = str(value)
        refusal = self._write(key, value)
        if refusal is None:
            return True
        if key not in self.expendable:
            # Room for what matters: drop the expendable keys, then try once more.
            for other in self.expendable:
                remove_quietly(self.primary, other)
            refusal = self._write(key, value)
            if refusal is None:
                return True
        remove_quietly(self.primary, key)  # never leave an older value behind
        if key in self.expendable:
            return False
        self.memory[key] = value
        if self.refused is None:
            self.refused = refusal
            if self.on_refused is not None:
                self.on_refused(refusal)
        return False

    def remove(self, key: str) -> None:
        self.memory.pop(key, None)
        remove_quietly(self.primary, key)

    def keys(self) -> list[str]:
        try:
            stored = list(self.primary.keys())
        except Exception:
            stored = []
        return stored + [k for k in self.memory if k not in stored]

    def in_memory_only(self, key: str) -> bool:
        """Whether ``key`` lives only in this page's memory (lost on reload)."""
        return key in self.memory


@dataclass(frozen=True)
class Attempt:
    verifier: str
    state: str
    redirect_uri: str
    created: float
    # The server the sign-in was started with (urls.Endpoints.to_dict()); the callback
    # finishes it there even if the settings changed meanwhile. None: not recorded.
    endpoints: dict | None = None


def save_attempt(storage: Storage, attempt: Attempt) -> bool:
    """Replace any earlier attempt: only the latest sign-in can complete.

    False when it is kept in memory only (FallbackStorage): the redirect to the server
    would lose it, so the page must not start that sign-in. Raises StorageRefused.
    """
    return save_first(storage, ATTEMPT_KEY, asdict(attempt))


def peek_attempt(storage: Storage) -> Attempt | None:
    data = get_json(storage, ATTEMPT_KEY)
    if not isinstance(data, dict):
        return None
    try:
        endpoints = data.get("endpoints")
        return Attempt(
            str(data["verifier"]),
            str(data["state"]),
            str(data.get("redirect_uri", "")),
            float(data.get("created", 0)),
            endpoints if isinstance(endpoints, dict) else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def take_attempt(storage: Storage) -> Attempt | None:
    """Return and delete the stored attempt (verifier + state are one-time)."""
    attempt = peek_attempt(storage)
    remove_quietly(storage, ATTEMPT_KEY)
    return attempt


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:32]


def mark_state_used(storage: Storage, state: str) -> None:
    """Remember a handled state (replay detection); best effort when storage refuses."""
    used = get_json(storage, USED_KEY)
    used = [u for u in used if isinstance(u, str)] if isinstance(used, list) else []
    used.append(_state_hash(state))
    with contextlib.suppress(StorageRefused):
        set_json(storage, USED_KEY, used[-MAX_USED:])


def state_was_used(storage: Storage, state: str) -> bool:
    used = get_json(storage, USED_KEY)
    return isinstance(used, list) and _state_hash(state) in used


def clear_all(storage: Storage, keep: Callable[[str], bool] = lambda k: False) -> None:
    """Remove every item this app stored (sign-out, dead session)."""
    try:
        keys = list(storage.keys())
    except Exception:
        return
    for key in keys:
        if key.startswith(PREFIX) and not keep(key):
            remove_quietly(storage, key)
