"""CORS for the endpoints a browser app calls: token, token_info, revoke and /api/*.

The allowed origins are those of every registered app. Preflights from an allowed origin get
204 with the usual Allow-* headers; from any other origin 403 without ``Access-Control-Allow-
Origin``. Actual responses - errors and injected faults included - carry the allow header for
allowed origins, so the app can read a 401 or 429 instead of seeing an opaque network error.
No credentials are involved (bearer tokens in a header), so no Allow-Credentials.
"""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.wrappers import Request, Response

ALLOW_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Accept"
MAX_AGE = "600"


def is_preflight(request: Request) -> bool:
    return request.method == "OPTIONS"


def preflight(request: Request, allowed: Iterable[str]) -> Response:
    origin = request.headers.get("Origin", "")
    if origin.lower() not in set(allowed):
        response = Response("Origin not allowed", status=403, mimetype="text/plain")
        response.headers["Vary"] = "Origin"
        return response
    response = Response(status=204)
    response.headers.update(
        {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
            "Vary": "Origin",
        }
    )
    return response


def decorate(response: Response, request: Request, allowed: Iterable[str]) -> Response:
    """Add the allow-origin header to an actual (non-preflight) response when permitted."""
    origin = request.headers.get("Origin", "")
    response.headers.add("Vary", "Origin")
    if origin and origin.lower() in set(allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
    return response
