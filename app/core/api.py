"""The ilert REST API client and its retry policy, over an injected async transport.

Policy: a 401 (or a Bearer ``invalid_token`` challenge) triggers one refresh, shared by
every call that meets it at the same time (``Session.refresh`` is single-flight), and the
call is retried once with the new token: never a loop. 429 and 5xx carry a back-off delay
(``app.core.backoff``, ilert sends no Retry-After) for the page to retry later; the core never
sleeps. A 403 is a missing scope when the grant does not cover the call, otherwise the
user's ilert role (``RoleForbidden``).

A 401 that no refresh can cure raises ``SessionEnded``; the client does not end the session
itself: its caller hands the error to ``app.core.flow`` (``API_FAILED``), whose decision says
whether the session is over (the page's driver, the terminal client's ``decided``), so that
decision is made in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.core import backoff, protocol, scopes
from app.core.errors import MalformedResponse, ScopeNotGranted, SessionEnded
from app.core.flowlog import FlowLog
from app.core.http import DEFAULT_TIMEOUT, HttpResponse, Transport
from app.core.session import Session
from app.core.tokens import send_logged


class ApiClient:
    def __init__(
        self,
        api_base: str,
        session: Session,
        transport: Transport,
        *,
        log: FlowLog | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.session = session
        self.transport = transport
        self.log = log or FlowLog(clock)
        self.timeout = timeout
        self.streak = backoff.Streak()  # consecutive 429/5xx, drives the back-off delay

    async def call(
        self, method: str, path: str, params: object = None, body: object = None
    ) -> object:
        """Call ``/api{path}``; return the parsed JSON (None for an empty body)."""
        name = scopes.scope_for_path(path)
        level = scopes.level_for_method(method)
        if name and self.session.signed_in and not self.session.allows(name, level):
            raise ScopeNotGranted(name, level)  # refused locally: saves a request
        used = self.session.current()
        resp = await self._send(method, path, used.access_token, params, body)
        if protocol.is_unauthorized(resp):
            if not self.session.can_refresh:
                raise SessionEnded("expired")
            fresh = await self.session.refresh(stale=used)
            resp = await self._send(method, path, fresh.access_token, params, body)
            if protocol.is_unauthorized(resp):  # a brand-new token refused: don't loop
                raise SessionEnded("revoked")
        scope = self.session.scope
        return self.streak.read(
            lambda attempt: protocol.api_result(resp, method, path, scope, attempt)
        )

    async def _send(
        self, method: str, path: str, token: str, params: object, body: object
    ) -> HttpResponse:
        request = protocol.api_request(self.api_base, method, path, token, params, body)
        shown = {"body": dict(list(body.items())[:12])} if isinstance(body, dict) else {}
        return await send_logged(self.transport, self.log, request, self.timeout, shown)

    async def get_all(self, path: str, params: dict | None = None, max_pages: int = 20) -> list:
        """Every item of a paged list (start-index / max-results), page by page."""
        items: list = []
        for page in range(max_pages):
            query, size = protocol.page_params(path, page, params)
            batch = await self.call("GET", path, query)
            if not isinstance(batch, list):
                raise MalformedResponse(200, "expected a list")
            items.extend(batch)
            if len(batch) < size:
                break
        return items

    # --- ilert resources --------------------------------------------------------------

    async def current_user(self) -> dict:
        return _obj(await self.call("GET", "/users/current"))

    async def alert_sources(self) -> list:
        return await self.get_all("/alert-sources")

    async def alert_source(self, source_id: object) -> dict:
        return _obj(await self.call("GET", f"/alert-sources/{protocol.segment(source_id)}"))

    async def put_alert_source(self, source: dict) -> dict:
        """ilert's PUT takes the whole object."""
        path = f"/alert-sources/{protocol.segment(source['id'])}"
        return _obj(await self.call("PUT", path, body=source))

    async def open_alerts(self) -> list:
        return await self.get_all("/alerts", {"states": ["PENDING", "ACCEPTED"]})

    async def alert_action(self, alert_id: object, action: str) -> dict:
        """``accept`` or ``resolve`` an alert."""
        if action not in ("accept", "resolve"):
            raise ValueError(action)
        return _obj(await self.call("PUT", f"/alerts/{protocol.segment(alert_id)}/{action}"))

    async def on_calls(self) -> list:
        return await self.get_all("/on-calls")


def _obj(data: object) -> dict:
    if not isinstance(data, dict):
        raise MalformedResponse(200, "expected an object")
    return data
