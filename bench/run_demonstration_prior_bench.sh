#!/usr/bin/env bash
# Demonstration (behaviour-cloning) and transfer priors against the uniform prior for tabular soft
# Q-learning on an 8 x 8 gridworld (issue #8): samples needed to come within 0.1 of the expert's
# return, 5 seeds. Builds the Release target first (-j2); about 2 seconds to run.
# Usage: bash bench/run_demonstration_prior_bench.sh [BUILD_DIR]   (default build/rel)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$root/build/rel}
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCAI_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build_dir" -j2 --target bench_demonstration_prior >/dev/null
"$build_dir/bench/bench_demonstration_prior"
