"""The status line and the notice box (a plain message plus buttons for the ways forward)."""

from __future__ import annotations

from app.browser import web as b
from app.core import explain

LABELS = {explain.SIGN_IN: "Sign in again", explain.SETTINGS: "Open settings"}
# Buttons of the page's own questions (not ways forward from an error).
CONFIRM_SIGN_IN = "confirm-sign-in"
CANCEL_SIGN_IN = "cancel-sign-in"
CANCEL_POPUP = "cancel-popup"
SIGN_OUT_NOW = "sign-out-now"


def status(text: str) -> None:
    b.by_id("status").textContent = text


def status_text() -> str:
    return str(b.by_id("status").textContent)


def show(ex: explain.Explanation | None, retry: bool = False, signing_in: bool = False) -> None:
    """Show ``ex`` (None hides the box); Retry only when something may be retried.

    ``signing_in``: no "Sign in again" (a sign-in is under way, or the tab is signed in).
    """
    box = b.by_id("notice")
    actions = b.by_id("notice-actions")
    b.clear(actions)
    box.removeAttribute("data-passing")
    if ex is None:
        box.hidden = True
        box.removeAttribute("data-kind")
        return
    b.by_id("notice-text").textContent = ex.message
    box.className = f"notice {ex.severity}"
    box.setAttribute("data-kind", ex.kind)
    for action in ex.actions:
        if action == explain.RETRY:
            if not retry:
                continue
            label = "Retry now" if ex.retry_after else "Try again"
        elif action == explain.SIGN_IN and signing_in:
            continue
        else:
            label = LABELS[action]
        actions.append(b.el("button", label, type="button", data_action=action))
    box.hidden = False


def inline(panel: object, ex: explain.Explanation) -> None:
    """An error inside one panel (the other panels are not affected)."""
    panel.append(b.el("p", ex.message, cls=f"notice {ex.severity}", data_kind=ex.kind))


def not_granted(panel: object, scope: str, level: str, action: str = "") -> None:
    """What the granted scope does not allow, said as such (not as an error)."""
    text = "Not allowed by the granted scope (needs " + explain.scope_text(scope, level) + ")."
    panel.append(b.el("p", f"{action}: {text.lower()}" if action else text, cls="not-granted"))


def note(ex: explain.Explanation) -> None:
    """A lasting note above the notice box (storage refused, saved settings ignored).

    Shown once: a second note of the same kind replaces the first.
    """
    box = b.by_id("page-notes")
    for old in list(box.children):
        if str(old.getAttribute("data-kind")) == ex.kind:
            old.remove()
    box.append(b.el("p", ex.message, cls=f"notice {ex.severity}", data_kind=ex.kind))
    box.hidden = False


def confirm_hosts(recipients: list) -> None:
    """Ask before the first sign-in with hosts config.json does not name: which host gets what."""
    box = b.by_id("notice")
    actions = b.by_id("notice-actions")
    b.clear(actions)
    text = b.by_id("notice-text")
    text.textContent = (
        "These hosts are not named by this site's configuration. Signing in sends them your "
        "sign-in code and tokens. Continue only if you trust them:"
    )
    listing = b.el("ul", cls="hosts")
    for item in recipients:
        row = b.el("li")
        row.append(b.el("code", item.origin))
        row.append(b.el("span", " receives " + "; ".join(item.receives)))
        listing.append(row)
    actions.append(listing)
    actions.append(
        b.el("button", "Continue to sign in", type="button", data_action=CONFIRM_SIGN_IN)
    )
    actions.append(b.el("button", "Cancel", type="button", data_action=CANCEL_SIGN_IN))
    box.className = "notice warning"
    box.setAttribute("data-kind", "confirm_hosts")
    box.hidden = False


def popup_out_of_sight() -> None:
    """The popup looks closed, which a COOP header on the sign-in page also causes."""
    box = b.by_id("notice")
    actions = b.by_id("notice-actions")
    b.clear(actions)
    b.by_id("notice-text").textContent = (
        "The sign-in window can no longer be seen from this page: it was closed, or the "
        "sign-in page keeps it apart from this one. If it is still open, finish signing in "
        "there and this page takes the answer; if you closed it, cancel."
    )
    actions.append(b.el("button", "Cancel sign-in", type="button", data_action=CANCEL_POPUP))
    box.className = "notice info"
    box.setAttribute("data-kind", "popup_out_of_sight")
    box.hidden = False


def offer_sign_out(text: str) -> None:
    """Settings changed while signed in: say what applies when, and offer to sign out now."""
    box = b.by_id("notice")
    actions = b.by_id("notice-actions")
    b.clear(actions)
    b.by_id("notice-text").textContent = text
    actions.append(b.el("button", "Sign out now", type="button", data_action=SIGN_OUT_NOW))
    box.className = "notice info"
    box.setAttribute("data-kind", "server_changed")
    box.hidden = False


def passing() -> None:
    """The notice shown is over once the user does something else (a refused sign-in answer
    in a tab whose session goes on: it is not about that session)."""
    box = b.by_id("notice")
    if not box.hidden:
        box.setAttribute("data-passing", "")


def drop_stale() -> None:
    """A new action starts: an information note about the previous one is over.

    (Errors and warnings with a way forward stay until acted on or replaced, unless marked
    ``passing``.)
    """
    box = b.by_id("notice")
    if box.hidden:
        return
    has_choice = b.by_id("notice-actions").childElementCount > 0  # a question stays open
    info = not has_choice and "info" in str(box.className).split()
    if info or box.hasAttribute("data-passing"):
        show(None)
    status("")
