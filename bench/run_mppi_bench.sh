#!/usr/bin/env bash
# MPPI benchmark on Pendulum-v1: median time per Mppi::Plan call (T = 30, fresh noise every call)
# at K = 1000 and 4000 with 1 and 2 threads, and swing-up quality from the hanging state for seeds
# 0-4 (K = 1000, T = 30, 200 steps). Target of the issue: <= 0.2 ms per call at K = 1000, T = 30,
# one thread.
# Usage: bash bench/run_mppi_bench.sh [BUILD_DIR]. Builds a native Release binary first (-j2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/rel}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCAI_NATIVE=ON -DCAI_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target bench_mppi >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
"$BUILD/bench/bench_mppi" --horizon 30 --calls 2000 --configs 1000x1,4000x1,1000x2,4000x2 --seeds 0,1,2,3,4
