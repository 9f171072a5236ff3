"""The ilert REST API client: bearer calls, one refresh-and-retry on 401, typed errors.

On 401 the client refreshes once (through the Session, which lets only one refresh run
and skips it when another call already refreshed) and retries once: never a loop.
403 means the granted scope does not cover the call (ScopeNotGranted); 429 and 5xx
carry a back-off delay from app.backoff so the page can tell the user and retry later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode

from app import backoff, scopes, transport
from app.errors import (
    ApiError,
    MalformedResponse,
    NonJsonResponse,
    RateLimited,
    ScopeNotGranted,
    ServerError,
    SessionEnded,
)
from app.flowlog import FlowLog
from app.session import Session

Transport = Callable[..., transport.Response]
PAGE_SIZES = {"/alert-sources": 50, "/alerts": 100, "/schedules": 20, "/on-calls": 250}


class ApiClient:
    def __init__(
        self,
        api_base: str,
        session: Session,
        *,
        send: Transport = transport.request,
        log: FlowLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.session = session
        self.send = send
        self.log = log or FlowLog(clock)
        self.failures = 0  # consecutive 429/5xx, drives the back-off delay

    # --- the one call ---------------------------------------------------------------

    def call(self, method: str, path: str, params: object = None, body: object = None) -> object:
        """Call ``/api{path}``; return the parsed JSON (None for an empty body)."""
        self._check_scope(method, path)
        url = self.api_base + path
        if params:
            url += "?" + urlencode(params, doseq=True)
        used = self.session.current()
        resp = self._send(method, url, used.access_token, body)
        if resp.status == 401:
            if not self.session.can_refresh:
                self.session.end()
                raise SessionEnded("expired")
            fresh = self.session.refresh(stale=used)
            resp = self._send(method, url, fresh.access_token, body)
            if resp.status == 401:  # a brand-new token refused: give up, don't loop
                self.session.end()
                raise SessionEnded("revoked")
        return self._result(resp, path, method)

    def _check_scope(self, method: str, path: str) -> None:
        """Refuse locally what the granted scope cannot allow (saves a request)."""
        name = scopes.scope_for_path(path.split("?")[0])
        level = scopes.level_for_method(method)
        if name and self.session.signed_in and not self.session.allows(name, level):
            raise ScopeNotGranted(name, level)

    def _send(self, method: str, url: str, token: str, body: object) -> transport.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None if body is None else json.dumps(body).encode("utf-8")
        try:
            resp = self.send(
                method,
                url,
                headers=headers,
                body=data,
                content_type="application/json" if data is not None else None,
            )
        except Exception as exc:
            self.log.http(method, url, None, None, _summary(body), {"failure": type(exc).__name__})
            raise
        self.log.http(method, url, resp.status, resp.elapsed_ms, _summary(body), _peek(resp))
        return resp

    def _result(self, resp: transport.Response, path: str, method: str) -> object:
        status = resp.status
        if status == 429 or status >= 500:
            delay = backoff.delay(self.failures)
            self.failures += 1
            if status == 429:
                raise RateLimited(delay)
            raise ServerError(status, delay, _message(resp))
        self.failures = 0
        if status == 403:
            name = scopes.scope_for_path(path) or ""
            raise ScopeNotGranted(name, scopes.level_for_method(method))
        if not resp.body.strip():
            if 200 <= status < 300:
                return None
            raise ApiError(status, "")
        if not resp.is_json:
            try:
                data = resp.json()
            except MalformedResponse:
                raise NonJsonResponse(status, "a page instead of JSON") from None
        else:
            data = resp.json()
        if 200 <= status < 300:
            return data
        if isinstance(data, dict):
            raise ApiError(status, str(data.get("message") or ""), str(data.get("code") or ""))
        raise ApiError(status, "")

    # --- paging ------------------------------------------------------------------------

    def get_all(self, path: str, params: dict | None = None, max_pages: int = 20) -> list:
        """Every item of a paged list (start-index / max-results), page by page."""
        size = PAGE_SIZES.get(path, 50)
        items: list = []
        for page in range(max_pages):
            query = {**(params or {}), "start-index": page * size, "max-results": size}
            batch = self.call("GET", path, query)
            if not isinstance(batch, list):
                raise MalformedResponse(200, "expected a list")
            items.extend(batch)
            if len(batch) < size:
                break
        return items

    # --- ilert resources --------------------------------------------------------------

    def current_user(self) -> dict:
        return _obj(self.call("GET", "/users/current"))

    def alert_sources(self) -> list:
        return self.get_all("/alert-sources")

    def set_source_active(self, source: dict, active: bool) -> dict:
        """PUT the full object back with ``active`` toggled (ilert's PUT takes the whole source)."""
        body = {**source, "active": active}
        return _obj(self.call("PUT", f"/alert-sources/{_seg(source['id'])}", body=body))

    def open_alerts(self) -> list:
        return self.get_all("/alerts", {"states": ["PENDING", "ACCEPTED"]})

    def accept_alert(self, alert_id: object) -> dict:
        return _obj(self.call("PUT", f"/alerts/{_seg(alert_id)}/accept"))

    def resolve_alert(self, alert_id: object) -> dict:
        return _obj(self.call("PUT", f"/alerts/{_seg(alert_id)}/resolve"))

    def on_calls(self) -> list:
        return self.get_all("/on-calls")


def _seg(value: object) -> str:
    return quote(str(value), safe="")


def _obj(data: object) -> dict:
    if not isinstance(data, dict):
        raise MalformedResponse(200, "expected an object")
    return data


def _summary(body: object) -> dict:
    if isinstance(body, dict):
        return {"body": {k: body[k] for k in list(body)[:12]}}
    return {}


def _peek(resp: transport.Response) -> dict:
    """A short description of the response for the flow log (never the full data)."""
    out: dict = {"content-type": resp.content_type or "-", "bytes": len(resp.body)}
    if resp.is_json and resp.body.strip():
        try:
            data = resp.json()
        except MalformedResponse:
            return {**out, "json": "malformed"}
        if isinstance(data, list):
            out["items"] = len(data)
        elif isinstance(data, dict):
            out["fields"] = sorted(data)[:15]
            for key in ("status", "code", "message"):
                if key in data and not isinstance(data[key], (dict, list)):
                    out[key] = data[key]
    return out


def _message(resp: transport.Response) -> str:
    try:
        data = resp.json()
    except MalformedResponse:
        return ""
    return str(data.get("message") or "") if isinstance(data, dict) else ""
