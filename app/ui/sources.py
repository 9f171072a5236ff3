"""The alert-sources panel: the list, and enabling / disabling a source.

ilert's PUT takes the whole object, so a toggle first GETs the source as it is *now* and
sends that back with only ``active`` changed: a change made meanwhile in ilert is kept (no
lost update), and the page says so when there was one.
"""

from __future__ import annotations

from app.browser import web as b
from app.core import scopes
from app.ui import notices

PANEL = "sources"
SCOPE = "source"


async def load(app, panel: object) -> None:
    items = await app.api().alert_sources()
    app.sources = {str(s.get("id")): s for s in items if isinstance(s, dict)}
    draw(app)


def changed_meanwhile(cached: dict, current: dict) -> list[str]:
    """The fields that differ between what the page showed and what ilert has now."""
    keys = set(cached) | set(current)
    return sorted(k for k in keys if k != "updatedAt" and cached.get(k) != current.get(k))


def draw(app) -> None:
    panel = b.by_id(PANEL)
    b.clear(panel)
    can_write = app.session.allows(SCOPE, scopes.WRITE)
    if not app.sources:
        panel.append(b.el("p", "No alert sources."))
    else:
        table = b.el("table", cls="list")
        head = b.el("tr")
        for text in ("Name", "Type", "Status", "Active", ""):
            head.append(b.el("th", text, scope="col"))
        table.append(head)
        for key, src in app.sources.items():
            row = b.el("tr", data_id=key)
            row.append(b.el("td", str(src.get("name", ""))))
            row.append(b.el("td", str(src.get("integrationType", ""))))
            row.append(b.el("td", str(src.get("status", ""))))
            active = bool(src.get("active"))
            row.append(b.el("td", "yes" if active else "no"))
            cell = b.el("td")
            if can_write:
                verb = "Disable" if active else "Enable"
                name = src.get("name", "alert source")
                cell.append(b.action_button(verb, "toggle-source", key, f"{verb} {name}"))
            row.append(cell)
            table.append(row)
        panel.append(table)
    if not can_write:
        notices.not_granted(panel, SCOPE, scopes.WRITE, "Enabling or disabling sources")


def toggle(app, key: str) -> None:
    cached = app.sources.get(key)
    if cached is None:
        return
    active = not bool(cached.get("active"))
    word = "enabled" if active else "disabled"

    async def work() -> None:
        await app.teach("api")  # teaching mode: a lesson first
        api = app.api()
        current = await api.alert_source(cached.get("id"))
        changed = changed_meanwhile(cached, current)
        if changed:
            app.log.step("Alert source changed in ilert since it was shown", fields=changed)
        updated = await api.put_alert_source({**current, "active": active})
        app.sources[key] = updated
        app.log.step(f"Alert source {word}", name=str(updated.get("name", "")))
        draw(app)
        text = f"Alert source {word}."
        if changed:
            text += (
                " It had been changed in ilert meanwhile (" + ", ".join(changed) + "); "
                "those changes were kept and are shown now."
            )
        notices.status(text)

    label = "Enabling the alert source" if active else "Disabling the alert source"
    app.actions.start(f"source-{key}", label, work)
