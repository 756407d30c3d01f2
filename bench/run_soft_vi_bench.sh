#!/usr/bin/env bash
# Soft value iteration benchmark (issue #2, section 6): builds bench_soft_vi if needed, runs it
# (triad bandwidth, then seconds per sweep with 1 and 2 threads) and the NumPy/SciPy peer on the
# same 1000 x 1000 gridworld in the same run, and prints the comparison. See bench/README.md.
#
#   bash bench/run_soft_vi_bench.sh [--width=W] [--height=H] [--slip=P] [--repetitions=N]
#                                   [--simd=auto|portable|avx2|avx512]
#
# Environment: BUILD_DIR (default build/rel), PYTHON (default /usr/bin/python3, Debian's, which has
# python3-numpy and python3-scipy), KEEP_TMP=1 to keep the exported problem and JSON.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build/rel}
python=${PYTHON:-/usr/bin/python3}
problem_args=()
repetitions=5
for arg in "$@"; do
  case $arg in
    --width=* | --height=* | --slip=* | --simd=*) problem_args+=("$arg") ;;
    --repetitions=*) repetitions=${arg#--repetitions=} ;;
    -h | --help)
      sed -n '2,10p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *)
      echo "run_soft_vi_bench.sh: unknown argument $arg" >&2
      exit 2
      ;;
  esac
done

if ! "$python" -c 'import numpy, scipy' 2>/dev/null; then
  echo "run_soft_vi_bench.sh: $python has no numpy/scipy (apt install python3-numpy python3-scipy," \
    "or set PYTHON)" >&2
  exit 2
fi

# Build (Release) if needed; cmake --build is a no-op when everything is up to date.
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build_dir" --target bench_soft_vi -j2 >/dev/null
bench=$build_dir/bench/bench_soft_vi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
cai_build="${build_type:-?} build, $("${compiler:-c++}" --version | head -n1)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/soft_vi_bench.XXXXXX")
if [[ ${KEEP_TMP:-0} != 1 ]]; then
  trap 'rm -rf "$tmp"' EXIT
fi

echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname): $(lscpu | sed -n 's/^Model name: *//p')," \
  "$(nproc) CPUs; cai: $cai_build"
echo "== bench_soft_vi (C++, Google Benchmark; median of $repetitions repetitions)"
"$bench" "${problem_args[@]}" --export_dir="$tmp/problem" \
  --benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true \
  --benchmark_out="$tmp/cpp.json" --benchmark_out_format=json
echo
echo "== peer_numpy_soft_vi.py (NumPy/SciPy, same problem)"
"$python" "$root/bench/peer_numpy_soft_vi.py" "$tmp/problem" --cpp-json="$tmp/cpp.json" \
  --cai-build="$cai_build"
if [[ ${KEEP_TMP:-0} == 1 ]]; then
  echo "(kept $tmp)"
fi
