"""Teaching mode in the page: the setting, and the pause before a step (``app.core.teaching``).

Off by default; the checkbox in Settings applies at once and is kept in localStorage
(``keys.TEACHING_KEY`` = "on"). ``pause(lesson)`` shows the lesson in a panel under the
start card and returns once Continue is pressed: an ``asyncio.Future`` resolved by the
click, so the page keeps running meanwhile. What a lesson reveals (a spent code, verifier or
state) is only ever set as text in the panel, never logged or stored, and the panel is
removed when the pause ends. This module imports nothing heavy: ``app.core.teaching`` is
imported by the caller, in teaching mode only.
"""

from __future__ import annotations

import asyncio

from app.boot.keys import TEACHING_KEY
from app.browser import web as b
from app.core import storage

CHECKBOX = "set-teaching"
PANEL_ID = "teach"


def enabled(local_store: storage.Storage) -> bool:
    return local_store.get(TEACHING_KEY) == "on"


def draw(app) -> None:
    """Show the saved choice in the Settings checkbox."""
    box = b.optional(b.by_id(CHECKBOX))
    if box is not None:
        box.checked = enabled(app.local_store)


def on_change(app, event: object) -> None:
    """The checkbox: saved at once (it is not an OAuth setting, so no Save is needed)."""
    from app.ui import notices

    on = bool(event.target.checked)
    if on:
        app.local_store.set(TEACHING_KEY, "on")
    else:
        app.local_store.remove(TEACHING_KEY)
    notices.status(
        "Teaching mode on: the page pauses before each step." if on else "Teaching mode off."
    )


def _rows(section) -> object:
    rows = b.el("dl", cls="teach-rows")
    for row in section.rows:
        item = b.el("div", cls="teach-row", data_key=row.key)
        item.append(b.el("dt", row.name))
        item.append(b.el("dd", row.value, cls="teach-value"))
        if row.note:
            item.append(b.el("dd", row.note, cls="teach-note"))
        rows.append(item)
    return rows


def _panel(lesson) -> tuple[object, object]:
    """The lesson as elements (every value as text); the panel and its Continue button."""
    panel = b.el("section", cls="teach", id=PANEL_ID, tabindex="-1", aria_labelledby="teach-title")
    panel.setAttribute("data-phase", lesson.phase)
    panel.append(b.el("p", "Teaching mode", cls="teach-kicker"))
    panel.append(b.el("h2", lesson.title, id="teach-title"))
    panel.append(b.el("p", lesson.text, cls="teach-text"))
    for section in lesson.sections:
        part = b.el("section", cls="teach-section")
        if section.check is not None:
            part.setAttribute("data-check", "yes" if section.check else "no")
        part.append(b.el("h3", section.heading))
        if section.rows:
            part.append(_rows(section))
        if section.note:
            part.append(b.el("p", section.note, cls="teach-section-note"))
        panel.append(part)
    actions = b.el("div", cls="teach-actions")
    button = b.el("button", "Continue", type="button", cls="primary teach-continue")
    actions.append(button)
    panel.append(actions)
    return panel, button


async def pause(lesson, server: str = "ilert") -> None:
    """Show ``lesson`` and wait for Continue (the page stays usable meanwhile); worded
    after ``server`` (urls.server_name)."""
    from pyodide.ffi import create_proxy

    from app.core import teaching
    from app.ui.diagram_view import ensure_stylesheet

    lesson = teaching.named(lesson, server)

    ensure_stylesheet()
    old = b.optional(b.by_id(PANEL_ID))
    if old is not None:
        old.remove()
    panel, button = _panel(lesson)
    start = b.by_id("start-title").closest("section")
    start.after(panel)
    done: asyncio.Future = asyncio.get_running_loop().create_future()

    def go(_event: object) -> None:
        if not done.done():
            done.set_result(None)

    proxy = create_proxy(go)
    button.addEventListener("click", proxy)
    b.document.documentElement.setAttribute("data-teaching", lesson.phase)
    panel.focus()
    try:
        await done
    finally:
        button.removeEventListener("click", proxy)
        proxy.destroy()
        panel.remove()  # the revealed values go with it
        b.document.documentElement.removeAttribute("data-teaching")
