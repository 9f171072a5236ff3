"""The live sequence diagram: the flow log drawn as SVG text, one arrow per step.

Pure Python (no DOM, no I/O): ``render(entries)`` returns SVG markup for the page,
``export(entries)`` a standalone SVG document for download. Everything shown comes from
flow-log entries, which may hold anything (sessionStorage is untrusted), so every text is
re-redacted, shortened and XML-escaped here, and no request or response data is drawn at
all (that stays in the log, which an arrow opens). Built from the stored log, the diagram
survives reloads like the log does.

How the page integrates it
--------------------------
Integration API (all pure; ``entries`` is ``log.entries``, the list the indices refer to):

* ``render(entries, *, width=720, pending="") -> str``: SVG markup, laid out for ``width``
  CSS pixels (clamped to 260..1200). ``pending`` = a phase under way draws a grey arrow last.
* ``export(entries, *, width=720) -> str``: the standalone document (for the download).
* ``steps(entries) -> list[Step]`` and ``describe_step(step, number, total) -> str``: the
  same items as data, and the sentence a screen reader hears (for a live announcement).
* In the markup: each arrow is ``g.fd-step`` with ``tabindex="0" role="button"
  aria-label="…" data-entry="INDEX"``; classes ``fd-ok|fd-refused|fd-failed`` and
  ``fd-PHASE``; ``.fd-current`` on an arrow marks the one whose entry is open.

What the page does (``app/ui/diagram_view.py``, ``app/ui/teaching_view.py``):

* Where: a ``<figure id="flow-diagram" class="flow-diagram">`` in the flow-log card above
  the log list: ``<figcaption>``, a ``<div class="fd-scroll">`` holding the SVG, a
  ``<div class="fd-actions">`` with an "Export SVG" button, and a ``<pre class="fd-detail"
  hidden>`` for the opened exchange. Nothing of it loads at boot: once the log card is in
  view and the log has an entry, ``from app import diagram`` inside the method and append
  ``<link rel="stylesheet" href="static/diagram.css">`` to ``<head>`` once.
* Rendering: ``svg = diagram.render(log.entries, width=scroll_div.clientWidth)``; parse it
  with ``DOMParser().parseFromString(svg, "image/svg+xml")`` (no script runs there), check
  there is no ``parsererror`` element, then ``scroll_div.replaceChildren(
  document.importNode(doc.documentElement, True))``. The markup is ours and every text in it
  is escaped (tested), so no log text is ever parsed as markup.
* Updates: in the log listener (``on_log``), schedule one re-render after the next paint
  (several entries in a row give one render; 500 entries take about 20 ms in CPython). On
  ``log.clear()`` (listener gets ``None``) render the empty diagram. While a request is out,
  pass ``pending=`` its phase (the async page knows what it awaits) so the arrow appears as
  it happens and turns into the real one when its entry arrives. Re-render on resize
  (``ResizeObserver`` on the scroll div, debounced): the SVG has a fixed width/height and the
  CSS only lets it shrink (``max-width: 100%``), so text keeps its size on a phone. Keep
  focus: remember the focused ``data-entry`` before replacing and focus the same one after.
* Opening a step: one ``click`` and one ``keydown`` listener on the figure;
  ``event.target.closest("[data-entry]")`` is the arrow and ``int(getAttribute(
  "data-entry"))`` the index into ``log.entries``. Enter or Space (``preventDefault`` so the
  page does not scroll) opens it like a click: ``fd-detail.textContent =
  log.entries[i].as_text()`` (as text), show it, put ``.fd-current`` on the arrow and on the
  matching ``#flow-log li`` and scroll that line into view.
* Export: ``text = diagram.export(log.entries)``; ``blob = Blob.new([text], {"type":
  "image/svg+xml"})``; ``url = URL.createObjectURL(blob)``; a temporary
  ``<a download="ilert-oauth-flow.svg" href=url>`` clicked and removed, then
  ``URL.revokeObjectURL(url)``. The file is a valid SVG document on its own (XML declaration,
  xmlns, width/height, title/desc, presentation attributes instead of page CSS).
* Teaching mode (``app.core.teaching``): a checkbox "Teaching mode: pause before each step" in
  Settings, saved in localStorage as ``keys.TEACHING_KEY`` = ``"on"`` (absent = off, the
  default; it is not an OAuth setting and does not go into ``settings.Settings``). When it
  is on, the page shows a panel (``<section class="teach">``, structure in
  static/diagram.css) and awaits its Continue button (an ``asyncio.Future`` resolved by
  the click; focus moves to the panel) at:
  1. before the redirect or popup: ``teaching.authorize_lesson(url)``;
  2. back from ilert, after ``callback.handle`` checked the state, before the exchange:
     ``teaching.callback_lesson(params, stored_state, state_checked=True)`` (the page reads
     ``storage.peek_attempt(store).state`` before ``callback.handle`` deletes it, in teaching
     mode only; the code stays hidden);
  3. after the exchange was answered: ``teaching.exchange_lesson(code=..., verifier=...,
     challenge=teaching.challenge_from_log(log.entries), tokens=tokens.to_dict() or None,
     spent=True)``: the code, the PKCE check, the token response and the claims;
  4. before each refresh, token info, revoke and the first API call of a load:
     ``teaching.lesson(phase)``.
  Revealed values are only ever set as ``textContent`` in the panel, never logged or
  stored, and the panel is emptied when Continue is pressed. Outside teaching mode none of
  these functions is called.
* Log entries: pass ``phase=`` when logging the authorize and callback steps:
  ``log.step(title, phase="authorize", authorize_url=url)`` (add ``via="popup"`` for the
  popup flow) and ``log.step(title, phase="callback", query=params)`` (``via="popup"`` too).
  HTTP entries need nothing: their URL and ``grant_type`` say what they are. Entries without
  a phase (older stored logs, today's page) are recognised by their data.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urlsplit

from app.core.flowlog import Entry, redact_text
from app.core.urls import AUTHORIZE_PATH, REVOKE_PATH, TOKEN_INFO_PATH, TOKEN_PATH

PAGE, SIGN_IN, TOKEN, API = "page", "signin", "token", "api"
# Lane key -> (header lines, header lines on a phone, name read out to screen readers).
LANES: dict[str, tuple[tuple[str, str], tuple[str, str], str]] = {
    PAGE: (("This page", "your browser"), ("This page", "browser"), "this page (your browser)"),
    SIGN_IN: (("ilert", "sign-in page"), ("ilert", "sign-in"), "ilert's sign-in page"),
    TOKEN: (("ilert token", "endpoint"), ("ilert", "token"), "ilert's token endpoint"),
    API: (("ilert", "API"), ("ilert", "API"), "ilert's API"),
}
_LANE_ORDER = tuple(LANES)


def lanes(server: str = "ilert") -> dict[str, tuple[tuple[str, str], tuple[str, str], str]]:
    """The lanes named after the server in use (``urls.server_name``); ilert's by default."""
    if server == "ilert":
        return LANES
    return {
        PAGE: LANES[PAGE],
        SIGN_IN: ((server, "sign-in page"), (server, "sign-in"), f"the sign-in page of {server}"),
        TOKEN: ((server, "token endpoint"), (server, "token"), f"the token endpoint of {server}"),
        API: ((server, "API"), (server, "API"), f"the API of {server}"),
    }


