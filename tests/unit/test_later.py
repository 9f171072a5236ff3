"""app/boot/later.py's finder: a package split over two zips imports from both, as the cut
standard library and the app are (the mount itself runs in Chromium: tests/e2e/test_later.py)."""

from __future__ import annotations

import importlib
import sys
import zipfile

import pytest

from app.boot.later import SubmoduleFinder


@pytest.fixture
def split_package(tmp_path):
    first, later = tmp_path / "first.zip", tmp_path / "later.zip"
    with zipfile.ZipFile(first, "w") as z:
        z.writestr("splitpkg/__init__.py", "")
        z.writestr("splitpkg/early.py", "WHERE = 'first'\n")
    with zipfile.ZipFile(later, "w") as z:
        z.writestr("splitpkg/late.py", "WHERE = 'later'\n")
        z.writestr("splitpkg/sub/__init__.py", "")
        z.writestr("splitpkg/sub/deep.py", "WHERE = 'later, deeper'\n")
    sys.path.insert(0, str(first))
    yield str(later)
    sys.path.remove(str(first))
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, SubmoduleFinder)]
    for name in [n for n in sys.modules if n.split(".")[0] == "splitpkg"]:
        del sys.modules[name]
    importlib.invalidate_caches()


def test_without_the_finder_a_submodule_in_the_second_zip_is_not_found(split_package) -> None:
    sys.path.append(split_package)
    try:
        assert importlib.import_module("splitpkg.early").WHERE == "first"
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("splitpkg.late")  # the package's __path__ is the first zip
    finally:
        sys.path.remove(split_package)


def test_the_finder_imports_submodules_from_the_second_zip(split_package) -> None:
    import splitpkg  # imported before the second zip exists, as at start-up

    sys.meta_path.append(SubmoduleFinder(split_package))
    assert importlib.import_module("splitpkg.late").WHERE == "later"
    assert importlib.import_module("splitpkg.sub.deep").WHERE == "later, deeper"
    assert importlib.import_module("splitpkg.early").WHERE == "first"
    assert splitpkg.late.__file__ == f"{split_package}/splitpkg/late.py"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("splitpkg.nowhere")
