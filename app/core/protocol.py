"""The protocol core: build every request the app sends, read every answer it gets.

No I/O, no clock, no sleep (the h11 / oauthlib way): functions take values and return
``HttpRequest`` values, tokens, API data or typed errors. The clients (``app.core.tokens``,
``app.core.api``) send what is built here over an injected transport.

Error bodies come in three shapes and all are understood: ilert's ``{"code", "error"}``,
RFC 6749's ``{"error", "error_description", "error_uri"}`` and the REST API's
``{"status", "message", "code"}``; a ``WWW-Authenticate: Bearer error="invalid_token"``
header marks a dead access token whatever the body says.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from urllib.parse import quote, urlencode

from app.core import backoff, scopes
from app.core.errors import (
    ApiError,
    HttpError,
    InfoRefused,
    InvalidTokenResponse,
    MalformedResponse,
    NonJsonResponse,
    OAuthError,
    RateLimited,
    RoleForbidden,
    ScopeNotGranted,
    ServerError,
)
from app.core.http import HttpRequest, HttpResponse

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
PAGE_SIZES = {"/alert-sources": 50, "/alerts": 100, "/schedules": 20, "/on-calls": 250}
# The longest lifetime taken from a token answer (a year; ilert's access tokens last an
# hour). JSON allows 1e400 (infinity) and Python's parser NaN: neither is a lifetime.
MAX_LIFETIME = 366 * 86400.0
# Stored instants (seconds since the epoch) beyond this are not ours (the year 5138).
MAX_INSTANT = 1e11


def seconds(value: object, upper: float) -> float | None:
    """``value`` as a number of seconds in (0, upper], or None (bool, NaN, inf, text ...)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 < number <= upper else None


# --- tokens ----------------------------------------------------------------------------


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
        """Load what storage or another tab holds (untrusted): every field is checked, and
        anything unusable gives None (treated as signed out; the caller drops it)."""
        if not isinstance(data, dict):
            return None
        access = data.get("access_token")
        expires_at = seconds(data.get("expires_at"), MAX_INSTANT)
        scope = data.get("scope", "")
        token_type = data.get("token_type", "Bearer")
        refresh = data.get("refresh_token")
        refresh_at = data.get("refresh_expires_at")
        obtained = data.get("obtained_at", 0.0)
        if not isinstance(access, str) or not access or expires_at is None:
            return None
        if not isinstance(scope, str) or token_type != "Bearer":
            return None
        if refresh is not None and (not isinstance(refresh, str) or not refresh):
            return None
        if refresh_at is not None and seconds(refresh_at, MAX_INSTANT) is None:
            return None
        if obtained != 0 and seconds(obtained, MAX_INSTANT) is None:
            return None
        return cls(
            access_token=access,
            expires_at=expires_at,
            scope=scope,
            token_type="Bearer",
            refresh_token=refresh,
            refresh_expires_at=None if refresh_at is None else float(refresh_at),
            obtained_at=float(obtained),
        )


def _form(url: str, data: dict[str, str]) -> HttpRequest:
    return HttpRequest(
        "POST",
        url,
        (("Accept", JSON), ("Content-Type", FORM)),
        urlencode(data).encode("ascii"),
    )


def exchange_request(
    token_url: str, client_id: str, code: str, verifier: str, redirect_uri: str
) -> HttpRequest:
    """Code + PKCE verifier → tokens. ``redirect_uri`` is the authorize request's, exactly
    (RFC 6749 §4.1.3 requires it; ilert ignores it or checks it)."""
    data = {
        "client_id": client_id,
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
    }
    if redirect_uri:
        data["redirect_uri"] = redirect_uri
    return _form(token_url, data)