PHASES = ("authorize", "callback", "exchange", "api", "refresh", "token_info", "revoke")
OK, REFUSED, FAILED, PENDING = "ok", "refused", "failed", "pending"
# Outcome -> (colour, stroke-dasharray): the dash pattern and the text label say it too.
OUTCOME_STYLE = {
    OK: ("#1d7a46", ""),
    REFUSED: ("#8a5a00", "7 4"),
    FAILED: ("#b3261e", "2 3"),
    PENDING: ("#5a6472", "1 5"),
}
# Phase -> (title, from lane, to lane); "token" is a token-endpoint call of another grant.
# (No title contains a page button's name, e.g. "Token info": the arrows are buttons too.)
_HTTP_STEPS = {
    "exchange": ("Code exchange", PAGE, TOKEN),
    "refresh": ("Refresh", PAGE, TOKEN),
    "token_info": ("Token status", PAGE, TOKEN),
    "revoke": ("Revoke", PAGE, TOKEN),
    "token": ("Token request", PAGE, TOKEN),
    "api": ("API call", PAGE, API),
}
_ALL_STEPS = {
    "authorize": ("Redirect to sign in", PAGE, SIGN_IN),
    "callback": ("Callback: code, state", SIGN_IN, PAGE),
    **_HTTP_STEPS,
}
TEXT_COLOUR, MUTED_COLOUR, LINE_COLOUR = "#1c2430", "#5a6472", "#9aa3ae"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
DEFAULT_WIDTH = 720
MIN_WIDTH, MAX_WIDTH = 260, 1200
_NARROW = 400  # below this width: smaller text and short lane headers
_PAD = 8
_ROW = 46
# A background-coloured outline under the text, so lifelines do not run through letters.
_HALO = {
    "stroke": "#ffffff",
    "stroke_width": 4,
    "stroke_linejoin": "round",
    "paint_order": "stroke",
}
_MAX_DETAIL = 200  # characters kept from any one text before layout truncation

