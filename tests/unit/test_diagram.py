"""The sequence diagram: valid SVG, arrows in order, labels, escaping, a11y, no secrets."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.core import diagram
from app.core.flowlog import Entry, FlowLog

SVG = "{http://www.w3.org/2000/svg}"
HOST = "http://localhost:4598"
TOKEN_URL = f"{HOST}/api/developers/oauth2/token"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpbF91IjoiYWxpY2UifQ.c2lnbmF0dXJlX3NpZ25hdHVyZQ"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def full_flow() -> FlowLog:
    """What the page logs for sign-in, data (401 → refresh → retry), token info, sign-out."""
    log = FlowLog(clock=lambda: 1_700_000_000.0)
    log.step(
        "Sign-in started: going to ilert",
        phase="authorize",
        authorize_url=f"{HOST}/api/developers/oauth2/authorize?client_id=demo&state=S3CR3T"
        f"&code_challenge={CHALLENGE}&code_challenge_method=S256",
    )
    log.step("Back from ilert with a code", phase="callback")
    log.step("State matches this tab's sign-in")  # not an arrow
    log.http(
        "POST",
        TOKEN_URL,
        200,
        85.4,
        {"grant_type": "authorization_code", "code": "c0de", "code_verifier": "v" * 43},
        {"access_token": JWT, "refresh_token": JWT, "expires_in": 3600},
    )
    log.step("Signed in", scope="profile")  # not an arrow
    log.http("GET", f"{HOST}/api/users/current", 401, 9.0)
    log.http("POST", TOKEN_URL, 200, 30.0, {"grant_type": "refresh_token", "refresh_token": JWT})
    log.http("GET", f"{HOST}/api/users/current", 200, 11.0)
    log.http("POST", f"{HOST}/api/developers/oauth2/token_info", 200, 5.0, {"token": JWT})
    log.http("POST", f"{HOST}/api/developers/oauth2/revoke", 200, 4.0, {"token": JWT})
    log.step("Signed out", refresh_token_revoked=True)
    return log


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def arrows(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "fd-step" in g.get("class", "").split()]


def texts(element: ET.Element) -> str:
    return "".join(element.itertext())


# --- order, lanes, labels ------------------------------------------------------------------------


def test_arrows_follow_the_flow_in_order_between_the_right_lanes() -> None:
    log = full_flow()
    items = diagram.steps(log.entries)
    assert [s.phase for s in items] == [
        "authorize",
        "callback",
        "exchange",
        "api",
        "refresh",
        "api",
        "token_info",
        "revoke",
    ]
    assert [(s.source, s.target) for s in items] == [
        ("page", "signin"),
        ("signin", "page"),
        ("page", "token"),
        ("page", "api"),
        ("page", "token"),
        ("page", "api"),
        ("page", "token"),
        ("page", "token"),
    ]
    assert [s.outcome for s in items] == ["ok", "ok", "ok", "refused", "ok", "ok", "ok", "ok"]
    # data-entry is the index of the entry in the log: the page opens exactly that one.
    root = parse(diagram.render(log.entries))
    groups = arrows(root)
    indices = [int(g.get("data-entry")) for g in groups]
    assert indices == [0, 1, 3, 5, 6, 7, 8, 9]
    assert [log.entries[i].kind for i in indices[2:]] == ["http"] * 6
    # Arrows are drawn top to bottom in the same order.
    tops = [float(g.find(f"{SVG}rect").get("y")) for g in groups]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)


def test_arrow_direction_matches_the_lanes() -> None:
    root = parse(diagram.render(full_flow().entries, width=800))
    groups = arrows(root)
    first, second = (g.find(f"{SVG}line") for g in groups[:2])
    # authorize goes right (page → sign-in page), the callback comes back left.
    assert float(first.get("x2")) > float(first.get("x1"))
    assert float(second.get("x2")) < float(second.get("x1"))
    api_line = groups[3].find(f"{SVG}line")
    assert float(api_line.get("x2")) > float(first.get("x2"))  # the API lane is further right


def test_outcome_is_a_text_label_and_not_colour_alone() -> None:
    log = FlowLog()
    log.http("GET", f"{HOST}/api/alerts", 200, 1.0)
    log.http("GET", f"{HOST}/api/alerts", 403, 1.0)
    log.http("GET", f"{HOST}/api/alerts", None, None, {}, {"failure": "NetworkError"})
    log.http("GET", f"{HOST}/api/alerts", 503, 1.0)
    groups = arrows(parse(diagram.render(log.entries)))
    labels = [texts(g.find(f"{SVG}text[@class='fd-outcome']")) for g in groups]
    assert labels == ["ok · 200", "refused · 403", "failed · no response", "failed · 503"]
    lines = [g.find(f"{SVG}line") for g in groups]
    colours = [line.get("stroke") for line in lines[:3]]
    assert len(set(colours)) == 3
    dashes = [line.get("stroke-dasharray") for line in lines[:3]]
    assert len(set(dashes)) == 3  # solid, dashed, dotted: readable in black and white too
    for g, outcome in zip(groups, ("ok", "refused", "failed", "failed"), strict=True):
        assert f"fd-{outcome}" in g.get("class").split()
        assert f"Outcome: {outcome}" in g.get("aria-label")


def test_callback_error_and_popup_and_token_request_kinds() -> None:
    log = FlowLog()
    log.step("Popup opened", phase="authorize", via="popup", authorize_url=f"{HOST}/x?a=1")
    log.step("Back from ilert with an error", phase="callback", query={"error": "access_denied"})
    log.error("consent_denied: ConsentDenied")  # explains the refused arrow: no extra note
    log.http("POST", TOKEN_URL, 400, 2.0, {"grant_type": "client_credentials"})
    items = diagram.steps(log.entries)
    assert [(s.title, s.outcome, s.status) for s in items] == [
        ("Sign-in popup", "ok", "opened"),
        ("Callback: error", "refused", "access_denied"),
        ("Token request", "refused", "400"),
    ]


def test_errors_are_notes_unless_they_explain_the_arrow_before() -> None:
    log = FlowLog()
    log.http("GET", f"{HOST}/api/alerts", None, None)
    log.error("network: NetworkError")  # explains the failed call
    log.http("GET", f"{HOST}/api/alerts", 200, 1.0)
    log.error("Unexpected error: KeyError", detail="boom")  # nothing explains it: a note
    log.error("second error in a row")  # also a note
    items = diagram.steps(log.entries)
    assert [(s.phase, s.index) for s in items] == [
        ("api", 0),
        ("api", 2),
        ("error", 3),
        ("error", 4),
    ]
    note = items[2]
    assert (note.source, note.target, note.outcome) == ("page", "page", "failed")
    assert note.detail == "Unexpected error: KeyError"


def test_old_stored_entries_without_a_phase_are_recognised() -> None:
    """Logs stored before ``phase`` existed (and today's page wording) still draw arrows."""
    log = full_flow()
    old = []
    for data in log.as_dicts():
        data.pop("phase")
        old.append(Entry(**data))
    assert [(s.phase, s.index) for s in diagram.steps(old)] == [
        (s.phase, s.index) for s in diagram.steps(log.entries)
    ]
    # and the new field survives the page's store/restore round trip
    restored = [Entry(**d) for d in log.as_dicts()]
    assert restored == log.entries
    assert restored[0].phase == "authorize"
    assert set(restored[0].request) == {"authorize_url"}  # phase is a field, not logged data
    assert "S3CR3T" not in str(log.as_dicts())  # the authorize URL's state stays redacted


# --- SVG validity, export, responsiveness --------------------------------------------------------


def test_render_is_valid_svg_with_title_and_desc() -> None:
    root = parse(diagram.render(full_flow().entries))
    assert root.tag == f"{SVG}svg"
    width, height = root.get("width"), root.get("height")
    assert root.get("viewBox") == f"0 0 {width} {height}" and width == "720"
    title, desc = root[0], root[1]
    assert title.tag == f"{SVG}title" and desc.tag == f"{SVG}desc"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert texts(desc).startswith("8 steps")


def test_export_is_a_standalone_svg_document() -> None:
    text = diagram.export(full_flow().entries)
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
    )
    root = ET.fromstring(text.encode("utf-8"))
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert root[0].tag == f"{SVG}title"
    background = root.find(f"{SVG}rect")
    assert background.get("fill") == "#ffffff"
    # No page stylesheet is needed: every arrow carries its own presentation attributes.
    for g in arrows(root):
        assert g.find(f"{SVG}line").get("stroke", "").startswith("#")
    assert not [el for el in root.iter() if el.tag == f"{SVG}style" or el.get("style")]


