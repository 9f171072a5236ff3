"""The status line and the notice box (a plain message plus buttons for the ways forward)."""

from __future__ import annotations

from app import browser as b
from app import errors

LABELS = {errors.SIGN_IN: "Sign in again", errors.SETTINGS: "Open settings"}


def status(text: str) -> None:
    b.by_id("status").textContent = text


def status_text() -> str:
    return str(b.by_id("status").textContent)


def show(ex: errors.Explanation | None, retry: bool = False, signing_in: bool = False) -> None:
    """Show ``ex`` (None hides the box); Retry only when something may be retried."""
    box = b.by_id("notice")
    actions = b.by_id("notice-actions")
    b.clear(actions)
    if ex is None:
        box.hidden = True
        box.removeAttribute("data-kind")
        return
    b.by_id("notice-text").textContent = ex.message
    box.className = f"notice {ex.severity}"
    box.setAttribute("data-kind", ex.kind)
    for action in ex.actions:
        if action == errors.RETRY:
            if not retry:
                continue
            label = "Retry now" if ex.retry_after else "Try again"
        elif action == errors.SIGN_IN and signing_in:
            continue
        else:
            label = LABELS[action]
        actions.append(b.el("button", label, type="button", data_action=action))
    box.hidden = False


def inline(panel: object, ex: errors.Explanation) -> None:
    """An error inside one panel (the other panels are not affected)."""
    panel.append(b.el("p", ex.message, cls=f"notice {ex.severity}", data_kind=ex.kind))


def not_granted(panel: object, scope: str, level: str, action: str = "") -> None:
    """What the granted scope does not allow, said as such (not as an error)."""
    text = "Not allowed by the granted scope (needs " + errors.scope_text(scope, level) + ")."
    panel.append(b.el("p", f"{action}: {text.lower()}" if action else text, cls="not-granted"))
