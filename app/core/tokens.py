"""The token client: code exchange, refresh, token_info, revoke (ilert contract §1–2).

A thin async shell over ``app.core.protocol`` (which builds and reads every message) and an
injected transport (which sends them); each exchange goes to the flow log, redacted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.core import backoff, protocol
from app.core.errors import NotOffered
from app.core.flowlog import FlowLog
from app.core.http import DEFAULT_TIMEOUT, HttpRequest, HttpResponse, Transport
from app.core.protocol import TokenSet


async def send_logged(
    transport: Transport, log: FlowLog, request: HttpRequest, timeout: float, shown: dict
) -> HttpResponse:
    """Send one request and put it in the flow log (also when no answer came)."""
    try:
        resp = await transport.send(request, timeout)
    except BaseException as exc:
        log.http(request.method, request.url, None, None, shown, {"failure": type(exc).__name__})
        raise
    log.http(
        request.method,
        request.url,
        resp.status,
        resp.elapsed_ms,
        shown,
        protocol.response_summary(resp),
    )
    return resp


class TokenClient:
    def __init__(
        self,
        client_id: str,
        token_url: str,
        token_info_url: str,
        revoke_url: str,
        transport: Transport,
        *,
        info_kind: str = "token_info",
        clock: Callable[[], float] = time.time,
        log: FlowLog | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.token_info_url = token_info_url
        self.revoke_url = revoke_url  # "" = the server offers no revocation
        self.info_kind = info_kind  # "token_info" (ilert) or "introspection" (RFC 7662)
        self.transport = transport
        self.clock = clock
        self.log = log or FlowLog(clock)
        self.timeout = timeout
        self.streak = backoff.Streak()  # 429/5xx in a row from these endpoints

    @classmethod
    def from_endpoints(cls, endpoints, transport: Transport, **kwargs) -> TokenClient:
        """A client bound to one server (a session's recorded ``urls.Endpoints``)."""
        return cls(
            endpoints.client_id,
            endpoints.token,
            endpoints.info,
            endpoints.revoke,
            transport,
            info_kind=endpoints.info_kind,
            **kwargs,
        )

    @property
    def introspection(self) -> bool:
        return self.info_kind == "introspection"

    async def _send(self, request: HttpRequest) -> HttpResponse:
        return await send_logged(
            self.transport, self.log, request, self.timeout, protocol.form_fields(request)
        )

    async def exchange_code(self, code: str, verifier: str, redirect_uri: str = "") -> TokenSet:
        """Authorization code + PKCE verifier (+ the authorize request's redirect_uri) → tokens."""
        request = protocol.exchange_request(
            self.token_url, self.client_id, code, verifier, redirect_uri
        )
        resp = await self._send(request)
        now = self.clock()
        code_grant = "authorization_code"
        return self.streak.read(
            lambda attempt: protocol.token_set(resp, now, grant=code_grant, attempt=attempt)
        )

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        request = protocol.refresh_request(
            self.token_url, self.client_id, tokens.refresh_token or ""
        )
        resp = await self._send(request)
        now = self.clock()
        return self.streak.read(
            lambda attempt: protocol.token_set(
                resp, now, previous=tokens, grant="refresh_token", attempt=attempt
            )
        )

    async def token_info(self, access_token: str) -> dict:
        """ilert's token_info or RFC 7662 introspection; ``{"active": False}`` for a dead token."""
        if not self.token_info_url:
            raise NotOffered("token info or introspection endpoint")
        if self.introspection:
            request = protocol.introspection_request(
                self.token_info_url, self.client_id, access_token
            )
        else:
            request = protocol.token_info_request(self.token_info_url, access_token)
        resp = await self._send(request)
        return self.streak.read(
            lambda attempt: protocol.token_info(resp, self.introspection, attempt)
        )

    async def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token (RFC 7009: 200 also for an unknown token)."""
        if not self.revoke_url:
            raise NotOffered("revocation")
        resp = await self._send(
            protocol.revoke_request(self.revoke_url, self.client_id, refresh_token)
        )
        self.streak.read(lambda attempt: protocol.revoked(resp, attempt))