# Characters XML 1.0 forbids even escaped, plus bidi overrides (they could make a path
# read differently from what it is): replaced, so any entry gives a well-formed document.
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)


class Step(NamedTuple):
    """One drawn item: an arrow between two lanes, or a note (error) on this page's lane."""

    index: int  # position of its entry in the rendered list (the page opens that entry)
    phase: str  # one of PHASES, or "error"
    title: str
    source: str  # lane key
    target: str  # lane key (== source for a note)
    detail: str  # e.g. "POST /api/developers/oauth2/token"; already redacted
    outcome: str  # OK, REFUSED or FAILED (PENDING for the step under way)
    status: str  # "200", "no response", "access_denied", ...
    duration_ms: float | None = None


def escape(text: object) -> str:
    """Text safe inside an XML element or a double-quoted attribute."""
    s = _BAD_CHARS.sub("\ufffd", str(text))
    return (
        s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _clean(value: object) -> str:
    """A one-line, redacted, bounded text from anything an entry may hold."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = " ".join(text.split())[:_MAX_DETAIL]
    return redact_text(text)


def _path(url: object) -> str:
    """Only the URL's path: its query may carry anything, and the host is the lane."""
    if not isinstance(url, str):
        return ""
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def _data(entry: Entry) -> dict:
    return entry.request if isinstance(entry.request, dict) else {}


def _http_outcome(status: object) -> tuple[str, str]:
    if not isinstance(status, int) or isinstance(status, bool) or status <= 0:
        return FAILED, "no response"
    if status < 400:
        return OK, str(status)
    if status < 500:
        return REFUSED, str(status)
    return FAILED, str(status)


def _http_step(index: int, entry: Entry) -> Step:
    path = _path(entry.url)
    phase = entry.phase if entry.phase in PHASES else ""
    if not phase:
        grant = _data(entry).get("grant_type")
        if path.endswith(TOKEN_PATH):
            phase = {"authorization_code": "exchange", "refresh_token": "refresh"}.get(
                grant if isinstance(grant, str) else "", "token"
            )
        elif path.endswith(TOKEN_INFO_PATH):
            phase = "token_info"
        elif path.endswith(REVOKE_PATH):
            phase = "revoke"
        else:
            phase = "api"
    outcome, status = _http_outcome(entry.status)
    duration = entry.duration_ms if isinstance(entry.duration_ms, (int, float)) else None
    if phase not in _HTTP_STEPS:  # "authorize"/"callback" on an HTTP entry: draw it as a call
        phase = "api"
    title, source, target = _HTTP_STEPS[phase]
    return Step(
        index,
        phase,
        title,
        source,
        target,
        _clean(f"{_clean(entry.method)} {_clean(path)}".strip()),
        outcome,
        status,
        None if duration is None or isinstance(duration, bool) else float(duration),
    )


def request_phase(method: str, url: str, form: dict | None = None) -> str:
    """The phase of a request about to go out (drawn as under way with ``render(pending=)``),
    by the same rules its log entry will be drawn with once the answer is in."""
    return _http_step(0, Entry(0.0, "http", "", method, url, 200, None, dict(form or {}))).phase


def _step_phase(entry: Entry) -> str:
    """The phase of a "step" entry: its own, else recognised from what it carries."""
    if entry.phase in ("authorize", "callback"):
        return entry.phase
    if entry.phase:
        return ""
    data = _data(entry)
    if isinstance(data.get("authorize_url"), str):
        return "authorize"
    title = entry.title if isinstance(entry.title, str) else ""
    if title.startswith("Back from ilert"):  # the page's wording before phases existed
        return "callback"
    return ""


def _flow_step(index: int, entry: Entry, phase: str) -> Step:
    data = _data(entry)
    popup = data.get("via") == "popup"
    if phase == "authorize":
        url = data.get("authorize_url")
        return Step(
            index,
            phase,
            "Sign-in popup" if popup else _ALL_STEPS["authorize"][0],
            PAGE,
            SIGN_IN,
            _clean(f"GET {_path(url) or AUTHORIZE_PATH}"),
            OK,
            "opened" if popup else "sent",
        )
    query = data.get("query")
    query = query if isinstance(query, dict) else data
    error = query.get("error")
    title = entry.title if isinstance(entry.title, str) else ""
    if error or "with an error" in title:
        code = _clean(error) if isinstance(error, str) and error else "error"
        return Step(index, phase, "Callback: error", SIGN_IN, PAGE, _clean(title), REFUSED, code)
    detail = "message from the popup" if popup else "redirect back to this page"
    return Step(index, phase, _ALL_STEPS["callback"][0], SIGN_IN, PAGE, detail, OK, "received")


def steps(entries: list[Entry]) -> list[Step]:
    """The drawn items for ``entries``, in order; ``Step.index`` is the entry's position.

    An error entry becomes a note unless it only explains the refused or failed arrow just
    before it (that arrow already shows the outcome).
    """
    out: list[Step] = []
    explained = True
    for index, entry in enumerate(entries):
        kind = getattr(entry, "kind", None)
        if kind == "http":
            out.append(_http_step(index, entry))
            explained = out[-1].outcome == OK
        elif kind == "step":
            phase = _step_phase(entry)
            if phase:
                out.append(_flow_step(index, entry, phase))
                explained = out[-1].outcome == OK
        elif kind == "error":
            if explained:
                title = _clean(entry.title) or "an unexpected error"
                out.append(Step(index, "error", "Error", PAGE, PAGE, title, FAILED, "error"))
            explained = True
    return out


def describe_step(step: Step, number: int, total: int, server: str = "ilert") -> str:
    """The screen-reader text of one arrow (its aria-label)."""
    named = lanes(server)
    if step.outcome == PENDING:
        route = f"from {named[step.source][2]} to {named[step.target][2]}"
        return f"Under way: {step.title}, {route}."
    if step.phase == "error":
        what = f"this page noted an error: {step.detail}"
    else:
        what = f"from {named[step.source][2]} to {named[step.target][2]}, {step.detail}"
    took = f", {step.duration_ms:.0f} ms" if step.duration_ms is not None else ""
    return (
        f"Step {number} of {total}: {step.title}, {what}. Outcome: {step.outcome} "
        f"({step.status}{took}). Press Enter to show this exchange."
    )


def _fit(text: str, chars: int, keep_tail: bool = False) -> str:
    """``text`` in at most ``chars`` characters; a path keeps its informative end."""
    if len(text) <= chars:
        return text
    if chars <= 1:
        return ""
    if keep_tail:  # "POST /api/developers/oauth2/token" -> "POST …oauth2/token" or "…2/token"
        method, _, rest = text.partition(" ")
        room = chars - len(method) - 2
        if rest and room >= 6:
            return f"{method} …{rest[-room:]}"
        return "…" + text[-(chars - 1) :]
    return text[: chars - 1] + "…"


def _attrs(**attrs: object) -> str:
    return "".join(
        f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items() if v != ""
    )


def _text(x: float, y: float, body: str, **attrs: object) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}"{_attrs(**attrs)}>{body}</text>'


