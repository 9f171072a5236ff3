"""The emulator's import rules, checked statically on its source (``ast``: nothing is run).

- No module of ``ilert_emulator`` imports ``app``: the emulator is written from ilert's
  documentation on its own, so it can tell when the page gets ilert wrong.
- Only ``server.py`` (and the entry points ``__init__.py``, ``__main__.py``) import ``server``,
  not even under ``TYPE_CHECKING``: the handlers get what they need through ``context``
  (``RequestContext``, ``Controls``), so ``server`` and its handlers form no import circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ilert_emulator import Emulator
from ilert_emulator.context import Controls

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ilert_emulator"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAY_IMPORT_SERVER = {"server.py", "__init__.py", "__main__.py"}


def imports(source: str, package: str) -> set[str]:
    """Every module ``source`` (a module of ``package``) imports, as an absolute name, at any
    depth (function bodies and ``if TYPE_CHECKING:`` blocks included). ``from X import Y``
    gives both ``X`` and ``X.Y``, as ``Y`` may be a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                module = ".".join([*base, *([module] if module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def module_imports(path: Path) -> set[str]:
    package = ".".join(path.parent.relative_to(ROOT).parts)
    return imports(path.read_text(encoding="utf-8"), package)


def names(imported: set[str], module: str) -> bool:
    return any(name == module or name.startswith(module + ".") for name in imported)


@pytest.mark.parametrize(
    "source",
    [
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .server import Emulator\n",
        "def f():\n    from . import server\n",
        "from ilert_emulator import server\n",
        "import ilert_emulator.server as s\n",
    ],
)
def test_the_check_sees_every_way_of_importing_server(source):
    assert names(imports(source, "ilert_emulator"), "ilert_emulator.server")


def test_the_check_is_not_fooled_by_similar_names():
    source = "from .server_handle import x\nfrom . import servers\nimport server\n"
    assert not names(imports(source, "ilert_emulator"), "ilert_emulator.server")


def test_emulator_imports_nothing_from_app():
    for path in MODULES:
        assert not names(module_imports(path), "app"), f"{path}: imports app"


def test_only_server_and_the_entry_points_import_server():
    checked = [p for p in MODULES if p.name not in MAY_IMPORT_SERVER]
    assert {"admin.py", "api.py", "authorize.py", "oauth.py", "testing.py"} <= {
        p.name for p in checked
    }
    offenders = [
        str(p.relative_to(ROOT))
        for p in checked
        if names(module_imports(p), "ilert_emulator.server")
    ]
    assert offenders == [], "import server: hand them a context.RequestContext or Controls"


def test_the_emulator_offers_what_the_controls_need():
    # admin and testing.EmulatorFixture are written against Controls, not the Emulator class.
    assert isinstance(Emulator(), Controls)
