"""The open-alerts panel: where the alert list is drawn, and accept / resolve.

``GET /alerts?states=PENDING&states=ACCEPTED`` (scope ``alert``); the buttons need ``alert:w``.
"""

from __future__ import annotations

from app.browser import web as b
from app.core import scopes
from app.ui import notices

PANEL = "alerts"
SCOPE = "alert"


async def load(app, panel: object) -> None:
    draw(app, await app.api().open_alerts())


def draw(app, alerts: list) -> None:
    panel = b.by_id(PANEL)
    b.clear(panel)
    can_write = app.session.allows(SCOPE, scopes.WRITE)
    if not alerts:
        panel.append(b.el("p", "No open alerts."))
    else:
        listing = b.el("ul", cls="alerts")
        for alert in alerts:
            if not isinstance(alert, dict):
                continue
            key = str(alert.get("id"))
            item = b.el("li", data_id=key)
            item.append(b.el("span", str(alert.get("summary", "")), cls="summary"))
            source = alert.get("alertSource")
            meta = f" {alert.get('status', '')} · {alert.get('priority', '')}"
            if isinstance(source, dict) and source.get("name"):
                meta += f" · {source['name']}"
            item.append(b.el("span", meta, cls="meta"))
            if can_write:
                if alert.get("status") == "PENDING":
                    item.append(b.action_button("Accept", "accept", key, f"Accept alert {key}"))
                item.append(b.action_button("Resolve", "resolve", key, f"Resolve alert {key}"))
            listing.append(item)
        panel.append(listing)
    if not can_write:
        notices.not_granted(panel, SCOPE, scopes.WRITE, "Accepting or resolving alerts")


def act(app, action: str, key: str) -> None:
    verb = "accepted" if action == "accept" else "resolved"

    async def work() -> None:
        await app.teach("api")  # teaching mode: a lesson first
        api = app.api()
        await api.alert_action(key, action)
        app.log.step(f"Alert {key} {verb}")
        draw(app, await api.open_alerts())
        notices.status(f"Alert {verb}.")

    label = "Accepting the alert" if action == "accept" else "Resolving the alert"
    app.actions.start(f"alert-{action}-{key}", label, work)
