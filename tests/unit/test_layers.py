"""The folders of app/ are its layers, and each imports only from the layers below it.

boot <- core <- browser, native <- ui <- main. The core is what the page and the terminal
client share, so it must run in CPython without a browser and do no I/O of its own: every
import in it, also those inside functions, is checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
LAYERS = ("boot", "core", "browser", "native", "ui")
# What each layer may import from the app (its own layer included).
ALLOWED = {
    "boot": {"boot"},
    "core": {"boot", "core"},
    "browser": {"boot", "core", "native", "browser"},  # xhr runs the urllib transport
    "native": {"boot", "core", "native"},
    "ui": {"boot", "core", "browser", "native", "ui"},
}
# The browser, and the standard library's I/O: none of it in the core.
NOT_IN_CORE = {
    "js",
    "pyodide",
    "pyscript",
    "pyodide_http",
    "socket",
    "ssl",
    "http",
    "urllib.request",
    "subprocess",
    "threading",
    "os",
    "io",
    "pathlib",
    "shutil",
}


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import is."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def modules(layer: str) -> list[Path]:
    return sorted((APP / layer).rglob("*.py"))


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "app" and parts[1] in LAYERS else None


def test_every_module_of_the_app_is_in_a_layer() -> None:
    loose = sorted(p.name for p in APP.glob("*.py")) + sorted(
        p.name for p in APP.iterdir() if p.is_dir() and p.name not in (*LAYERS, "__pycache__")
    )
    assert loose == ["__init__.py", "main.py"]


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    wrong = {
        f"{path.relative_to(APP)}: {name}"
        for path in modules(layer)
        for name in imported(path)
        if (other := layer_of(name)) is not None and other not in ALLOWED[layer]
    }
    assert wrong == set()


def test_the_core_touches_neither_the_browser_nor_the_network() -> None:
    wrong = {
        f"{path.relative_to(APP)}: {name}"
        for path in modules("core")
        for name in imported(path)
        if any(name == bad or name.startswith(bad + ".") for bad in NOT_IN_CORE)
    }
    assert wrong == set()


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from pyodide.ffi import to_js\n    import app.ui.app\n")
    assert {"pyodide.ffi", "app.ui.app"} <= imported(module)
    assert layer_of("app.ui.app") == "ui" and layer_of("app.main") is None
