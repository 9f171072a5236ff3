"""Browser entry point: clean the address bar, make "Sign in" usable, then start the page.

In a fresh tab the WebAssembly runs slowly at first, and importing and building the page
costs a few hundred milliseconds there. So this module touches only ``js`` and the tiny
``app.boot.address``, ``app.boot.keys`` and ``app.boot.later`` (all of static/app.zip) before it has
(1) removed any code and state from the address bar with history.replaceState, (2) started
the download of the rest of the app and of the standard library and (3) wired and enabled the
sign-in button; the page is built once those are mounted. A click that comes in between
simply waits for it.
"""

import asyncio

import js
from pyodide.ffi import create_once_callable, create_proxy

from app.boot import address, later
from app.boot.keys import TOKENS_KEY

config_request = js.fetch("config.json", js.Object.fromEntries([["cache", "no-cache"]]))
params = address.parse_query(str(js.window.location.search))
is_callback = address.is_callback(params)
if is_callback:
    # First thing: no code or state may stay in the URL (history, referrer, screenshots).
    js.window.history.replaceState(
        None,
        "",
        address.page_base_url(str(js.window.location.href))
        + address.strip_callback_params(str(js.window.location.search)),
    )

# The rest of the app and of the standard library download while "Sign in" becomes usable.
later.mount()
_app_task: asyncio.Future | None = None


async def _build_app() -> object:
    await later.mount()  # before any other app module is imported (app/boot/later.py)
    from app.browser import web as browser
    from app.ui.app import App

    defaults = await browser.load_json(config_request)
    app = App(defaults, browser.web_storage("sessionStorage"), browser.web_storage("localStorage"))
    app.start(params if is_callback else None, config_found=defaults is not None)
    return app


def app_ready() -> asyncio.Future:
    """The page, built once (the first caller starts it)."""
    global _app_task
    if _app_task is None:
        _app_task = asyncio.ensure_future(_build_app())
    return _app_task


def on_sign_in(event: object) -> None:
    """Synchronous: a popup sign-in must call window.open in the click's own task.

    A click before the page is built (a few hundred ms after the button is usable) waits
    for it; the browser's user activation usually outlives that, and when it does not the
    popup is blocked and the sign-in falls back to a full-page redirect.
    """
    task = app_ready()
    if task.done() and not task.cancelled() and task.exception() is None:
        app = task.result()
        app.safe(app.sign_in)
    else:
        _pending.append(asyncio.ensure_future(_sign_in_when_ready()))


_pending: list[asyncio.Future] = []  # kept referenced until done (asyncio holds weak refs)


async def _sign_in_when_ready() -> None:
    try:
        app = await app_ready()
        app.safe(app.sign_in)
    finally:
        _pending.clear()


def has_stored_session() -> bool:
    try:
        # getItem gives a string, or JS null (Pyodide's `jsnull`, not None) when missing.
        return isinstance(js.sessionStorage.getItem(TOKENS_KEY), str)
    except Exception:  # storage blocked: the page falls back to memory, so no session
        return False


sign_in_button = js.document.getElementById("sign-in")
sign_in_proxy = create_proxy(on_sign_in)
sign_in_button.addEventListener("click", sign_in_proxy)
# A returning redirect or a stored session decides what the page shows first: wait for it.
if not is_callback and not has_stored_session():
    sign_in_button.disabled = False


def next_task() -> object:
    """A promise settled in a new task: the browser paints and handles input before it.

    (asyncio.sleep(0) would not do: Pyodide's event loop continues in the same task.)
    """
    return js.Promise.new(create_once_callable(lambda resolve, _reject: js.setTimeout(resolve, 0)))


await next_task()  # noqa: F704 (PyScript runs this module with top-level await)
try:
    await app_ready()  # noqa: F704
except later.Unavailable as exc:
    sign_in_button.disabled = True
    # boot.js shows it, with the advice to reload (a plain message, not a traceback).
    detail = js.Object.fromEntries([["detail", str(exc)]])
    js.window.dispatchEvent(js.CustomEvent.new("app:boot-failed", detail))
except BaseException:
    sign_in_button.disabled = True  # boot.js tells the user that the app could not start
    raise
