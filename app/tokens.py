"""The token client: code exchange, refresh, token_info, revoke (ilert contract §1–2).

Errors come in ilert's shape ``{"code": "invalid_grant", "error": "..."}`` or RFC 6749's
``{"error": "invalid_grant", "error_description": "..."}``; both become ``OAuthError``.
429/5xx become RateLimited/ServerError with a back-off delay; HTML error pages and
broken JSON become NonJsonResponse/MalformedResponse.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from app import backoff, transport
from app.errors import (
    HttpError,
    MalformedResponse,
    NonJsonResponse,
    OAuthError,
    RateLimited,
    ServerError,
)
from app.flowlog import FlowLog

Transport = Callable[..., transport.Response]

# Fields of a token response worth showing in the flow log (values of secrets get redacted).
_LOG_FIELDS = (
    "token_type",
    "expires_in",
    "scope",
    "access_token",
    "refresh_token",
    "refresh_token_expires_in",
    "active",
    "username",
    "tenant_id",
    "app_id",
    "code",
    "error",
    "error_description",
)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    expires_at: float  # absolute, seconds since the epoch (from expires_in + our clock)
    scope: str = ""
    token_type: str = "Bearer"
    refresh_token: str | None = None
    refresh_expires_at: float | None = None
    obtained_at: float = 0.0

    def seconds_left(self, now: float) -> float:
        return self.expires_at - now

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> TokenSet | None:
        """Tolerant load from storage: anything unusable is None (treated as signed out)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                access_token=str(data["access_token"]),
                expires_at=float(data["expires_at"]),
                scope=str(data.get("scope") or ""),
                token_type=str(data.get("token_type") or "Bearer"),
                refresh_token=data.get("refresh_token") or None,
                refresh_expires_at=(
                    float(data["refresh_expires_at"]) if data.get("refresh_expires_at") else None
                ),
                obtained_at=float(data.get("obtained_at") or 0),
            )
        except (KeyError, TypeError, ValueError):
            return None


def error_from_response(resp: transport.Response, grant: str = "", attempt: int = 0) -> HttpError:
    """The typed error for a non-2xx answer from a token endpoint."""
    if resp.status == 429:
        return RateLimited(backoff.delay(attempt))
    if resp.status >= 500:  # transient whatever the body says: retry later, don't sign out
        return ServerError(resp.status, backoff.delay(attempt), _description(resp))
    body: object = None
    if resp.body.strip():
        try:
            body = resp.json()
        except MalformedResponse:
            body = None
    if isinstance(body, dict):
        code, text = body.get("code"), body.get("error")
        if isinstance(code, str) and code:  # ilert: {"code": ..., "error": message}
            return OAuthError(resp.status, code, text if isinstance(text, str) else "", grant)
        if isinstance(text, str) and text:  # RFC 6749: {"error": code, "error_description"}
            desc = body.get("error_description")
            return OAuthError(resp.status, text, desc if isinstance(desc, str) else "", grant)
    if body is None and resp.body.strip() and not resp.is_json:
        return NonJsonResponse(resp.status, "error page instead of JSON")
    return MalformedResponse(resp.status, "unexpected error body")


def _description(resp: transport.Response) -> str:
    try:
        body = resp.json()
    except MalformedResponse:
        return ""
    if not isinstance(body, dict):
        return ""
    text = body.get("error_description") or body.get("error") or ""
    return text if isinstance(text, str) else ""


def _loggable(data: object) -> dict:
    if not isinstance(data, dict):
        return {}
    return {k: data[k] for k in _LOG_FIELDS if k in data}


class TokenClient:
    def __init__(
        self,
        client_id: str,
        token_url: str,
        token_info_url: str,
        revoke_url: str,
        *,
        send: Transport = transport.request,
        clock: Callable[[], float] = time.time,
        log: FlowLog | None = None,
    ) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.token_info_url = token_info_url
        self.revoke_url = revoke_url
        self.send = send
        self.clock = clock
        self.log = log or FlowLog(clock)

    @classmethod
    def from_settings(cls, settings, **kwargs) -> TokenClient:  # settings: app.config.Settings
        return cls(
            settings.client_id,
            settings.token_endpoint(),
            settings.token_info_endpoint(),
            settings.revoke_endpoint(),
            **kwargs,
        )

    def _post(
        self, url: str, data: dict[str, str], grant: str = ""
    ) -> tuple[object, transport.Response]:
        try:
            resp = self.send(
                "POST",
                url,
                headers={"Accept": "application/json"},
                body=transport.form(data),
                content_type="application/x-www-form-urlencoded",
            )
        except Exception as exc:
            self.log.http("POST", url, None, None, data, {"failure": type(exc).__name__})
            raise
        parsed: object = None
        if resp.body.strip():
            try:
                parsed = resp.json()
            except MalformedResponse:
                parsed = None
        shown = _loggable(parsed) if parsed is not None else {"body": f"{len(resp.body)} bytes"}
        self.log.http("POST", url, resp.status, resp.elapsed_ms, data, shown)
        if not 200 <= resp.status < 300:
            raise error_from_response(resp, grant)
        return parsed, resp

    def _token_set(
        self, data: object, resp: transport.Response, previous: TokenSet | None = None
    ) -> TokenSet:
        if data is None and resp.body.strip() and not resp.is_json:
            raise NonJsonResponse(resp.status, "a page instead of a token response")
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise MalformedResponse(resp.status, "no access_token in the token response")
        now = self.clock()
        try:
            expires_in = float(data.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        refresh = data.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            rt_in = data.get("refresh_token_expires_in")
            rt_at = now + float(rt_in) if isinstance(rt_in, (int, float)) else None
        elif previous is not None:  # no rotation: keep the refresh token we have
            refresh, rt_at = previous.refresh_token, previous.refresh_expires_at
        else:
            refresh, rt_at = None, None
        scope = data.get("scope")
        if not isinstance(scope, str):
            scope = previous.scope if previous else ""
        return TokenSet(
            access_token=data["access_token"],
            expires_at=now + expires_in,
            scope=scope,
            token_type=str(data.get("token_type") or "Bearer"),
            refresh_token=refresh,
            refresh_expires_at=rt_at,
            obtained_at=now,
        )

    def exchange_code(self, code: str, verifier: str) -> TokenSet:
        """Authorization code + PKCE verifier → tokens (no redirect_uri: ilert does not need it)."""
        data, resp = self._post(
            self.token_url,
            {
                "client_id": self.client_id,
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
            },
            grant="authorization_code",
        )
        return self._token_set(data, resp)

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise OAuthError(400, "invalid_request", "no refresh token", "refresh_token")
        data, resp = self._post(
            self.token_url,
            {
                "client_id": self.client_id,
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
            },
            grant="refresh_token",
        )
        return self._token_set(data, resp, previous=tokens)

    def token_info(self, access_token: str) -> dict:
        """ilert's token_info; ``{"active": False}`` for a dead token (RFC 7662 style)."""
        data, resp = self._post(self.token_info_url, {"token": access_token})
        if not isinstance(data, dict):
            raise MalformedResponse(resp.status, "token_info did not return an object")
        return data

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token (RFC 7009: 200 also for an unknown token)."""
        self._post(self.revoke_url, {"token": refresh_token})
