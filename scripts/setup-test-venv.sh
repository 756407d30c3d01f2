#!/usr/bin/env bash
# Creates (once) a Python virtual environment with the test suite's PyPI packages.
# Usage: setup-test-venv.sh VENV_DIR REQUIREMENTS_FILE. Idempotent: a stamp file records the
# requirements it was built from, so later runs cost one comparison.
set -euo pipefail
venv="$1"
req="$2"
stamp="$venv/.cai-requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
  exit 0
fi
python="${PYTHON:-python3}"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
