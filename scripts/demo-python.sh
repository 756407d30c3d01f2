#!/usr/bin/env bash
# The Python part of the tour: `pip install .` into build/demo-venv (the first run builds the
# extension, a few minutes on 2 cores; later runs reuse build/python-wheel-demo), then the quickstart.
set -euo pipefail
venv="${DEMO_VENV:-build/demo-venv}"
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check scikit-build-core pybind11 numpy gymnasium
printf '\n\033[1m== %s\033[0m\n$ %s\n' "The Python module: pip install . (builds the extension)" "pip install ."
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$venv/bin/python" -m pip install --quiet \
  --disable-pip-version-check --no-build-isolation -C build-dir=build/python-wheel-demo .
printf '\n\033[1m== %s\033[0m\n$ %s\n' "cai from Python: NumPy solvers, Gymnasium env, SAC learn/save/load" \
  "python examples/python/quickstart.py"
"$venv/bin/python" examples/python/quickstart.py
