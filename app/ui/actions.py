"""Running actions: every action is an asyncio task, so the page never waits for one.

While an action runs its button is disabled and the rest of the page stays usable; the same
action cannot start twice. Long calls can be cancelled (the task is cancelled, which aborts
its fetch). ``<html data-busy>`` is set while any action runs (tests wait for it to go).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from app.browser import web as b
from app.ui import notices


class Actions:
    def __init__(self, on_error: Callable[[BaseException, str], None]) -> None:
        self.on_error = on_error
        self.tasks: dict[str, asyncio.Task] = {}
        self.cancellable: set[str] = set()
        self.holding = True  # the page is still being built (App.finish_start releases it)

    def running(self, name: str) -> bool:
        return name in self.tasks

    def start(
        self,
        name: str,
        label: str,
        work: Callable[[], Awaitable[None]],
        button: str | None = None,
        cancellable: bool = True,
    ) -> asyncio.Task | None:
        """Run ``work`` as task ``name`` showing "label…"; None when it already runs."""
        if name in self.tasks:
            notices.status(f"{label}: still working on it…")
            return None
        notices.status(f"{label}…")
        if button:
            b.by_id(button).disabled = True
        task = asyncio.ensure_future(self._run(name, label, work, button))
        self.tasks[name] = task
        if cancellable:
            self.cancellable.add(name)
        self._update()
        return task

    async def _run(
        self, name: str, label: str, work: Callable[[], Awaitable[None]], button: str | None
    ) -> None:
        try:
            await work()
            if notices.status_text() == f"{label}…":
                notices.status("")
        except asyncio.CancelledError:
            notices.status(f"{label}: cancelled.")
        except Exception as exc:
            if notices.status_text() == f"{label}…":
                notices.status("")
            self.on_error(exc, name)
        finally:
            self.tasks.pop(name, None)
            self.cancellable.discard(name)
            if button:
                b.by_id(button).disabled = False
            self._update()

    def cancel_all(self) -> None:
        """Cancel what may be cancelled (never a code exchange: its answer must be read)."""
        for name in list(self.cancellable):
            task = self.tasks.get(name)
            if task is not None:
                task.cancel()

    def release(self) -> None:
        self.holding = False
        self._update()

    def _update(self) -> None:
        root = b.document.documentElement
        if self.tasks or self.holding:
            root.setAttribute("data-busy", "")
        else:
            root.removeAttribute("data-busy")
        b.by_id("cancel").hidden = not self.cancellable