def lane_headers(root: ET.Element) -> list[ET.Element]:
    lanes = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "fd-lanes")
    return lanes.findall(f"{SVG}text")


@pytest.mark.parametrize("width", [272, 340, 1000])
def test_layout_follows_the_width_it_is_shown_at(width: int) -> None:
    """272 px is the diagram's room on a 360 px phone (page and card padding taken off)."""
    root = parse(diagram.render(full_flow().entries, width=width))
    assert root.get("viewBox").split()[2] == root.get("width") == str(width)
    font = int(root.get("font-size"))
    assert font == (12 if width < 400 else 13)
    char = 0.6  # a generous estimate of a character's width, in em
    for g in arrows(root):  # the step's label and its outcome never run into each other
        label = g.find(f"{SVG}text[@class='fd-label']")
        outcome = g.find(f"{SVG}text[@class='fd-outcome']")
        label_end = 8 + len(texts(label)) * font * char
        outcome_start = width - 8 - len(texts(outcome)) * font * char
        assert label_end <= outcome_start
    # lane headers fit in their lane
    span = (width - 16) / 4
    for header in lane_headers(root):
        assert len(texts(header)) * int(header.get("font-size")) * char <= span - 4
    # a long path keeps its informative end when shortened
    api = texts(arrows(root)[3].find(f"{SVG}text[@class='fd-label']"))
    assert api.endswith("current")


