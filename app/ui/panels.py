"""The four data panels, loaded concurrently; each shows its own error.

One panel's failure (403, 404, network, timeout ...) never stops or blanks the others.
"""

from __future__ import annotations

import asyncio

from app.browser import web as b
from app.core import errors, explain, scopes
from app.ui import alerts, notices, oncall, profile, sources

PANELS = (profile, sources, alerts, oncall)


async def load_one(app, module) -> BaseException | None:
    """Load one panel; its error (if any) is drawn in it and returned."""
    panel = b.by_id(module.PANEL)
    if not app.session.allows(module.SCOPE, scopes.READ):
        b.clear(panel)
        notices.not_granted(panel, module.SCOPE, scopes.READ)
        return None
    panel.setAttribute("aria-busy", "true")
    try:
        await module.load(app, panel)
    except errors.ScopeNotGranted as exc:
        b.clear(panel)
        notices.not_granted(panel, exc.scope, exc.level)
    except Exception as exc:
        b.clear(panel)
        notices.inline(panel, explain.explain(exc, app.server_name()))
        return exc
    finally:
        panel.removeAttribute("aria-busy")
    return None


def for_server(endpoints) -> tuple:
    """The panels a server gets: all four on ilert's layout; only the profile elsewhere.

    The panels are built for ilert's API; another server may serve an ilert-shaped
    ``/users/current`` under its API base (then the profile shows), nothing else.
    """
    from app.core.urls import ilert_layout

    if not endpoints.api_base.rstrip("/"):
        return ()
    if ilert_layout(endpoints):
        return PANELS
    return (profile,)


def show_for(endpoints) -> None:
    """Hide the panels this server does not get (their sections, headings included)."""
    shown = for_server(endpoints)
    for module in PANELS:
        b.by_id(module.PANEL).parentElement.hidden = module not in shown
    b.by_id("reload-data").hidden = not shown
    b.by_id("signed-in").hidden = not shown


async def load_all(app) -> list[BaseException]:
    """Every panel of this server at once; the errors of those that failed, in panel order."""
    shown = for_server(app.session_endpoints())
    results = await asyncio.gather(*(load_one(app, m) for m in shown))
    return [r for r in results if r is not None]


def clear_all() -> None:
    for module in PANELS:
        b.clear(b.by_id(module.PANEL))
