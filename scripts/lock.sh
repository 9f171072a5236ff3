#!/usr/bin/env bash
# Refresh requirements/test.lock: the newest releases within pyproject.toml's bounds, exact
# versions with hashes, for every platform and Python from 3.11 on. Then run the tests on them
# (bash scripts/test.sh) and widen or narrow pyproject.toml's bounds to what passed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check uv
"$tools/venv/bin/uv" pip compile pyproject.toml --extra test --universal \
  --python-version 3.11 --generate-hashes --custom-compile-command "bash scripts/lock.sh" \
  --quiet -o requirements/test.lock
echo "requirements/test.lock refreshed: review 'git diff requirements/test.lock', then run the tests"
