"""The live sequence diagram in the flow-log card (drawn by ``app.core.diagram``).

Nothing of it loads at start-up: ``watch(app)`` (called once the page is built) only
observes the log card, and once the card is on screen and the log has an entry, this module
builds the figure, links static/diagram.css and imports ``app.core.diagram``. From then on
every log entry re-renders it after the next paint, from ``log.entries`` (the stored,
already-redacted log, so it survives reloads). An arrow opens its log entry as text
(click, Enter or Space); the arrow keys move between arrows; Export downloads the SVG file.
"""

from __future__ import annotations

from app.browser import web as b

STYLESHEET = "static/diagram.css"
EXPORT_NAME = "ilert-oauth-flow.svg"
_SVG_TYPE = "image/svg+xml"


def _object(**fields: object) -> object:
    """A plain JS object (``{type: ...}``) for a browser API's options."""
    import js
    from pyodide.ffi import to_js

    return to_js(fields, dict_converter=js.Object.fromEntries)


def phase_of(diagram, request) -> str:
    """The diagram phase of an outgoing request (the form says which grant it is)."""
    from app.core import protocol

    return diagram.request_phase(request.method, request.url, protocol.form_fields(request))


def ensure_stylesheet() -> None:
    """Link static/diagram.css once (the diagram's and the teaching panel's styles)."""
    if b.optional(b.document.getElementById("diagram-css")) is None:
        link = b.el("link", rel="stylesheet", href=STYLESHEET, id="diagram-css")
        b.document.head.append(link)


def watch(app) -> None:
    """Build the diagram once the log card is on screen and has something to draw.

    Not at start-up: a fresh page's log is empty, so nothing loads until the first step is
    logged (or a reload brings back a stored log) while the card is in view.
    """
    from pyodide.ffi import create_once_callable, create_proxy

    card = b.by_id("log-card")
    seen = {"card": False, "started": False}

    def build() -> None:
        if seen["started"] or not seen["card"] or not app.log.entries:
            return
        seen["started"] = True
        # When the browser is idle: a returning sign-in is busy with its exchange first.
        b.window.requestIdleCallback(
            create_once_callable(lambda _deadline: app.safe(show, app)), _object(timeout=1000)
        )

    def on_screen(records, observer) -> None:
        seen["card"] = bool(records[len(records) - 1].isIntersecting)  # in view now?
        if seen["started"]:
            observer.disconnect()
        else:
            build()

    proxy = create_proxy(on_screen)
    app._proxies.append(proxy)
    app.log.listeners.append(lambda entry: None if seen["started"] else app.safe(build))
    b.window.IntersectionObserver.new(proxy).observe(card)


def show(app) -> DiagramView:
    """The app's diagram view, built on first call."""
    view = getattr(app, "diagram_view", None)
    if view is None:
        view = DiagramView(app)
        app.diagram_view = view
    return view


