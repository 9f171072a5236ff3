"""The scope picker model and what a granted scope lets the page show.

The catalogue and rules come from app.scopes (shared with the emulator); this module
only maps picker choices to a scope string and back, and names the page's features.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app import scopes

NONE = ""
CHOICES: tuple[tuple[str, str], ...] = (
    (NONE, "none"),
    (scopes.READ, "read"),
    (scopes.WRITE, "write"),
    (scopes.DELETE, "delete"),
)


@dataclass
class Picker:
    levels: dict[str, str] = field(default_factory=dict)  # scope name -> "", "r", "w", "d"
    offline_access: bool = False

    @classmethod
    def from_scope(cls, scope: str) -> Picker:
        """Picker state for a scope string (unknown items are dropped)."""
        picker = cls()
        for grant in scopes.parse_lenient(scope):
            if grant.name == scopes.OFFLINE_ACCESS:
                picker.offline_access = True
            else:
                picker.levels[grant.name] = grant.level
        return picker

    def set(self, name: str, level: str) -> None:
        if name == scopes.OFFLINE_ACCESS:
            self.offline_access = bool(level)
            return
        if name not in scopes.SCOPE_NAMES or level not in (NONE, *scopes.LEVELS):
            raise ValueError(f"unknown scope choice {name}={level}")
        self.levels[name] = level

    def scope(self) -> str:
        return scopes.build(self.levels, self.offline_access)


@dataclass(frozen=True)
class Features:
    """What the signed-in view may offer for a granted scope."""

    profile: bool
    sources: bool
    sources_write: bool
    alerts: bool
    alerts_write: bool
    on_call: bool
    refresh: bool

    @classmethod
    def for_scope(cls, scope: str) -> Features:
        a = scopes.allows
        return cls(
            profile=a(scope, "profile"),
            sources=a(scope, "source"),
            sources_write=a(scope, "source", scopes.WRITE),
            alerts=a(scope, "alert"),
            alerts_write=a(scope, "alert", scopes.WRITE),
            on_call=a(scope, "schedule"),
            refresh=scopes.has_offline_access(scope),
        )


def not_granted_text(name: str, level: str = scopes.READ) -> str:
    scope = name if level == scopes.READ else f"{name}:{level}"
    return f"Not allowed by the granted scope (needs {scope})."
