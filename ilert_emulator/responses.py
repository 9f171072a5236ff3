"""Response builders for ilert's two error shapes, JSON and HTML.

OAuth endpoints answer ``{"code": "invalid_grant", "error": "..."}`` (ilert's shape, not RFC
6749's); the REST API answers ``{"status": 404, "message": "...", "code": "NOT_FOUND"}``.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

OAUTH_STATUS = {
    "invalid_request": 400,
    "invalid_scope": 400,
    "access_denied": 400,
    "unsupported_grant_type": 400,
    "invalid_client": 401,  # RFC 6749 5.2; ilert documents no status for it
    "invalid_grant": 401,  # ilert's status, where RFC 6749 says 400
    "server_error": 500,
}

API_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}

# Tokens must never be cached (RFC 6749 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/json", headers=headers)


def oauth_error(code: str, message: str, status: int | None = None) -> Response:
    return json_response(
        {"code": code, "error": message}, status or OAUTH_STATUS.get(code, 400), NO_STORE
    )


def api_error(status: int, message: str, code: str | None = None) -> Response:
    return json_response(
        {"status": status, "message": message, "code": code or API_CODES.get(status, "ERROR")},
        status,
    )


# Emulator pages load nothing from elsewhere; inline CSS only. No form-action: Chromium
# applies it to the redirect that follows the consent form, which goes to the app.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def html_response(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html", headers=PAGE_HEADERS)
