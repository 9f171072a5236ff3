"""Adapters from the browser to the core: Web Storage, location/history, timers, DOM helpers.

Only ``app.browser``, ``app.ui`` and ``main`` touch browser objects (imported lazily so the
rest of ``app`` stays importable in CPython).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import js
from pyodide.ffi import create_once_callable, create_proxy, jsnull

from app.core import safe_json
from app.core.storage import MemoryStorage, Storage

document = js.document
window = js.window


def optional(value: object) -> object | None:
    """None for JS null: Pyodide hands null over as ``jsnull``, which ``is None`` misses."""
    return None if value is None or value is jsnull else value


class WebStorage:
    """The Storage protocol over window.sessionStorage or window.localStorage."""

    def __init__(self, backend: object) -> None:
        self.backend = backend

    def get(self, key: str) -> str | None:
        value = optional(self.backend.getItem(key))
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        self.backend.setItem(key, value)

    def remove(self, key: str) -> None:
        self.backend.removeItem(key)

    def keys(self) -> Iterable[str]:
        return [str(self.backend.key(i)) for i in range(int(self.backend.length))]


def web_storage(name: str) -> Storage:
    """``"sessionStorage"`` or ``"localStorage"``; memory when the browser blocks storage."""
    try:
        backend = getattr(window, name)
        backend.getItem("probe")
        return WebStorage(backend)
    except Exception:
        return MemoryStorage()


async def load_json(pending: object) -> dict | None:
    """The JSON object of a pending fetch() (main.py starts it early); None if missing/broken."""
    try:
        resp = await pending
        if not resp.ok:
            return None
        data = safe_json.loads(await resp.text())
        return data if isinstance(data, dict) else None
    except Exception:
        return None


def page_url() -> str:
    return str(window.location.href)


def navigate(url: str) -> None:
    window.location.assign(url)


def set_timeout(fn: Callable[[], None], ms: float) -> int:
    return int(window.setTimeout(create_once_callable(fn), max(0, int(ms))))


def clear_timeout(handle: int | None) -> None:
    if handle is not None:
        window.clearTimeout(handle)


def set_interval(fn: Callable[[], None], ms: float) -> tuple[int, object]:
    proxy = create_proxy(fn)
    return int(window.setInterval(proxy, int(ms))), proxy


def clear_interval(handle: tuple[int, object] | None) -> None:
    if handle is not None:
        window.clearInterval(handle[0])
        handle[1].destroy()


def on(node: object, event: str, fn: Callable[[object], None]) -> object:
    proxy = create_proxy(fn)
    node.addEventListener(event, proxy)
    return proxy


def by_id(element_id: str) -> object:
    return document.getElementById(element_id)


def el(tag: str, text: str | None = None, cls: str = "", **attrs: str) -> object:
    """A new element; text only ever through textContent (API data is never markup)."""
    node = document.createElement(tag)
    if text is not None:
        node.textContent = text
    if cls:
        node.className = cls
    for name, value in attrs.items():
        node.setAttribute(name.rstrip("_").replace("_", "-"), str(value))
    return node


def action_button(label: str, action: str, item: str, aria_label: str) -> object:
    """A button for the page's click delegation, which reads data-action and data-id."""
    return el(
        "button", label, type="button", data_action=action, data_id=item, aria_label=aria_label
    )


def clear(node: object) -> None:
    node.replaceChildren()


def copy_text(text: str, done: Callable[[bool], None]) -> None:
    """Copy to the clipboard; ``done(False)`` when the browser refuses (no unhandled rejection)."""
    try:
        promise = window.navigator.clipboard.writeText(text)
    except Exception:
        done(False)
        return
    promise.then(create_once_callable(lambda _v: done(True))).catch(
        create_once_callable(lambda _e: done(False))
    )