def test_width_is_clamped() -> None:
    entries = full_flow().entries
    assert parse(diagram.render(entries, width=10)).get("width") == str(diagram.MIN_WIDTH)
    assert parse(diagram.render(entries, width=10**6)).get("width") == str(diagram.MAX_WIDTH)
    assert parse(diagram.render(entries, width="x")).get("width") == str(diagram.MIN_WIDTH)  # type: ignore[arg-type]


def test_empty_log_draws_the_lanes_and_says_so() -> None:
    root = parse(diagram.render([]))
    assert arrows(root) == []
    assert "No steps yet" in texts(root)
    for lane in ("This page", "sign-in page", "ilert token", "API"):
        assert lane in texts(root)


# --- accessibility -------------------------------------------------------------------------------


def test_every_arrow_is_focusable_and_described() -> None:
    root = parse(diagram.render(full_flow().entries))
    groups = arrows(root)
    assert groups
    for number, g in enumerate(groups, 1):
        assert g.get("tabindex") == "0"
        assert g.get("role") == "button"
        label = g.get("aria-label")
        assert label.startswith(f"Step {number} of {len(groups)}: ")
        assert "Press Enter" in label
    assert "from this page (your browser) to ilert's token endpoint" in groups[2].get("aria-label")
    assert "85 ms" in groups[2].get("aria-label")
    # decorative lane headers are hidden from screen readers (the desc names the lanes)
    lanes = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "fd-lanes")
    assert lanes.get("aria-hidden") == "true"


# --- escaping and secrets ------------------------------------------------------------------------

NASTY = "</text><script>alert(1)</script>&amp;\"'<![CDATA[x]]>\x00\x1b\ufffe\u202eevil"


def test_any_text_in_an_entry_is_escaped_into_valid_xml() -> None:
    entries = [
        Entry(1.0, "error", NASTY),
        Entry(2.0, "http", "", NASTY, f"{HOST}/api/{NASTY}?q={NASTY}", 200, 1.0),
        Entry(
            3.0, "step", "Back from ilert", request={"query": {"error": NASTY}}, phase="callback"
        ),
    ]
    for text in (diagram.render(entries), diagram.export(entries)):
        root = ET.fromstring(text)
        assert not [el for el in root.iter() if el.tag.endswith("script")]
        assert "<script>" not in text
        assert "alert(1)" in texts(root)  # shown as the text it is
        assert "\u202e" not in text and "\x00" not in text


def test_garbage_entries_from_storage_do_not_break_the_diagram() -> None:
    entries = [
        Entry(0.0, "error", None),  # type: ignore[arg-type]
        Entry("x", "http", None, None, None, "200", "slow", "req", ["resp"]),  # type: ignore[arg-type]
        Entry(0.0, "step", 42, request=None, phase=7),  # type: ignore[arg-type]
        Entry(0.0, "nonsense", "x"),
        Entry(0.0, "http", "", "GET", "http://[::1", True, None),  # bad URL, bool status
    ]
    root = parse(diagram.render(entries))
    groups = arrows(root)
    assert [g.get("data-entry") for g in groups] == ["0", "1", "4"]
    assert "an unexpected error" in texts(groups[0])
    assert "failed · no response" in texts(groups[1])
    assert "failed · no response" in texts(groups[2])


