"""Fixtures of the terminal client's tests: a home folder of its own per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.native.cli_run import cli_env


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home)
