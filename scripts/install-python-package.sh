#!/usr/bin/env bash
# Builds and installs the Python package `cai` (pip install . of the repository root) into a
# virtual environment, for the Python tests. Usage: install-python-package.sh VENV SOURCE_DIR BUILD_DIR.
# The build directory persists, so a second run rebuilds only what changed. The venv must already
# hold the build requirements (tests/requirements.txt: scikit-build-core, pybind11).
set -euo pipefail
venv="$1"
src="$2"
build="$3"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps \
  -C build-dir="$build" -C cmake.define.CAI_WERROR=ON "$src"
"$venv/bin/python" -c "import cai; print('cai', cai.__version__, 'from', cai.__file__)"
