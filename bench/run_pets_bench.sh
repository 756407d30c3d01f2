#!/usr/bin/env bash
# PETS benchmark on Pendulum-v1 (issue #6, "Learned models"): swing-up from the hanging state with
# a learned probabilistic ensemble, 10 episodes of 200 steps (1 random + 9 planned, refit after each)
# for seeds 0, 1, 2 with the default options of `cai train pets`. Goal: an episode that ends swung up
# (|theta| < 0.2 rad from some step to the end) by episode 10, random episodes counting as data.
# Prints per episode the return, the swing-up outcome, the time per control step and per fit, then
# the time of one Mppi::Plan call through the final ensemble and its allocations.
# Usage: bash bench/run_pets_bench.sh [BUILD_DIR] [extra bench_pets flags]. Builds a Release binary first (-j2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/rel}"
shift || true
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCAI_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target bench_pets >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
"$BUILD/bench/bench_pets" --seeds 0,1,2 --episodes 10 "$@"
