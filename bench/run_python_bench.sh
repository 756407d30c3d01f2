#!/usr/bin/env bash
# The Python module's overhead (issue #9): SAC on Pendulum-v1 from the CLI, from Python on cai's C++
# Pendulum, from Python on Gymnasium's Pendulum, and Stable-Baselines3 on Gymnasium's Pendulum, in
# one run (bench/python_overhead.py; the table and ratios go to stdout).
#
# Usage: bash bench/run_python_bench.sh [python_overhead.py options, e.g. --cai-steps 20000 --sb3-steps 5000]
#
# Makes, when missing:
#   build/python-bench-venv  `pip install .` of this checkout (the path users take; the CMake build
#                            tree is kept in build/pip-bench, so a rerun only rebuilds what changed)
#                            and gymnasium; its `cai` command is the CLI that is timed
#   build/sb3-venv           stable-baselines3 (with PyTorch and gymnasium) from PyPI
# Environment: SB3_PYTHON=/path/to/python uses an existing Python with stable-baselines3 instead;
# BENCH_PYTHON_VENV / SB3_VENV change the two directories; CMAKE_BUILD_PARALLEL_LEVEL (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BENCH_PYTHON_VENV:-build/python-bench-venv}"
SB3_VENV="${SB3_VENV:-build/sb3-venv}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q scikit-build-core pybind11 numpy gymnasium
fi
# Always reinstall: the benchmark is of this checkout. Incremental thanks to the kept build tree.
"$VENV/bin/pip" install -q --no-build-isolation --force-reinstall --no-deps . \
  --config-settings=build-dir=build/pip-bench

if [ -z "${SB3_PYTHON:-}" ]; then
  if [ ! -x "$SB3_VENV/bin/python" ]; then
    python3 -m venv "$SB3_VENV"
    "$SB3_VENV/bin/pip" install -q --upgrade pip
    "$SB3_VENV/bin/pip" install -q stable-baselines3 gymnasium
  fi
  SB3_PYTHON="$SB3_VENV/bin/python"
fi

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; $(lscpu | sed -n 's/^Model name: *//p')"
echo "uptime before: $(uptime)"
"$VENV/bin/python" bench/python_overhead.py --cli "$VENV/bin/cai" --sb3-python "$SB3_PYTHON" "$@"
echo "uptime after: $(uptime)"
