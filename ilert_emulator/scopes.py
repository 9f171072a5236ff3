"""ilert's OAuth2 scopes as the emulator enforces them, written from ilert's documentation.

Deliberately independent of the app's own scope module: the server that tests the client
must not share the client's rules, or a mistake in them could never be caught. A test
(``tests/emulator/test_emu_scopes_agree.py``) checks that both agree.

ilert's rules: a bare scope or ``:r`` reads (GET), ``:w`` also creates and edits (POST, PUT),
``:d`` also deletes. ``offline_access`` takes no suffix and opens no API; it lets an app
without a secret get refresh tokens. Scopes are separated by spaces.

(undocumented) choices: PATCH counts as writing; any other method needs ``:d``. A scope
string that names one scope twice grants the higher level. The ``monitor`` scope is listed by
ilert without an API path, so it opens nothing here.
"""

from __future__ import annotations

OFFLINE_ACCESS = "offline_access"
LEVELS = ("r", "w", "d")  # in increasing order of power

# name -> (words for the consent page, API path prefixes under /api)
CATALOGUE: dict[str, tuple[str, tuple[str, ...]]] = {
    "profile": ("your user profile", ("/users/current",)),
    "policy": ("escalation policies", ("/escalation-policies",)),
    "schedule": ("schedules and who is on call", ("/schedules", "/on-calls")),
    "source": ("alert sources", ("/alert-sources",)),
    "support_hour": ("support hours", ("/support-hours",)),
    "monitor": ("heartbeat monitors", ()),
    "action": ("alert actions", ("/alert-actions",)),
    "connector": ("connectors", ("/connectors",)),
    "maintenance": ("maintenance windows", ("/maintenance-windows",)),
    "report": ("reports", ("/reports",)),
    "template": ("incident templates", ("/incident-templates",)),
    "service": ("services", ("/services",)),
    "status_page": ("status pages", ("/status-pages",)),
    "team": ("teams", ("/teams",)),
    "user": ("users", ("/users",)),
    "alert": ("alerts", ("/alerts",)),
    "incident": ("incidents", ("/incidents",)),
    "metric": ("metrics", ("/metrics",)),
    "metric_source": ("metric data sources", ("/metric-data-sources",)),
}

_NEEDS = {"GET": "r", "HEAD": "r", "POST": "w", "PUT": "w", "PATCH": "w"}


class ScopeError(ValueError):
    """A scope string names a scope or level ilert does not know."""


def grants(scope: str | None) -> dict[str, str]:
    """``"source:w profile offline_access"`` -> ``{"source": "w", "profile": "r",
    "offline_access": ""}``; ScopeError for anything unknown."""
    result: dict[str, str] = {}
    for item in (scope or "").split():
        if item == OFFLINE_ACCESS:
            result[OFFLINE_ACCESS] = ""
            continue
        name, sep, level = item.partition(":")
        level = level if sep else "r"
        if name not in CATALOGUE:
            raise ScopeError(f"unknown scope {name!r}")
        if level not in LEVELS:
            raise ScopeError(f"unknown access level {level!r} in {item!r}")
        if LEVELS.index(level) >= LEVELS.index(result.get(name, "r")):
            result[name] = level
    return result


def normalise(scope: str) -> str:
    """The scope string to grant: as sent when each scope appears once, otherwise one item
    per scope at its highest level (``source source:w`` -> ``source:w``)."""
    parsed = grants(scope)
    items = scope.split()
    if len(set(items)) == len(items) == len(parsed):
        return " ".join(items)
    return " ".join(_item(name, level) for name, level in parsed.items())


def _item(name: str, level: str) -> str:
    return name if level in ("", "r") else f"{name}:{level}"


def allows(scope: str | None, name: str, level: str = "r") -> bool:
    """Whether a granted scope string gives ``level`` access to scope ``name``.

    A granted string comes from the emulator itself, but be lenient with items it does
    not know (ignore them) rather than fail a call.
    """
    known = []
    for item in (scope or "").split():
        try:
            grants(item)
        except ScopeError:
            continue
        known.append(item)
    held = grants(" ".join(known))
    if name == OFFLINE_ACCESS:
        return OFFLINE_ACCESS in held
    if name not in held or level not in LEVELS:
        return False
    return LEVELS.index(held[name]) >= LEVELS.index(level)


def has_offline_access(scope: str | None) -> bool:
    return allows(scope, OFFLINE_ACCESS)


def scope_for_path(path: str) -> str | None:
    """The scope guarding an API path under /api; the longest prefix wins
    (``/users/current`` is ``profile``, ``/users/7`` is ``user``)."""
    best = ("", None)
    for name, (_, prefixes) in CATALOGUE.items():
        for prefix in prefixes:
            if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > len(best[0]):
                best = (prefix, name)
    return best[1]


def level_for_method(method: str) -> str:
    return _NEEDS.get(method.upper(), "d")


def describe(name: str, level: str) -> str:
    """One line of the consent page."""
    if name == OFFLINE_ACCESS:
        return "Stay signed in: keep access while you are away (refresh tokens)"
    verb = {"r": "Read", "w": "Read and change", "d": "Read, change and delete"}[level]
    return f"{verb} {CATALOGUE[name][0]}"


def consent_lines(scope: str) -> list[tuple[str, str]]:
    """(scope item, words) for each scope of a granted string, as the consent page lists them."""
    return [(_item(n, lvl), describe(n, lvl)) for n, lvl in grants(scope).items()]
