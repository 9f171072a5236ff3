"""The scope picker model and what a granted scope lets the page show.

The catalogue and rules come from app.core.scopes; this module only maps picker choices to a
scope string and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core import scopes

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