def test_no_token_or_secret_from_an_entry_ever_appears() -> None:
    """Entries built directly (bypassing the log's redaction) still leak nothing."""
    opaque = "opaque-SECRET-4d2f9a"
    entries = [
        Entry(
            0.0,
            "step",
            f"Sign-in started {JWT}",
            request={
                "authorize_url": f"{HOST}/oauth2/authorize?state={opaque}&code=zz{opaque}",
                "verifier": opaque,
            },
            phase="authorize",
        ),
        Entry(
            0.0,
            "step",
            "Back from ilert",
            request={"query": {"code": opaque, "state": opaque}},
            phase="callback",
        ),
        Entry(
            0.0,
            "http",
            "",
            "POST",
            f"{TOKEN_URL}?access_token={opaque}",
            200,
            1.0,
            {"grant_type": "refresh_token", "refresh_token": opaque},
            {"access_token": JWT, "refresh_token": opaque},
        ),
        Entry(
            0.0,
            "http",
            "",
            "GET",
            f"{HOST}/api/things/{JWT}",
            200,
            1.0,
            {"Authorization": f"Bearer {opaque}"},
        ),
        Entry(0.0, "error", f"failed with Bearer {opaque} and {JWT}"),
    ]
    for text in (diagram.render(entries), diagram.export(entries)):
        assert opaque not in text
        assert JWT not in text and JWT.split(".")[0] not in text
        assert "[redacted]" in text  # the JWT in the path and in the error were replaced


# --- cost ----------------------------------------------------------------------------------------


def test_importing_the_diagram_loads_nothing_else() -> None:
    """It loads when first needed, after the page's own modules: it must add only itself.

    The probe starts from a fixed state (``-I -S``: no site, no environment), then loads what
    the page has loaded by then: ``typing`` (imported by Pyodide's boot, in the first stdlib
    zip) and the app modules the diagram builds on.
    """
    root = str(Path(__file__).resolve().parents[2])
    code = (
        f"import sys; sys.path.insert(0, {root!r}); "
        "import typing, app.core.flowlog, app.core.urls; "
        "before = set(sys.modules); import app.core.diagram; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['app.core.diagram']"


@pytest.mark.parametrize("count", [1, 500])
def test_a_full_log_renders(count: int) -> None:
    base = full_flow().entries
    entries = [dataclasses.replace(base[i % len(base)]) for i in range(count)]
    root = parse(diagram.render(entries))
    assert len(arrows(root)) == len(diagram.steps(entries))


def test_a_step_under_way_is_drawn_last_and_is_not_an_entry() -> None:
    log = full_flow()
    root = parse(diagram.render(log.entries[:2], pending="exchange"))
    assert len(arrows(root)) == 2
    pending = [g for g in root.iter(f"{SVG}g") if "fd-pending" in g.get("class", "")]
    assert len(pending) == 1
    g = pending[0]
    assert g.get("tabindex") is None and g.get("data-entry") is None
    assert g.get("aria-label") == (
        "Under way: Code exchange, from this page (your browser) to ilert's token endpoint."
    )
    assert "pending · under way" in texts(g)
    assert float(g.find(f"{SVG}rect").get("y")) > float(
        arrows(root)[-1].find(f"{SVG}rect").get("y")
    )
    # unknown phases are ignored; an empty log with a pending step has no "No steps yet"
    assert "fd-pending" not in diagram.render([], pending="<nope>")
    assert "No steps yet:" not in texts(parse(diagram.render([], pending="authorize")))


def test_a_request_under_way_gets_the_phase_its_entry_will_have() -> None:
    from app.core import protocol

    base = "https://api.ilert.com/api"
    token = f"{base}/developers/oauth2/token"
    requests = {
        "exchange": protocol.exchange_request(token, "app", "c0de", "v" * 43, ""),
        "refresh": protocol.refresh_request(token, "app", "r"),
        "token_info": protocol.token_info_request(f"{base}/developers/oauth2/token_info", "a"),
        "revoke": protocol.revoke_request(f"{base}/developers/oauth2/revoke", "app", "r"),
        "api": protocol.api_request(base, "GET", "/users/current", "a"),
    }
    for phase, request in requests.items():
        found = diagram.request_phase(request.method, request.url, protocol.form_fields(request))
        assert found == phase
        svg = diagram.render([], pending=found)
        assert f'class="fd-pending fd-{phase}"' in svg and "data-entry" not in svg


def test_lanes_are_named_after_the_server_in_use() -> None:
    # Issue 20, item 3: another server's diagram does not say "ilert".
    log = FlowLog()
    log.step("Sign-in started", phase="authorize", authorize_url="https://auth.example.org/a")
    svg = diagram.render(log.entries, server="auth.example.org")
    assert "ilert" not in svg
    assert "the sign-in page of auth.example.org" in svg
    assert "ilert" in diagram.render(log.entries)  # ilert's lanes for ilert, as before
    assert "ilert" not in diagram.export(log.entries, server="auth.example.org")
