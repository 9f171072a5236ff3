"""The profile panel: who is signed in (``GET /users/current``, scope ``profile``)."""

from __future__ import annotations

from app.browser import web as b

PANEL = "profile"
SCOPE = "profile"


def full_name(user: dict) -> str:
    return f"{user.get('firstName') or ''} {user.get('lastName') or ''}".strip()


async def load(app, panel: object) -> None:
    user = await app.api().current_user()
    facts = b.el("dl", cls="facts")
    for label, value in (
        ("Name", full_name(user)),
        ("Username", user.get("username")),
        ("Email", user.get("email")),
        ("Role", user.get("role")),
        ("Time zone", user.get("timezone")),
    ):
        if value:
            facts.append(b.el("dt", label))
            facts.append(b.el("dd", str(value)))
    b.clear(panel)
    panel.append(facts)
