"""ilert's REST API (the part this project uses), on the in-memory tenant data.

Order of checks, as an API gateway would: rate limit (429), bearer token (401), scope of the
path and method (403, by the emulator's own scope rules), route and id (404/405), then the
handler (400 for bad input). Error bodies: ``{"status", "message", "code"}``.

(undocumented) choices:
- ``max-results`` above a list's maximum is clamped to it (no error); the default page size
  is the maximum. Invalid paging or filter values are 400.
- Alerts are listed newest first; other lists in id order.
- An alert source's ``status`` is derived from its alerts (PENDING, ALL_ACCEPTED,
  ALL_RESOLVED), DISABLED when ``active`` is false, IN_MAINTENANCE when the data says so.
- ``PUT /alert-sources/{id}`` replaces the editable fields (optional ones fall back to their
  defaults when left out); ``id``, ``integrationKey``, ``createdAt`` stay the server's.
- Accepting a resolved alert is 400; accepting an accepted or resolving a resolved alert
  returns it unchanged.
- 401 responses carry ``WWW-Authenticate: Bearer`` (RFC 6750).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from .bodies import parse_json
from .clock import parse_iso
from .context import RequestContext
from .responses import api_error, json_response
from .scopes import allows, level_for_method, scope_for_path
from .tokens import AccessRecord

MAX_RESULTS = {
    "alertSources": 50,
    "escalationPolicies": 50,
    "alerts": 100,
    "users": 100,
    "teams": 100,
    "schedules": 20,
    "onCalls": 250,
}
ALERT_STATES = ("PENDING", "ACCEPTED", "RESOLVED")
DEFAULT_ALERT_CREATION = "ONE_ALERT_PER_EMAIL"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


URLS = Map(
    [
        Rule("/api/users/current", endpoint="current_user", methods=["GET"]),
        Rule("/api/users", endpoint="users", methods=["GET"]),
        Rule("/api/users/<int:item_id>", endpoint="user", methods=["GET"]),
        Rule("/api/teams", endpoint="teams", methods=["GET"]),
        Rule("/api/teams/<int:item_id>", endpoint="team", methods=["GET"]),
        Rule("/api/alert-sources", endpoint="sources", methods=["GET"]),
        Rule("/api/alert-sources/<int:item_id>", endpoint="source", methods=["GET"]),
        Rule("/api/alert-sources/<int:item_id>", endpoint="put_source", methods=["PUT"]),
        Rule("/api/alerts", endpoint="alerts", methods=["GET"]),
        Rule("/api/alerts/count", endpoint="alert_count", methods=["GET"]),
        Rule("/api/alerts/<int:item_id>", endpoint="alert", methods=["GET"]),
        Rule("/api/alerts/<int:item_id>/accept", endpoint="accept", methods=["PUT"]),
        Rule("/api/alerts/<int:item_id>/resolve", endpoint="resolve", methods=["PUT"]),
        Rule("/api/on-calls", endpoint="on_calls", methods=["GET"]),
        Rule("/api/schedules", endpoint="schedules", methods=["GET"]),
        Rule("/api/schedules/<int:item_id>", endpoint="schedule", methods=["GET"]),
        Rule("/api/escalation-policies", endpoint="policies", methods=["GET"]),
        Rule("/api/escalation-policies/<int:item_id>", endpoint="policy", methods=["GET"]),
    ]
)


def handle(ctx: RequestContext, request: Request) -> Response:
    if not ctx.rate_limiter.hit(request.remote_addr or "unknown"):
        return api_error(429, "Too many requests, slow down")
    record = _authenticate(ctx, request)
    if isinstance(record, Response):
        return record
    path = request.path[len("/api") :] or "/"
    scope_name = scope_for_path(path)
    if scope_name is None:
        return api_error(404, f"No API resource at {request.path}")
    level = level_for_method(request.method)
    if not allows(record.scope, scope_name, level):
        needed = scope_name if level == "r" else f"{scope_name}:{level}"
        return api_error(
            403, f"The token's scope does not allow {request.method} {request.path} ({needed})"
        )
    try:
        endpoint, args = URLS.bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed:
        return api_error(405, f"{request.method} is not allowed on {request.path}")
    except (NotFound, RequestRedirect):
        return api_error(404, f"No API resource at {request.path}")
    try:
        return HANDLERS[endpoint](ctx, request, record, **args)
    except ApiError as exc:
        return api_error(exc.status, exc.message)


def _authenticate(ctx: RequestContext, request: Request) -> AccessRecord | Response:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return _unauthorized("Missing bearer token", "")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("Malformed Authorization header", ', error="invalid_request"')
    record = ctx.tokens.check_access(token.strip())
    if record is None or ctx.state.user(record.username) is None:
        return _unauthorized("Invalid, expired or revoked access token", ', error="invalid_token"')
    return record


def _unauthorized(message: str, extra: str) -> Response:
    response = api_error(401, message)
    response.headers["WWW-Authenticate"] = f'Bearer realm="ilert"{extra}'
    return response


# -- helpers ---------------------------------------------------------------------------------


def _page(request: Request, items: list[Any], kind: str) -> list[Any]:
    maximum = MAX_RESULTS[kind]
    start = _int_arg(request, "start-index", 0, minimum=0)
    count = min(_int_arg(request, "max-results", maximum, minimum=1), maximum)
    return items[start : start + count]


def _int_arg(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number") from None
    if value < minimum:
        raise ApiError(400, f"{name} must be at least {minimum}")
    return value


def _find(items: list[dict[str, Any]], item_id: int, what: str) -> dict[str, Any]:
    for item in items:
        if item.get("id") == item_id:
            return item
    raise ApiError(404, f"{what} not found")


def _by_id(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda o: (str(type(o.get("id"))), o.get("id") or 0))


def _ref(items: list[dict[str, Any]], ref: Any, what: str) -> dict[str, Any]:
    """Resolve ``{"id": n}`` against ``items`` to ``{"id", "name"}``; 400 if it is not there."""
    if not isinstance(ref, dict) or isinstance(ref.get("id"), bool):
        raise ApiError(400, f"{what} must be an object with an id")
    try:
        wanted = int(ref.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApiError(400, f"{what} must be an object with an id") from None
    for item in items:
        if item.get("id") == wanted:
            return {"id": wanted, "name": item.get("name")}
    raise ApiError(400, f"{what} {wanted} does not exist")


# -- users, teams ------------------------------------------------------------------------------


def current_user(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    return json_response(ctx.state.user(record.username))


def users(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    return json_response(_page(request, _by_id(ctx.state.data["users"]), "users"))


def user(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    return json_response(_find(ctx.state.data["users"], item_id, "User"))


def teams(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    return json_response(_page(request, _by_id(ctx.state.data["teams"]), "teams"))


def team(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    return json_response(_find(ctx.state.data["teams"], item_id, "Team"))


# -- alert sources -----------------------------------------------------------------------------


def _source_view(ctx: RequestContext, source: dict[str, Any]) -> dict[str, Any]:
    view = dict(source)
    view["status"] = _source_status(ctx, source)
    return view


def _source_status(ctx: RequestContext, source: dict[str, Any]) -> str:
    if source.get("active") is False:
        return "DISABLED"
    if source.get("status") == "IN_MAINTENANCE":
        return "IN_MAINTENANCE"
    states = {
        a.get("status")
        for a in ctx.state.data["alerts"]
        if (a.get("alertSource") or {}).get("id") == source.get("id")
    }
    if "PENDING" in states:
        return "PENDING"
    if "ACCEPTED" in states:
        return "ALL_ACCEPTED"
    return "ALL_RESOLVED"


def sources(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    items = [_source_view(ctx, s) for s in _by_id(ctx.state.data["alertSources"])]
    return json_response(_page(request, items, "alertSources"))


def source(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    found = _find(ctx.state.data["alertSources"], item_id, "Alert source")
    return json_response(_source_view(ctx, found))


def put_source(
    ctx: RequestContext, request: Request, record: AccessRecord, item_id: int
) -> Response:
    current = _find(ctx.state.data["alertSources"], item_id, "Alert source")
    try:
        body = parse_json(request)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object (the full alert source)")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "name is required")
    if len(name) > 255:
        raise ApiError(400, "name must be at most 255 characters")
    integration = body.get("integrationType")
    if not isinstance(integration, str) or not integration.strip():
        raise ApiError(400, "integrationType is required")
    if body.get("escalationPolicy") is None:
        raise ApiError(400, "escalationPolicy is required")
    policy = _ref(
        ctx.state.data["escalationPolicies"], body["escalationPolicy"], "escalationPolicy"
    )
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise ApiError(400, "active must be true or false")
    raw_teams = body.get("teams") or []
    if not isinstance(raw_teams, list):
        raise ApiError(400, "teams must be a list")
    team_refs = [_ref(ctx.state.data["teams"], t, "team") for t in raw_teams]
    alert_creation = body.get("alertCreation") or DEFAULT_ALERT_CREATION
    timeout = body.get("autoResolutionTimeout")
    if not isinstance(alert_creation, str) or not (timeout is None or isinstance(timeout, str)):
        raise ApiError(400, "alertCreation and autoResolutionTimeout must be strings")
    status = "IN_MAINTENANCE" if body.get("status") == "IN_MAINTENANCE" else None
    replacement = {
        "id": current["id"],
        "name": name,
        "integrationType": integration,
        "integrationKey": current.get("integrationKey"),
        "status": status,
        "active": active,
        "escalationPolicy": policy,
        "teams": team_refs,
        "alertCreation": alert_creation,
        "autoResolutionTimeout": timeout,
        "createdAt": current.get("createdAt"),
        "updatedAt": ctx.clock.iso(),
    }
    current.clear()
    current.update(replacement)
    for alert in ctx.state.data["alerts"]:  # alerts embed the source's name
        if (alert.get("alertSource") or {}).get("id") == current["id"]:
            alert["alertSource"] = {"id": current["id"], "name": name}
    return json_response(_source_view(ctx, current))


# -- alerts ------------------------------------------------------------------------------------


def _filtered_alerts(ctx: RequestContext, request: Request) -> list[dict[str, Any]]:
    states = {s.strip().upper() for v in request.args.getlist("states") for s in v.split(",")}
    states.discard("")
    if bad := states - set(ALERT_STATES):
        raise ApiError(400, f"Unknown alert state(s): {', '.join(sorted(bad))}")
    try:
        wanted = {int(s) for v in request.args.getlist("sources") for s in v.split(",") if s}
    except ValueError:
        raise ApiError(400, "sources must be alert source ids") from None
    bounds = {}
    for name in ("from", "until"):
        if raw := request.args.get(name):
            try:
                bounds[name] = parse_iso(raw)
            except ValueError:
                raise ApiError(400, f"{name} must be an ISO 8601 date-time") from None
    result = []
    for alert in ctx.state.data["alerts"]:
        if states and alert.get("status") not in states:
            continue
        if wanted and (alert.get("alertSource") or {}).get("id") not in wanted:
            continue
        if bounds:
            try:
                when = parse_iso(str(alert.get("reportTime")))
            except ValueError:
                continue
            if ("from" in bounds and when < bounds["from"]) or (
                "until" in bounds and when > bounds["until"]
            ):
                continue
        result.append(alert)
    return sorted(result, key=_alert_order)


def _alert_order(alert: dict[str, Any]) -> tuple[float, int]:
    try:
        when = parse_iso(str(alert.get("reportTime")))
    except ValueError:
        when = 0.0
    item_id = alert.get("id")
    return (-when, -item_id if isinstance(item_id, int) else 0)


def alerts(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    return json_response(_page(request, _filtered_alerts(ctx, request), "alerts"))


def alert_count(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    return json_response({"count": len(_filtered_alerts(ctx, request))})


def alert(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    return json_response(_find(ctx.state.data["alerts"], item_id, "Alert"))


def _responder(ctx: RequestContext, username: str, status: str) -> dict[str, Any]:
    user_obj = ctx.state.user(username) or {}
    return {
        "user": {
            "id": user_obj.get("id"),
            "username": user_obj.get("username"),
            "firstName": user_obj.get("firstName"),
            "lastName": user_obj.get("lastName"),
        },
        "status": status,
        "acceptedAt": ctx.clock.iso() if status == "ACCEPTED" else None,
    }


def accept(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    found = _find(ctx.state.data["alerts"], item_id, "Alert")
    if found.get("status") == "RESOLVED":
        raise ApiError(400, "The alert is already resolved")
    if found.get("status") != "ACCEPTED":
        found["status"] = "ACCEPTED"
        found["responders"] = [
            *(found.get("responders") or []),
            _responder(ctx, record.username, "ACCEPTED"),
        ]
    return json_response(found)


def resolve(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    found = _find(ctx.state.data["alerts"], item_id, "Alert")
    if found.get("status") != "RESOLVED":
        found["status"] = "RESOLVED"
        found["resolvedOn"] = ctx.clock.iso()
    return json_response(found)


# -- on-call, schedules, escalation policies ------------------------------------------------------


def on_calls(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    return json_response(_page(request, list(ctx.state.data["onCalls"]), "onCalls"))


def _schedule_view(request: Request, item: dict[str, Any]) -> dict[str, Any]:
    includes = {i for v in request.args.getlist("include") for i in v.split(",")}
    view = dict(item)
    for field in ("currentShift", "nextShift"):
        if field not in includes:
            view.pop(field, None)
    return view


def schedules(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    items = [_schedule_view(request, s) for s in _by_id(ctx.state.data["schedules"])]
    return json_response(_page(request, items, "schedules"))


def schedule(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    return json_response(
        _schedule_view(request, _find(ctx.state.data["schedules"], item_id, "Schedule"))
    )


def policies(ctx: RequestContext, request: Request, record: AccessRecord) -> Response:
    items = _by_id(ctx.state.data["escalationPolicies"])
    return json_response(_page(request, items, "escalationPolicies"))


def policy(ctx: RequestContext, request: Request, record: AccessRecord, item_id: int) -> Response:
    return json_response(_find(ctx.state.data["escalationPolicies"], item_id, "Escalation policy"))


HANDLERS: dict[str, Callable[..., Response]] = {
    "current_user": current_user,
    "users": users,
    "user": user,
    "teams": teams,
    "team": team,
    "sources": sources,
    "source": source,
    "put_source": put_source,
    "alerts": alerts,
    "alert_count": alert_count,
    "alert": alert,
    "accept": accept,
    "resolve": resolve,
    "on_calls": on_calls,
    "schedules": schedules,
    "schedule": schedule,
    "policies": policies,
    "policy": policy,
}
