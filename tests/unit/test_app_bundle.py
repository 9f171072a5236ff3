"""static/app.zip and static/app_later.zip, the app's modules in two requests, are built from
app/ and up to date: the first holds what app/main.py imports at once, the second the rest."""

from __future__ import annotations

import ast
import io
import tokenize
import zipfile

import pytest

from scripts import build_app_bundle
from scripts.stdlib_cut import without_docstrings
from tests.serving import ROOT


def names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


@pytest.mark.parametrize("part", ["boot", "later"])
def test_committed_bundles_are_up_to_date(part: str) -> None:
    committed = build_app_bundle.BUNDLES[part].read_bytes()
    assert committed == build_app_bundle.build(part=part), (
        "a static/app*.zip is stale: run python3 scripts/build_app_bundle.py"
    )


def test_bundles_hold_every_module_but_the_entry_point_once() -> None:
    first, later = names(build_app_bundle.build()), names(build_app_bundle.build(part="later"))
    app = ROOT / "app"
    expected = sorted(
        f"app/{p.relative_to(app).as_posix()}"
        for p in app.rglob("*.py")
        if p != app / "main.py" and "__pycache__" not in p.parts
    )
    assert sorted(first + later) == expected
    # What app/main.py imports before "Sign in" is usable, and nothing else.
    assert first == [
        "app/__init__.py",
        "app/boot/__init__.py",
        "app/boot/address.py",
        "app/boot/keys.py",
        "app/boot/later.py",
    ]
    assert "app/ui/alerts.py" in later and "app/ui/__init__.py" in later  # sub-packages too


def test_the_first_bundle_follows_the_entry_points_module_level_imports(tmp_path) -> None:
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "main.py").write_text(
        "import json\nfrom app import a\n\nasync def build():\n    from app import c\n"
    )
    (tmp_path / "a.py").write_text("from app.sub import b\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "__init__.py").write_text("")
    (tmp_path / "sub" / "b.py").write_text("def f():\n    import app.d\n")
    for name in ("c.py", "d.py"):
        (tmp_path / name).write_text("")
    assert names(build_app_bundle.build(tmp_path)) == [
        "app/__init__.py",
        "app/a.py",
        "app/sub/__init__.py",
        "app/sub/b.py",
    ]
    assert names(build_app_bundle.build(tmp_path, "later")) == ["app/c.py", "app/d.py"]


def test_bundles_are_deterministic(tmp_path) -> None:
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "main.py").write_text("print()\n")
    first = build_app_bundle.build(tmp_path, "later")
    (tmp_path / "a.py").touch()  # a new mtime must not change the bytes
    assert build_app_bundle.build(tmp_path, "later") == first
    assert names(first) == ["app/a.py"]
    assert names(build_app_bundle.build(tmp_path)) == []


def shape(tree: ast.Module) -> str:
    """The tree with where each node starts (line and column): a removed docstring may leave a
    ``pass`` behind, shorter than it was, so where nodes end is not compared."""
    tree.body = [node for node in tree.body if not isinstance(node, ast.Pass)]
    for node in ast.walk(tree):
        if hasattr(node, "end_lineno"):
            node.end_lineno = node.end_col_offset = None
    return ast.dump(tree, include_attributes=True)


def app_sources() -> list:
    return build_app_bundle.sources()


@pytest.mark.parametrize("path", app_sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_shipped_code_is_the_code_without_docstrings_or_comments(path) -> None:
    """Docstrings and comments go; every statement, assert and line number stays."""
    source = path.read_text(encoding="utf-8")
    shipped = build_app_bundle.shipped(source)
    assert shape(ast.parse(shipped)) == shape(without_docstrings(ast.parse(source)))
    assert shipped.count("\n") == source.count("\n")
    assert "#" not in "".join(
        t.string
        for t in tokenize.generate_tokens(io.StringIO(shipped).readline)
        if t.type == tokenize.COMMENT
    )


def test_what_shipping_removes_and_keeps() -> None:
    source = (
        '"""Module doc."""\n'
        "from __future__ import annotations\n"
        "\n"
        "class Failed(Exception):\n"
        '    """Only a docstring:\n    a body must stay."""\n'
        "\n"
        "def f(x):  # remark one\n"
        '    """Doc."""\n'
        '    s = "# not a comment"  # remark two\n'
        "    assert x, 'kept'\n"
        '    return """\n    text, # not a comment either\n    """\n'
        'def g(): """shares its line: kept"""\n'
    )
    shipped = build_app_bundle.shipped(source)
    assert "Module doc" not in shipped and "Doc." not in shipped and "remark" not in shipped
    assert "a body must stay" not in shipped
    assert "    pass\n" in shipped and "assert x, 'kept'" in shipped
    assert '"# not a comment"' in shipped and "text, # not a comment either" in shipped
    assert 'def g(): """shares its line: kept"""' in shipped
    scope: dict = {}
    exec(compile(shipped, "m.py", "exec"), scope)
    assert (
        scope["Failed"].__doc__ is None and scope["f"](1).strip() == "text, # not a comment either"
    )
    with pytest.raises(AssertionError) as raised:
        scope["f"](0)
    assert raised.traceback[-1].lineno + 1 == 11  # the assert's line in the source (1-based)