def refresh_request(token_url: str, client_id: str, refresh_token: str) -> HttpRequest:
    return _form(
        token_url,
        {"client_id": client_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def token_info_request(url: str, access_token: str) -> HttpRequest:
    return _form(url, {"token": access_token})


def introspection_request(url: str, client_id: str, access_token: str) -> HttpRequest:
    """RFC 7662: the token, its type, and who asks: a public client names itself by its
    ``client_id`` in the form (its whole client authentication, RFC 6749 §2.3).

    No ``Authorization`` header: introspection authenticates the *client*, and the token
    being introspected is not a credential for that; a strict server answers a Bearer header
    there with 400 (only HTTP Basic is client authentication). A server that wants more than
    a public client can give answers 401/403, which the page says as a refusal.
    """
    return _form(
        url, {"token": access_token, "token_type_hint": "access_token", "client_id": client_id}
    )


def revoke_request(url: str, client_id: str, refresh_token: str) -> HttpRequest:
    """RFC 7009: a public client names itself (client_id) and says what it revokes."""
    return _form(
        url, {"token": refresh_token, "token_type_hint": "refresh_token", "client_id": client_id}
    )


def form_fields(request: HttpRequest) -> dict[str, str]:
    """The form a request carries (for the flow log, which redacts the secrets)."""
    from urllib.parse import parse_qsl

    if request.body is None or request.header("Content-Type") != FORM:
        return {}
    return dict(parse_qsl(request.body.decode("ascii")))


def token_set(
    resp: HttpResponse,
    now: float,
    previous: TokenSet | None = None,
    grant: str = "",
    attempt: int = 0,
) -> TokenSet:
    """A 2xx token response → TokenSet, validated; any other answer → its typed error
    (``attempt``: earlier 429/5xx answers in a row, for the back-off)."""
    if not 200 <= resp.status < 300:
        raise token_error(resp, grant, attempt)
    data = resp.json_or_none()
    if data is None and resp.body.strip() and not resp.is_json:
        raise NonJsonResponse(resp.status, "a page instead of a token response")
    if not isinstance(data, dict):
        raise MalformedResponse(resp.status, "the token response is not a JSON object")
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise InvalidTokenResponse(resp.status, "it carries no access_token")
    token_type = data.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise InvalidTokenResponse(
            resp.status, f"token_type is {token_type!r}, but only Bearer tokens can be used"
        )
    raw = data.get("expires_in")
    expires_in = seconds(raw, MAX_LIFETIME)
    if expires_in is None:
        shown = repr(raw)[:40] if raw is not None else "missing"
        raise InvalidTokenResponse(
            resp.status, f"expires_in is {shown}, not a number of seconds up to a year"
        )
    refresh = data.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        rt_in = seconds(data.get("refresh_token_expires_in"), MAX_LIFETIME)
        rt_at = now + rt_in if rt_in is not None else None  # unknown: not an error
    elif previous is not None:  # no rotation: keep the refresh token we have
        refresh, rt_at = previous.refresh_token, previous.refresh_expires_at
    else:
        refresh, rt_at = None, None
    scope = data.get("scope")
    if not isinstance(scope, str):
        scope = previous.scope if previous else ""
    return TokenSet(
        access_token=access,
        expires_at=now + expires_in,
        scope=scope,
        token_type="Bearer",
        refresh_token=refresh,
        refresh_expires_at=rt_at,
        obtained_at=now,
    )


def token_info(resp: HttpResponse, introspection: bool = False, attempt: int = 0) -> dict:
    """ilert's token_info or an RFC 7662 answer; a refusal is InfoRefused (still signed in)."""
    if resp.status in (401, 403) or (400 <= resp.status < 500 and resp.status != 429):
        fields = oauth_fields(resp)
        reason = ": ".join(f for f in fields if f) if fields else ""
        raise InfoRefused(resp.status, reason, introspection)
    if not 200 <= resp.status < 300:
        raise token_error(resp, attempt=attempt)
    data = resp.json_or_none()
    if not isinstance(data, dict):
        raise MalformedResponse(resp.status, "token_info did not return an object")
    return data


def revoked(resp: HttpResponse, attempt: int = 0) -> None:
    """RFC 7009: 200 (also for an unknown token); anything else is the server's refusal."""
    if not 200 <= resp.status < 300:
        raise token_error(resp, attempt=attempt)


def oauth_fields(resp: HttpResponse) -> tuple[str, str] | None:
    """(code, description) of an OAuth error in any shape, or None."""
    body = resp.json_or_none()
    if isinstance(body, dict):
        code, text = body.get("code"), body.get("error")
        if isinstance(code, str) and code and not isinstance(body.get("status"), int):
            return code, text if isinstance(text, str) else ""  # ilert: {"code", "error"}
        if isinstance(text, str) and text:  # RFC 6749
            desc = body.get("error_description")
            desc = desc if isinstance(desc, str) else ""
            uri = body.get("error_uri")
            if isinstance(uri, str) and uri:
                desc = f"{desc} (see {uri})" if desc else f"see {uri}"
            return text, desc
    challenge = bearer_challenge(resp.headers.get("www-authenticate", ""))
    if challenge.get("error"):
        return challenge["error"], challenge.get("error_description", "")
    return None


def token_error(resp: HttpResponse, grant: str = "", attempt: int = 0) -> HttpError:
    """The typed error for a non-2xx answer from a token endpoint."""
    if resp.status == 429:
        return RateLimited(backoff.delay(attempt))
    if resp.status >= 500:  # transient whatever the body says: retry later, don't sign out
        fields = oauth_fields(resp)
        return ServerError(resp.status, backoff.delay(attempt), fields[1] if fields else "")
    fields = oauth_fields(resp)
    if fields:
        return OAuthError(resp.status, fields[0], fields[1], grant)
    if resp.body.strip() and not resp.is_json:
        return NonJsonResponse(resp.status, "error page instead of JSON")
    return MalformedResponse(resp.status, "unexpected error body")


_PARAM_RE = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def bearer_challenge(header: str) -> dict[str, str]:
    """The parameters of a ``Bearer`` challenge in WWW-Authenticate (RFC 6750 §3)."""
    if not header.strip().lower().startswith("bearer"):
        return {}
    return {m[1].lower(): (m[2] if m[2] is not None else m[3]) for m in _PARAM_RE.finditer(header)}


# --- the REST API ------------------------------------------------------------------------


def api_request(
    api_base: str,
    method: str,
    path: str,
    access_token: str,
    params: object = None,
    body: object = None,
) -> HttpRequest:
    url = api_base.rstrip("/") + path
    if params:
        url += "?" + urlencode(params, doseq=True)
    headers: tuple[tuple[str, str], ...] = (
        ("Authorization", f"Bearer {access_token}"),
        ("Accept", JSON),
    )
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers += (("Content-Type", JSON),)
    return HttpRequest(method.upper(), url, headers, data)


def is_unauthorized(resp: HttpResponse) -> bool:
    """401, or a Bearer challenge naming the token invalid (some servers send it with 400)."""
    if resp.status == 401:
        return True
    return bearer_challenge(resp.headers.get("www-authenticate", "")).get("error") == (
        "invalid_token"
    )


def api_result(
    resp: HttpResponse, method: str, path: str, granted_scope: str, attempt: int = 0
) -> object:
    """A REST answer → its JSON (None for an empty 2xx body) or the typed error."""
    status = resp.status
    if status == 429:
        raise RateLimited(backoff.delay(attempt))
    if status >= 500:
        raise ServerError(status, backoff.delay(attempt), _message(resp))
    data = resp.json_or_none()
    if 200 <= status < 300:
        if not resp.body.strip():
            return None
        if data is None:
            if resp.is_json:
                raise MalformedResponse(status, "the body is not valid JSON")
            raise NonJsonResponse(status, "a page instead of JSON")
        return data
    if status == 403:
        name = scopes.scope_for_path(path.split("?")[0]) or ""
        level = scopes.level_for_method(method)
        if name and scopes.allows(granted_scope, name, level):
            raise RoleForbidden(403, _message(resp))
        raise ScopeNotGranted(name, level)
    if data is None and resp.body.strip():
        raise NonJsonResponse(status, "a page instead of JSON")
    if isinstance(data, dict):
        raise ApiError(status, _message(resp), str(data.get("code") or ""))
    raise ApiError(status, "")


def _message(resp: HttpResponse) -> str:
    data = resp.json_or_none()
    if not isinstance(data, dict):
        return ""
    for key in ("message", "error_description", "error"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def page_params(path: str, page: int, params: dict | None = None) -> tuple[dict, int]:
    """Query for page ``page`` of a list (ilert: start-index, max-results) and its size."""
    size = PAGE_SIZES.get(path, 50)
    return {**(params or {}), "start-index": page * size, "max-results": size}, size


def segment(value: object) -> str:
    return quote(str(value), safe="")


def response_summary(resp: HttpResponse) -> dict:
    """A short description of an answer for the flow log (never the full data)."""
    out: dict = {"content-type": resp.content_type or "-", "bytes": len(resp.body)}
    data = resp.json_or_none()
    if isinstance(data, list):
        out["items"] = len(data)
    elif isinstance(data, dict):
        out["fields"] = sorted(data)[:15]
        for key in (
            "status",
            "code",
            "message",
            "error",
            "error_description",
            "token_type",
            "expires_in",
            "scope",
            "active",
            "username",
            "tenant_id",
            "app_id",
        ):
            if key in data and not isinstance(data[key], (dict, list)):
                out[key] = data[key]
    elif resp.body.strip() and resp.is_json:
        out["json"] = "malformed"
    return out
