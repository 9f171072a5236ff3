#!/usr/bin/env bash
# The project's one test command: install what the tests need, lint, run every test.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# The test environment is requirements/test.lock (exact versions, checked by hash), whichever
# Python runs this: a venv, a fresh venv or the system's. The project itself goes on top,
# editable and without dependencies (they are all in the lock).
echo "== installing Python packages (requirements/test.lock)"
PIP=("$PYTHON" -m pip --disable-pip-version-check --quiet)
"${PIP[@]}" install --require-hashes --only-binary :all: -r requirements/test.lock
"${PIP[@]}" install --no-deps -e .

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== ruff"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .

echo "== vendored runtime against its manifest"
"$PYTHON" scripts/vendor_runtime.py --check

echo "== pytest"
"$PYTHON" -m pytest "$@"
