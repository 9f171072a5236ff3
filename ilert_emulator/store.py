"""Loading the tenant data and the app registrations, and the App record.

Both come from JSON files (``data/demo.json`` and ``data/apps.json`` by default); callers may
pass their own path or an already-parsed dict. Tenant data is API-shaped: every list holds
objects exactly as ilert's REST API returns them. Time stamps may be written relative to the
moment the data is loaded, as ``"@now"``, ``"@now-35m"`` or ``"@now+1d2h"`` (units d, h, m, s;
the sign applies to the whole offset), so the demo's current shifts and fresh alerts stay
current whenever it starts.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .clock import iso

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_DATA = DATA_DIR / "demo.json"
DEFAULT_APPS = DATA_DIR / "apps.json"

# The lists a tenant holds; missing ones default to empty.
COLLECTIONS = (
    "users",
    "teams",
    "escalationPolicies",
    "alertSources",
    "alerts",
    "schedules",
    "onCalls",
)

_RELATIVE = re.compile(r"^@now(?:([+-])((?:\d+[dhms])+))?$")
_PART = re.compile(r"(\d+)([dhms])")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}

Source = str | Path | dict[str, Any] | None


def read_json(source: Source, default: Path) -> dict[str, Any]:
    """A deep copy of ``source`` (dict), the parsed file at ``source`` (path) or ``default``."""
    if source is None:
        source = default
    if isinstance(source, dict):
        return copy.deepcopy(source)
    with open(source, encoding="utf-8") as fh:
        loaded = json.load(fh)
    if not isinstance(loaded, dict):
        raise ValueError(f"{source}: expected a JSON object")
    return loaded


def load_tenant(raw: dict[str, Any], now: float) -> dict[str, Any]:
    """Validate the outline of tenant data and resolve relative time stamps against ``now``."""
    if not isinstance(raw, dict):
        raise ValueError("tenant data must be a JSON object")
    data = resolve_times(copy.deepcopy(raw), now)
    tenant = data.get("tenant")
    if not isinstance(tenant, dict) or not isinstance(tenant.get("name"), str):
        raise ValueError('tenant data needs "tenant": {"name": ..., "id": ...}')
    tenant["name"] = tenant["name"].lower()
    tenant.setdefault("id", 1)
    for key in COLLECTIONS:
        value = data.setdefault(key, [])
        if not isinstance(value, list) or not all(isinstance(o, dict) for o in value):
            raise ValueError(f"tenant data: {key!r} must be a list of objects")
    return data


def resolve_times(value: Any, now: float) -> Any:
    if isinstance(value, dict):
        return {k: resolve_times(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_times(v, now) for v in value]
    if isinstance(value, str):
        match = _RELATIVE.match(value)
        if match:
            sign = -1 if match.group(1) == "-" else 1
            parts = _PART.findall(match.group(2) or "")
            return iso(now + sign * sum(int(n) * _UNIT[unit] for n, unit in parts))
    return value


@dataclass
class App:
    """One OAuth2 app registration."""

    client_id: str
    name: str
    app_id: int
    client_secret: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)

    @property
    def public(self) -> bool:
        return not self.client_secret

    def add_url(self, url: str) -> None:
        """Register ``url`` as a redirect URI and its origin as an allowed origin."""
        if url not in self.redirect_uris:
            self.redirect_uris.append(url)
        origin = origin_of(url)
        if origin not in self.origins:
            self.origins.append(origin)


def load_apps(raw: dict[str, Any]) -> dict[str, App]:
    """Parse ``{"apps": [{client_id, name, app_id?, client_secret?, redirect_uris, origins}]}``."""
    items = raw.get("apps")
    if not isinstance(items, list):
        raise ValueError('apps file needs "apps": [...]')
    apps: dict[str, App] = {}
    for number, item in enumerate(items, start=1):
        try:
            app = App(
                client_id=str(item["client_id"]),
                name=str(item.get("name") or item["client_id"]),
                app_id=int(item.get("app_id", number)),
                client_secret=item.get("client_secret") or None,
                redirect_uris=[str(u) for u in item.get("redirect_uris", [])],
                origins=[str(o).rstrip("/") for o in item.get("origins", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"apps file: entry {number} is invalid ({exc})") from exc
        apps[app.client_id] = app
    return apps


def origin_of(url: str) -> str:
    """``http://localhost:5000/x?y`` -> ``http://localhost:5000``; ValueError if not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def loopback_twin(url: str) -> str | None:
    """The same URL with ``localhost`` and ``127.0.0.1`` swapped, or None for other hosts."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    twin = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}.get(host)
    if twin is None:
        return None
    netloc = twin if parts.port is None else f"{twin}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()
