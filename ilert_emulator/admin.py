"""Test-only admin endpoints under ``/_emulator/`` (only with ``test_controls=True``).

They map 1:1 onto the Python API so tests that run the emulator in another process (the
end-to-end suite drives ``serve.py``) can steer it. JSON in, JSON out, no CORS.

Guarded against web pages in the user's browser: every request but GET must be
``Content-Type: application/json`` (which a cross-site page cannot send without a CORS
preflight, and none is granted): 403 otherwise. A DNS-rebinding page whose name resolves
to 127.0.0.1 never gets here: the server answers every path only on the names it serves
(``hosts``; 421 otherwise).

    POST /_emulator/clock          {"advance": seconds}
    POST /_emulator/faults         {"endpoint", "count"?, "status"?, "hang"?, "body"?,
                                    "content_type"?, "after_work"?, "drop"?}
    DELETE /_emulator/faults       drop pending faults
    POST /_emulator/revoke-grants  {"username", "client_id"?, "access_tokens"?}
    POST /_emulator/rate-limit     {"limit": n}
    PUT  /_emulator/data           <tenant JSON>
    POST /_emulator/modes          {"strict_rotation"?, "require_redirect_uri"?} -> the modes
    POST /_emulator/reset          (also restores the modes the emulator started with)
    POST /_emulator/issue-code     {"client_id", "redirect_uri", "scope", "code_challenge",
                                    "username"?, "state"?}  -> {"code"}
    POST /_emulator/app-url        {"url", "client_id"?}  (until the next reset)
    GET  /_emulator/state          tenant, clock, apps, rate limit
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from werkzeug.wrappers import Request, Response

from .bodies import BodyError, parse_json, preload
from .context import Controls
from .responses import json_response

PREFIX = "/_emulator/"


class _BadInput(Exception):
    pass


def _body(request: Request) -> dict[str, Any]:
    if not request.get_data():
        return {}
    try:
        body = parse_json(request)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _BadInput("the body must be a JSON object")
    return body


def _refused(request: Request) -> Response | None:
    """A 403 for requests a web page (not a test) could have made; None when acceptable."""
    if request.method not in ("GET", "HEAD") and request.mimetype != "application/json":
        return json_response({"error": "test controls take Content-Type: application/json"}, 403)
    return None


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise _BadInput(f"{name} must be true or false")
    return value


def _clock(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    now = emu.clock.advance(float(body.get("advance", 0)))
    return {"now": emu.clock.iso(now), "timestamp": now}


def _faults(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    if "endpoint" not in body:
        raise _BadInput("endpoint is required")
    emu.faults.add(
        str(body["endpoint"]),
        count=int(body.get("count", 1)),
        status=None if body.get("status") is None else int(body["status"]),
        hang=float(body.get("hang") or 0.0),
        body=body.get("body"),
        content_type=body.get("content_type"),
        after_work=_flag(body, "after_work"),
        drop=_flag(body, "drop"),
    )
    return {"pending": emu.faults.pending()}


def _clear_faults(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    emu.faults.clear()
    return {"pending": 0}


def _revoke(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("username"):
        raise _BadInput("username is required")
    count = emu.revoke_grants(
        str(body["username"]), body.get("client_id"), bool(body.get("access_tokens", False))
    )
    return {"revoked": count}


def _rate_limit(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    if "limit" not in body:
        raise _BadInput("limit is required")
    emu.set_rate_limit(int(body["limit"]))
    return {"limit": emu.rate_limiter.limit}


def _data(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    emu.set_data(body)
    return {"ok": True}


def _modes(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - {"strict_rotation", "require_redirect_uri"}
    if unknown:
        raise _BadInput(f"unknown mode(s): {', '.join(sorted(unknown))}")
    modes = emu.set_modes(
        strict_rotation=_flag(body, "strict_rotation") if "strict_rotation" in body else None,
        require_redirect_uri=(
            _flag(body, "require_redirect_uri") if "require_redirect_uri" in body else None
        ),
    )
    return asdict(modes)


def _reset(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    emu.reset()
    return {"ok": True}


def _issue_code(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    try:
        code = emu.issue_code(
            str(body["client_id"]),
            str(body["redirect_uri"]),
            str(body["scope"]),
            body.get("code_challenge"),
            username=str(body.get("username", "alice")),
            state=body.get("state"),
        )
    except KeyError as exc:
        raise _BadInput(f"{exc.args[0]} is required") from None
    return {"code": code}


def _app_url(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("url"):
        raise _BadInput("url is required")
    emu.add_app_url(str(body["url"]), body.get("client_id"), keep=False)
    return {"ok": True}


def _state(emu: Controls, body: dict[str, Any]) -> dict[str, Any]:
    with emu.lock:
        return {
            "tenant": emu.state.tenant,
            "now": emu.clock.iso(),
            "timestamp": emu.clock.now(),
            "rate_limit": emu.rate_limiter.limit,
            "modes": asdict(emu.modes),
            "demo_client_id": emu.demo_client_id,
            "apps": [
                {
                    "client_id": a.client_id,
                    "name": a.name,
                    "redirect_uris": a.redirect_uris,
                    "origins": a.origins,
                }
                for a in emu.state.apps.values()
            ],
        }


ROUTES: dict[tuple[str, str], Callable[[Controls, dict[str, Any]], dict[str, Any]]] = {
    ("clock", "POST"): _clock,
    ("faults", "POST"): _faults,
    ("faults", "DELETE"): _clear_faults,
    ("revoke-grants", "POST"): _revoke,
    ("rate-limit", "POST"): _rate_limit,
    ("data", "PUT"): _data,
    ("modes", "POST"): _modes,
    ("reset", "POST"): _reset,
    ("issue-code", "POST"): _issue_code,
    ("app-url", "POST"): _app_url,
    ("state", "GET"): _state,
}


def handle(emu: Controls, request: Request) -> Response:
    refused = _refused(request)
    if refused is not None:
        return refused
    try:
        preload(request)
    except BodyError as exc:
        return json_response({"error": exc.message}, exc.status)
    name = request.path[len(PREFIX) :]
    known = {n for n, _ in ROUTES}
    action = ROUTES.get((name, request.method))
    if action is None:
        status = 405 if name in known else 404
        return json_response({"error": f"no admin action {request.method} {request.path}"}, status)
    try:
        return json_response(action(emu, _body(request)))
    except (_BadInput, ValueError, TypeError) as exc:
        return json_response({"error": str(exc)}, 400)
