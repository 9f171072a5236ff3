"""A small stand-in for the browser (``js``, ``pyodide.ffi``) so the page's driver code runs
in CPython: elements keep what is set on them, timers wait until a test fires them.

Not a DOM: just enough for ``app.ui`` to run (unknown methods are accepted and return a new
element), so a test asserts on what the page set, never on layout.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterator


class Element:
    def __init__(self, tag: str = "div", element_id: str = "") -> None:
        self.tag = tag
        self.id = element_id
        self.attributes: dict[str, str] = {}
        self.children: list[Element] = []
        self.listeners: dict[str, list[Callable]] = {}
        self.hidden = False
        self.disabled = False
        self.textContent = ""
        self.className = ""
        self.value = ""
        self.checked = False
        self.parentNode: Element | None = None

    # attributes
    def setAttribute(self, name: str, value: object) -> None:
        self.attributes[name] = str(value)

    def getAttribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    def removeAttribute(self, name: str) -> None:
        self.attributes.pop(name, None)

    def hasAttribute(self, name: str) -> bool:
        return name in self.attributes

    # tree
    def append(self, *nodes: object) -> None:
        for node in nodes:
            if isinstance(node, Element):
                node.parentNode = self
                self.children.append(node)

    appendChild = append

    def replaceChildren(self, *nodes: object) -> None:
        self.children = []
        self.append(*nodes)

    def remove(self) -> None:
        if self.parentNode is not None and self in self.parentNode.children:
            self.parentNode.children.remove(self)

    def addEventListener(self, event: str, fn: Callable, *_options: object) -> None:
        self.listeners.setdefault(event, []).append(fn)

    def walk(self) -> Iterator[Element]:
        for child in self.children:
            yield child
            yield from child.walk()

    def buttons(self) -> list[str]:
        return [n.textContent for n in self.walk() if n.tag == "button"]

    def __getattr__(self, name: str) -> object:  # anything else: accepted, does nothing
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: Element()


class Document:
    def __init__(self) -> None:
        self.elements: dict[str, Element] = {}
        self.documentElement = Element("html")
        self.body = Element("body")

    def getElementById(self, element_id: str) -> Element:
        if element_id not in self.elements:
            self.elements[element_id] = Element("div", element_id)
        return self.elements[element_id]

    def createElement(self, tag: str) -> Element:
        return Element(tag)

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: Element()


class Window:
    def __init__(self) -> None:
        self.timers: dict[int, Callable] = {}
        self.intervals: dict[int, Callable] = {}
        self.navigated: list[str] = []
        self.location = types.SimpleNamespace(
            href="http://localhost:4597/", assign=self.navigated.append
        )
        self._next = 0

    def _id(self) -> int:
        self._next += 1
        return self._next

    def setTimeout(self, fn: Callable, _ms: int) -> int:
        handle = self._id()
        self.timers[handle] = fn
        return handle

    def clearTimeout(self, handle: int) -> None:
        self.timers.pop(handle, None)

    def setInterval(self, fn: Callable, _ms: int) -> int:
        handle = self._id()
        self.intervals[handle] = fn
        return handle

    def clearInterval(self, handle: int) -> None:
        self.intervals.pop(handle, None)

    def run_timers(self) -> None:
        """Fire what is due now (a 0 ms timeout, and so on): every timeout set so far."""
        while self.timers:
            handle = min(self.timers)
            self.timers.pop(handle)()

    def tick(self) -> None:
        for fn in list(self.intervals.values()):
            fn()

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: Element()


class Proxy:
    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, *args: object) -> object:
        return self.fn(*args)

    def destroy(self) -> None:
        pass


APP_BROWSER_MODULES = (
    "app.browser.web",
    "app.ui.",
    "app.browser.tabs",
    "app.browser.fetch",
    "app.browser.popup",
)


def install(monkeypatch) -> tuple[Document, Window]:
    """Put the stand-ins in place of ``js`` and ``pyodide``; the modules that touch the
    browser are imported afresh over them (and dropped again by ``monkeypatch``)."""
    document, window = Document(), Window()
    js = types.ModuleType("js")
    js.document = document
    js.window = window
    js.navigator = types.SimpleNamespace(onLine=True)
    js.__getattr__ = lambda name: types.SimpleNamespace()
    pyodide = types.ModuleType("pyodide")
    ffi = types.ModuleType("pyodide.ffi")
    ffi.create_proxy = Proxy
    ffi.create_once_callable = Proxy
    ffi.to_js = lambda value, **_k: value
    ffi.jsnull = object()
    pyodide.ffi = ffi
    monkeypatch.setitem(sys.modules, "js", js)
    monkeypatch.setitem(sys.modules, "pyodide", pyodide)
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    for name in list(sys.modules):
        if name.startswith(APP_BROWSER_MODULES) or name == "app.ui":
            monkeypatch.delitem(sys.modules, name)
    importlib.import_module("app.browser.web")
    return document, window