def render(
    entries: list[Entry],
    *,
    width: float = DEFAULT_WIDTH,
    standalone: bool = False,
    id_prefix: str = "flow-diagram",
    pending: str = "",
    server: str = "ilert",
) -> str:
    """SVG markup of the sequence diagram for ``entries`` (the flow log's list).

    ``width`` is the width it will be shown at, in CSS pixels: the layout is made for it, so
    text keeps a readable size on a phone. The SVG gets that size as width/height, and
    static/diagram.css lets it shrink (``max-width: 100%``) but never grow between renders.
    ``standalone`` gives a complete document (XML declaration, fixed size, white background)
    for export. Each arrow is ``<g class="fd-step fd-OUTCOME" tabindex="0" role="button"
    aria-label="…" data-entry="INDEX">``. ``pending`` (a phase, e.g. "exchange") adds a grey
    arrow at the end for the step under way (``fd-pending``, not focusable: no entry yet).
    ``server`` names the server's lanes (``urls.server_name``).
    """
    named = lanes(server)
    items = steps(entries)
    total = len(items)
    if pending in _ALL_STEPS:
        title, source, target = _ALL_STEPS[pending]
        items.append(Step(-1, pending, title, source, target, "", PENDING, "under way"))
    w = max(MIN_WIDTH, min(MAX_WIDTH, round(width if isinstance(width, (int, float)) else 0)))
    narrow = w < _NARROW
    font, head_font = (12, 11) if narrow else (13, 12)
    span = (w - 2 * _PAD) / len(_LANE_ORDER)
    lane_x = {key: _PAD + span * (i + 0.5) for i, key in enumerate(_LANE_ORDER)}
    head_h = 2 * (head_font + 4) + 10
    rows_h = max(1, len(items)) * _ROW
    height = head_h + rows_h + _PAD
    pid = escape(re.sub(r"[^A-Za-z0-9_-]", "", id_prefix) or "flow-diagram")

    out: list[str] = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {height}"'
        f' width="{w}" height="{height}"'
        f' class="flow-diagram-svg" role="group" aria-labelledby="{pid}-title"'
        f' aria-describedby="{pid}-desc"'
        f' font-family="{escape(FONT)}" font-size="{font}" fill="{TEXT_COLOUR}">'
    )
    out.append(f'<title id="{pid}-title">Sequence diagram of the sign-in flow</title>')
    lanes_read = ", ".join(name for *_, name in named.values())
    summary = f"{total} step{'s' if total != 1 else ''}" if total else "No steps yet"
    out.append(
        f'<desc id="{pid}-desc">{escape(summary)}, in order from top to bottom, between '
        f"{escape(lanes_read)}. Each arrow is marked ok, refused or failed.</desc>"
    )
    if standalone:
        out.append(f'<rect width="{w}" height="{height}" fill="#ffffff"/>')

    # Lane headers and lifelines.
    out.append('<g class="fd-lanes" aria-hidden="true">')
    for key, (wide_lines, narrow_lines, _name) in named.items():
        first, second = narrow_lines if narrow else wide_lines
        x = lane_x[key]
        out.append(
            _text(
                x,
                head_font + 4,
                escape(first),
                text_anchor="middle",
                font_weight="600",
                font_size=head_font,
            )
            + _text(
                x,
                2 * (head_font + 4),
                escape(second),
                text_anchor="middle",
                font_size=head_font,
                fill=MUTED_COLOUR,
            )
            + f'<line class="fd-lifeline" x1="{x:.1f}" y1="{head_h - 4}" x2="{x:.1f}"'
            f' y2="{height - _PAD}" stroke="{LINE_COLOUR}" stroke-width="1"'
            ' stroke-dasharray="3 4"/>'
        )
    out.append("</g>")

    if not items:
        out.append(
            _text(
                w / 2,
                head_h + _ROW / 2,
                "No steps yet: press “Sign in with ilert”.",
                text_anchor="middle",
                fill=MUTED_COLOUR,
                class_="fd-empty",
            )
        )
    char_w = font * 0.6
    for number, step in enumerate(items, 1):
        top = head_h + (number - 1) * _ROW
        colour, dashes = OUTCOME_STYLE[step.outcome]
        label = f"{step.outcome} · {step.status}"
        label_w = len(label) * char_w + 6
        budget = int((w - 2 * _PAD - label_w) / char_w)
        head = _fit(f"{number}. {step.title}", budget)
        is_http = step.phase not in ("authorize", "callback", "error")
        room = budget - len(head) - 1
        detail = _fit(step.detail, room, keep_tail=is_http) if room >= 6 else ""  # no "G…"
        line = escape(head)
        said = escape(describe_step(step, number, total, server))
        if step.outcome == PENDING:
            out.append(f'<g class="fd-pending fd-{step.phase}" role="img" aria-label="{said}">')
        else:
            out.append(
                f'<g class="fd-step fd-{step.outcome} fd-{step.phase}" tabindex="0"'
                f' role="button" data-entry="{step.index}" aria-label="{said}">'
            )
        out.append(
            f'<rect class="fd-hit" x="0" y="{top}" width="{w}" height="{_ROW}" rx="4"'
            ' fill="#ffffff" fill-opacity="0"/>'
        )
        text_y = top + font + 4
        parts = f'<tspan font-weight="600">{line}</tspan>'
        if detail:
            parts += f'<tspan fill="{MUTED_COLOUR}"> {escape(detail)}</tspan>'
        out.append(_text(_PAD, text_y, parts, class_="fd-label", **_HALO))
        out.append(
            _text(
                w - _PAD,
                text_y,
                escape(label),
                text_anchor="end",
                font_weight="600",
                fill=colour,
                class_="fd-outcome",
                **_HALO,
            )
        )
        arrow_y = top + _ROW - 13
        out.append(_arrow(lane_x[step.source], lane_x[step.target], arrow_y, colour, dashes))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _arrow(x1: float, x2: float, y: float, colour: str, dashes: str) -> str:
    """A horizontal arrow from x1 to x2, or a marked point when they are the same lane."""
    if x1 == x2:  # a note on one lane: a ringed "!"
        return (
            f'<circle class="fd-line" cx="{x1:.1f}" cy="{y:.1f}" r="8" fill="#ffffff"'
            f' stroke="{colour}" stroke-width="2"/>'
            + _text(x1, y + 4, "!", text_anchor="middle", font_weight="700", fill=colour)
        )
    sign = 1 if x2 > x1 else -1
    tip = x2 - sign * 2
    base = tip - sign * 9
    dash = f' stroke-dasharray="{dashes}"' if dashes else ""
    return (
        f'<line class="fd-line" x1="{x1:.1f}" y1="{y:.1f}" x2="{base:.1f}" y2="{y:.1f}"'
        f' stroke="{colour}" stroke-width="2"{dash}/>'
        f'<path class="fd-head" d="M{tip:.1f} {y:.1f}L{base:.1f} {y - 5:.1f}L{base:.1f} '
        f'{y + 5:.1f}Z" fill="{colour}"/>'
    )


def export(entries: list[Entry], *, width: float = DEFAULT_WIDTH, server: str = "ilert") -> str:
    """A standalone SVG document of the diagram (what the Export button downloads)."""
    return render(
        entries, width=width, standalone=True, id_prefix="flow-diagram-export", server=server
    )
