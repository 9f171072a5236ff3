"""The token card: granted scope, countdown, refresh note, decoded claims, token info."""

from __future__ import annotations

from app.browser import web as b
from app.core import jwt_display
from app.core.session import format_duration


def draw(session) -> None:
    tokens = session.tokens
    if tokens is None:
        return
    b.by_id("granted-scope").textContent = tokens.scope or "(none reported)"
    note = b.by_id("session-note")
    refresh = b.by_id("refresh-now")
    if tokens.refresh_token:
        note.textContent = (
            "Automatic: the app refreshes the access token about a minute before it expires."
        )
        refresh.disabled = False
    else:
        note.textContent = (
            "No refresh token (offline_access was not granted): the session ends when the "
            "access token expires; then sign in again."
        )
        refresh.disabled = True
    countdown(session)
    draw_claims(tokens.access_token)


def countdown(session) -> None:
    left = session.seconds_left()
    b.by_id("countdown").textContent = format_duration(left) if left > 0 else "expired"


def draw_claims(access_token: str) -> None:
    claims = b.by_id("claims")
    b.clear(claims)
    decoded = jwt_display.decode(access_token)
    if decoded.error:
        claims.append(b.el("p", decoded.error))
        return
    table = b.el("table", cls="claims")
    table.append(b.el("caption", f"Header: alg {decoded.header.get('alg', '?')}"))
    head = b.el("tr")
    for text in ("Claim", "Meaning", "Value"):
        head.append(b.el("th", text, scope="col"))
    table.append(head)
    for key, meaning, value in jwt_display.claim_rows(decoded.payload):
        row = b.el("tr")
        row.append(b.el("th", key, scope="row"))
        row.append(b.el("td", meaning))
        row.append(b.el("td", value))
        table.append(row)
    claims.append(table)


def draw_token_info(data: dict) -> None:
    out = b.by_id("token-info-out")
    b.clear(out)
    out.append(b.el("h3", "Token info from the server"))
    facts = b.el("dl", cls="facts")
    for key in ("active", "username", "tenant_id", "scope", "app_id"):
        if key in data:
            facts.append(b.el("dt", key))
            facts.append(b.el("dd", str(data[key])))
    out.append(facts)
    out.hidden = False


def clear() -> None:
    for element_id in ("claims", "token-info-out"):
        b.clear(b.by_id(element_id))
