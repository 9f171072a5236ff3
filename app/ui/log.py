"""The flow log view: restored after the redirect, appended live, copy and clear."""

from __future__ import annotations

from app.boot.keys import LOG_KEY
from app.browser import web as b
from app.core import storage
from app.core.flowlog import Entry, FlowLog


def restore(log: FlowLog, store: storage.Storage) -> None:
    log.restore(store)  # validated entry by entry: storage is untrusted


def _item(entry: Entry) -> object:
    return b.el("li", entry.as_text(), cls=f"log-{entry.kind}")


def draw(log: FlowLog) -> None:
    listing = b.by_id("flow-log")
    b.clear(listing)
    for entry in log.entries:
        listing.append(_item(entry))


class LogView:
    """Listens to the log: shows each new entry and keeps the (redacted) log in storage."""

    def __init__(self, log: FlowLog, store: storage.Storage) -> None:
        self.log = log
        self.store = store

    def __call__(self, entry: Entry | None) -> None:
        listing = b.by_id("flow-log")
        if entry is None:
            b.clear(listing)
            storage.remove_quietly(self.store, LOG_KEY)
            return
        listing.append(_item(entry))
        while listing.childElementCount > len(self.log.entries):
            listing.firstElementChild.remove()
        self.log.save(self.store)  # bounded, and never raises (the log is expendable)


def copy(log: FlowLog, status) -> None:
    def done(ok: bool) -> None:
        status("Flow log copied." if ok else "The browser did not allow copying.")

    b.copy_text(log.as_text(), done)