class DiagramView:
    """The figure: the SVG, its Export button, the opened exchange and a live region."""

    def __init__(self, app) -> None:
        from app.core import diagram  # here, not at start-up: only once the diagram is shown

        self.diagram = diagram
        self.app = app
        self.log = app.log
        self.pending: dict[str, int] = {}  # phase -> requests under way
        self.last_pending = ""
        self.scheduled = False
        self.width = 0
        self.resize_timer: int | None = None
        self.open_index: int | None = None
        self.announced = len(diagram.steps(self.log.entries))
        ensure_stylesheet()
        self._build()
        self.log.listeners.append(self.on_log)
        self.render()

    # --- building --------------------------------------------------------------------------

    def _build(self) -> None:
        figure = b.el("figure", id="flow-diagram", cls="flow-diagram")
        figure.append(
            b.el(
                "figcaption",
                "Sequence diagram: who talks to whom, in order. Select an arrow (click, or "
                "Tab to it and press Enter; arrow keys move between arrows) to see its exchange.",
                id="flow-diagram-caption",
            )
        )
        self.scroll = b.el("div", cls="fd-scroll")
        figure.append(self.scroll)
        actions = b.el("div", cls="fd-actions")
        self.export_button = b.el("button", "Export SVG", type="button", id="diagram-export")
        actions.append(self.export_button)
        figure.append(actions)
        self.detail = b.el("pre", cls="fd-detail", id="flow-diagram-detail", tabindex="-1")
        self.detail.hidden = True
        figure.append(self.detail)
        self.live = b.el("p", cls="fd-live", role="status", aria_live="polite")
        figure.append(self.live)
        listing = b.by_id("flow-log")
        listing.parentNode.insertBefore(figure, listing)
        self.figure = figure
        self.app.listen(figure, "click", lambda e: self.app.safe(self.on_click, e))
        self.app.listen(figure, "keydown", lambda e: self.app.safe(self.on_key, e))
        self.app.listen(self.export_button, "click", lambda e: self.app.safe(self.export))
        self._observe_size()

    def _observe_size(self) -> None:
        from pyodide.ffi import create_proxy

        def resized(_records, _observer) -> None:
            b.clear_timeout(self.resize_timer)
            self.resize_timer = b.set_timeout(lambda: self.app.safe(self._on_resize), 120)

        proxy = create_proxy(resized)
        self.app._proxies.append(proxy)
        b.window.ResizeObserver.new(proxy).observe(self.scroll)

    def _on_resize(self) -> None:
        if self._width() != self.width:
            self.render()

    # --- rendering -------------------------------------------------------------------------

    def _width(self) -> int:
        return int(self.scroll.clientWidth or 0) or self.diagram.DEFAULT_WIDTH

    def on_log(self, entry) -> None:
        """A log listener: one re-render after the next paint for a burst of entries."""
        if entry is None:  # the log was cleared
            self.open_index = None
            self.detail.hidden = True
            self.announced = 0
        self.schedule()

    def schedule(self) -> None:
        if not self.scheduled:
            self.scheduled = True
            b.window.requestAnimationFrame(self._frame_proxy())

    def _frame_proxy(self) -> object:
        from pyodide.ffi import create_once_callable

        return create_once_callable(lambda _t: self.app.safe(self.render))

    def request_started(self, request) -> str:
        """A request went out: a grey arrow shows it until its entry arrives; its phase."""
        phase = phase_of(self.diagram, request)
        self.pending[phase] = self.pending.get(phase, 0) + 1
        self.last_pending = phase
        self.schedule()
        return phase

    def request_ended(self, phase: str) -> None:
        """(Its log entry, which redraws the diagram, is added right after this.)"""
        left = self.pending.get(phase, 1) - 1
        if left > 0:
            self.pending[phase] = left
        else:
            self.pending.pop(phase, None)
            if self.last_pending == phase:
                self.last_pending = next(iter(self.pending), "")

    def render(self) -> None:
        self.scheduled = False
        focused = self._focused_index()
        self.width = self._width()
        markup = self.diagram.render(
            self.log.entries,
            width=self.width,
            pending=self.last_pending,
            server=self.app.server_name(),
        )
        doc = b.window.DOMParser.new().parseFromString(markup, _SVG_TYPE)
        if b.optional(doc.querySelector("parsererror")) is not None:
            self.scroll.replaceChildren(b.el("p", "The diagram could not be drawn."))
            return
        self.scroll.replaceChildren(b.document.importNode(doc.documentElement, True))
        if self.open_index is not None:
            arrow = self._arrow(self.open_index)
            if arrow is not None:
                arrow.classList.add("fd-current")
        if focused is not None:
            arrow = self._arrow(focused)
            if arrow is not None:
                arrow.focus()
        self._announce()

    def _announce(self) -> None:
        """Tell a screen reader about the newest arrow (the SVG itself is re-created)."""
        items = self.diagram.steps(self.log.entries)
        if len(items) > self.announced and items:
            self.live.textContent = self.diagram.describe_step(
                items[-1], len(items), len(items), self.app.server_name()
            )
        self.announced = len(items)

    def _arrow(self, index: int) -> object | None:
        return b.optional(self.scroll.querySelector(f'[data-entry="{int(index)}"]'))

    def _focused_index(self) -> int | None:
        active = b.optional(b.document.activeElement)
        if active is None or not bool(self.scroll.contains(active)):
            return None
        value = b.optional(active.getAttribute("data-entry"))
        return int(str(value)) if value is not None else None

    # --- interaction -----------------------------------------------------------------------

    def on_click(self, event: object) -> None:
        arrow = b.optional(event.target.closest("[data-entry]"))
        if arrow is not None:
            self.open(int(str(arrow.getAttribute("data-entry"))))

    def on_key(self, event: object) -> None:
        arrow = b.optional(event.target.closest("[data-entry]"))
        if arrow is None:
            return
        key = str(event.key)
        if key in ("Enter", " "):
            event.preventDefault()
            self.open(int(str(arrow.getAttribute("data-entry"))))
        elif key in ("ArrowDown", "ArrowUp", "Home", "End"):
            event.preventDefault()
            arrows = list(self.scroll.querySelectorAll("[data-entry]"))
            if not arrows:
                return
            mine = str(arrow.getAttribute("data-entry"))
            here = next(
                (i for i, a in enumerate(arrows) if str(a.getAttribute("data-entry")) == mine), 0
            )
            there = {
                "ArrowDown": min(here + 1, len(arrows) - 1),
                "ArrowUp": max(here - 1, 0),
                "Home": 0,
                "End": len(arrows) - 1,
            }[key]
            arrows[there].focus()

    def open(self, index: int) -> None:
        """Show entry ``index`` of the log (already redacted) as text; mark its arrow and line."""
        if not 0 <= index < len(self.log.entries):
            return
        self.open_index = index
        self.detail.textContent = self.log.entries[index].as_text()
        self.detail.hidden = False
        for node in self.figure.ownerDocument.querySelectorAll(".fd-current"):
            node.classList.remove("fd-current")
        arrow = self._arrow(index)
        if arrow is not None:
            arrow.classList.add("fd-current")
        lines = b.by_id("flow-log").children
        if index < int(lines.length):
            line = lines.item(index)
            line.classList.add("fd-current")
            line.scrollIntoView(_object(block="nearest"))

    def export(self) -> None:
        """Download the diagram as a standalone SVG file (a blob URL, revoked at once)."""
        import js

        text = self.diagram.export(self.log.entries, server=self.app.server_name())
        blob = js.Blob.new([text], _object(type=_SVG_TYPE))
        url = str(js.URL.createObjectURL(blob))
        link = b.el("a", href=url, download=EXPORT_NAME)
        link.hidden = True
        b.document.body.append(link)
        link.click()
        link.remove()
        # Revoked a little later: the browser starts reading the blob after the click.
        b.set_timeout(lambda: js.URL.revokeObjectURL(url), 5000)
        self.live.textContent = f"Diagram exported as {EXPORT_NAME}."
