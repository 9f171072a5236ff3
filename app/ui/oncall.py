"""The on-call panel: who is on call now (``GET /on-calls``, scope ``schedule``)."""

from __future__ import annotations

from app.browser import web as b
from app.ui.profile import full_name

PANEL = "oncall"
SCOPE = "schedule"


async def load(app, panel: object) -> None:
    entries = await app.api().on_calls()
    b.clear(panel)
    if not entries:
        panel.append(b.el("p", "Nobody is on call right now."))
        return
    listing = b.el("ul", cls="oncall")
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        user = entry.get("user") if isinstance(entry.get("user"), dict) else {}
        who = full_name(user) or str(user.get("username", "someone"))
        schedule = entry.get("schedule") if isinstance(entry.get("schedule"), dict) else {}
        policy = entry.get("escalationPolicy")
        policy = policy if isinstance(policy, dict) else {}
        where = schedule.get("name") or policy.get("name", "")
        text = f"{who} — {where}, level {entry.get('escalationLevel', '?')}"
        if entry.get("end"):
            text += f", until {entry['end']}"
        listing.append(b.el("li", text))
    panel.append(listing)
