"""ilert's OAuth2 scopes: the catalogue, parsing and the access rules.

Plain Python with no browser imports: the page uses it for the scope picker and to
decide what the granted scope allows. (The emulator has its own copy of the rules, written
from ilert's documentation, so that a mistake here can be caught by it.)

Rules (ilert contract, section 3): a bare scope or ``:r`` reads (GET), ``:w`` also
creates and edits (POST, PUT, PATCH), ``:d`` also deletes. ``offline_access`` takes no
suffix. Scopes are separated by spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

READ, WRITE, DELETE = "r", "w", "d"
LEVELS: tuple[str, ...] = (READ, WRITE, DELETE)
OFFLINE_ACCESS = "offline_access"


@dataclass(frozen=True)
class ScopeInfo:
    name: str
    title: str
    paths: tuple[str, ...]  # API paths (under /api) the scope opens


SCOPES: tuple[ScopeInfo, ...] = (
    ScopeInfo("profile", "your user profile", ("/users/current",)),
    ScopeInfo("policy", "escalation policies", ("/escalation-policies",)),
    ScopeInfo("schedule", "schedules and who is on call", ("/schedules", "/on-calls")),
    ScopeInfo("source", "alert sources", ("/alert-sources",)),
    ScopeInfo("support_hour", "support hours", ("/support-hours",)),
    # In ilert's scope list; its API path is undocumented, so no path is opened by it here.
    ScopeInfo("monitor", "heartbeat monitors", ()),
    ScopeInfo("action", "alert actions", ("/alert-actions",)),
    ScopeInfo("connector", "connectors", ("/connectors",)),
    ScopeInfo("maintenance", "maintenance windows", ("/maintenance-windows",)),
    ScopeInfo("report", "reports", ("/reports",)),
    ScopeInfo("template", "incident templates", ("/incident-templates",)),
    ScopeInfo("service", "services", ("/services",)),
    ScopeInfo("status_page", "status pages", ("/status-pages",)),
    ScopeInfo("team", "teams", ("/teams",)),
    ScopeInfo("user", "users", ("/users",)),
    ScopeInfo("alert", "alerts", ("/alerts",)),
    ScopeInfo("incident", "incidents", ("/incidents",)),
    ScopeInfo("metric", "metrics", ("/metrics",)),
    ScopeInfo("metric_source", "metric data sources", ("/metric-data-sources",)),
)
SCOPE_NAMES: frozenset[str] = frozenset(s.name for s in SCOPES)
_BY_NAME = {s.name: s for s in SCOPES}

_METHOD_LEVEL = {
    "GET": READ,
    "HEAD": READ,
    "POST": WRITE,
    "PUT": WRITE,
    "PATCH": WRITE,
    "DELETE": DELETE,
}


class ScopeError(ValueError):
    """A scope string holds an unknown scope or suffix."""


@dataclass(frozen=True)
class Grant:
    """One scope of a scope string, normalised: ``source`` and ``source:r`` are both level r."""

    name: str
    level: str  # "r", "w" or "d"; "" for offline_access

    def __str__(self) -> str:
        if self.name == OFFLINE_ACCESS:
            return OFFLINE_ACCESS
        return self.name if self.level == READ else f"{self.name}:{self.level}"


def parse_item(item: str) -> Grant:
    """Parse one scope such as ``source:w``; raise ScopeError for anything ilert does not know."""
    if item == OFFLINE_ACCESS:
        return Grant(OFFLINE_ACCESS, "")
    name, sep, level = item.partition(":")
    if not sep:
        level = READ
    if name not in SCOPE_NAMES:
        raise ScopeError(f"unknown scope {name!r}")
    if level not in LEVELS:
        raise ScopeError(f"unknown access level {level!r} in scope {item!r}")
    return Grant(name, level)


def parse(scope: str | None) -> tuple[Grant, ...]:
    """Parse a space-separated scope string; duplicates collapse to the highest level."""
    best: dict[str, Grant] = {}
    for item in (scope or "").split():
        grant = parse_item(item)
        old = best.get(grant.name)
        if old is None or _rank(grant.level) > _rank(old.level):
            best[grant.name] = grant
    return tuple(best.values())


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


def level_of(scope: str | None, name: str) -> str | None:
    """The level granted for scope ``name`` ("r", "w", "d"), or None when it is not granted."""
    for grant in parse_lenient(scope):
        if grant.name == name:
            return grant.level
    return None


def parse_lenient(scope: str | None) -> tuple[Grant, ...]:
    """Like parse(), but skips items it does not know (for scopes a server granted)."""
    grants = []
    for item in (scope or "").split():
        try:
            grants.append(parse_item(item))
        except ScopeError:
            continue
    return parse(" ".join(str(g) for g in grants))


def allows(scope: str | None, name: str, level: str = READ) -> bool:
    """Whether the granted ``scope`` string allows ``level`` access to scope ``name``."""
    if name == OFFLINE_ACCESS:
        return any(g.name == OFFLINE_ACCESS for g in parse_lenient(scope))
    granted = level_of(scope, name)
    return granted is not None and _rank(granted) >= _rank(level)


def has_offline_access(scope: str | None) -> bool:
    return allows(scope, OFFLINE_ACCESS)


def scope_for_path(path: str) -> str | None:
    """The scope that guards an API path under /api (``/alert-sources/5`` -> ``source``).

    The longest matching prefix wins, so ``/users/current`` is ``profile`` and
    ``/users/7`` is ``user``.
    """
    best: tuple[int, str] | None = None
    for info in SCOPES:
        for prefix in info.paths:
            if (path == prefix or path.startswith(prefix + "/")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), info.name)
    return best[1] if best else None


def level_for_method(method: str) -> str:
    return _METHOD_LEVEL.get(method.upper(), DELETE)


def describe(grant: Grant) -> str:
    """The grant in words, as a consent screen shows it."""
    if grant.name == OFFLINE_ACCESS:
        return "Stay signed in: keep access while you are away (refresh tokens)"
    info = _BY_NAME[grant.name]
    verb = {READ: "Read", WRITE: "Read and change", DELETE: "Read, change and delete"}[grant.level]
    return f"{verb} {info.title}"


def build(selected: dict[str, str], offline_access: bool) -> str:
    """Compose a scope string from a picker's choices ({name: level}), in catalogue order."""
    parts = [
        str(Grant(info.name, selected[info.name]))
        for info in SCOPES
        if selected.get(info.name) in LEVELS
    ]
    if offline_access:
        parts.append(OFFLINE_ACCESS)
    return " ".join(parts)
