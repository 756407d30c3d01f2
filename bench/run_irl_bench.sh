#!/usr/bin/env bash
# MaxEnt / MCE IRL benchmark (issue #7): one gradient evaluation (backward pass, forward pass,
# feature expectations) on a 32 x 32 objectworld (1024 states, 5 actions, 132 features) with
# horizon 100, ours against the `imitation` library's dense NumPy code (mce_partition_fh +
# mce_occupancy_measures) in the same run; then ours at 1000 x 1000 = 10^6 states (4 distance
# features), with the peak memory from /usr/bin/time -v. See bench/README.md.
#
#   bash bench/run_irl_bench.sh [--repeats=N] [--skip-large]
#
# Environment: BUILD_DIR (default build/rel-irl; Release, tests off), PEER_PYTHON (a python with
# `imitation` installed; default build/imitation-venv/bin/python, created here with
# `pip install imitation` on first use: it pulls PyTorch, a few minutes and ~1 GB).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build/rel-irl}
peer_python=${PEER_PYTHON:-$root/build/imitation-venv/bin/python}
repeats=21
large=1
for arg in "$@"; do
  case $arg in
    --repeats=*) repeats=${arg#--repeats=} ;;
    --skip-large) large=0 ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run_irl_bench.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCAI_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build_dir" -j2 --target bench_irl >/dev/null
bench=$build_dir/bench/bench_irl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -z ${PEER_PYTHON:-} ]] && ! "$peer_python" -c 'import imitation' 2>/dev/null; then
  echo "creating $root/build/imitation-venv with pip install imitation (the peer; first run only)" >&2
  /usr/bin/python3 -m venv "$root/build/imitation-venv"
  "$root/build/imitation-venv/bin/pip" install -q imitation >&2
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
ours=$("$bench" --size 32 --horizon 100 --repeats "$repeats" --dump "$tmp")
echo "cai      1024 states: $ours"
if "$peer_python" -c 'import imitation' 2>/dev/null; then
  peer=$("$peer_python" "$root/bench/peer_imitation_mce.py" "$tmp" "$(( repeats < 7 ? repeats : 7 ))")
  echo "imitation 1024 states: $peer"
  "$peer_python" - "$ours" "$peer" <<'PY'
import json, sys
ours, peer = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"speed-up (median / median): {peer['median_seconds'] / ours['median_seconds']:.1f}x "
      f"(ours {ours['median_seconds'] * 1e3:.2f} ms, imitation {peer['median_seconds'] * 1e3:.1f} ms; "
      f"expected features agree to {peer['max_abs_feature_difference_vs_cai']:.2e})")
PY
else
  echo "imitation: not importable with $peer_python (see the header of this script)"
fi
if [[ $large == 1 ]]; then
  /usr/bin/time -v "$bench" --size 1000 --horizon 100 --repeats 3 --discrete 0 \
    >"$tmp/large.json" 2>"$tmp/large.time"
  echo "cai      10^6 states: $(cat "$tmp/large.json")"
  grep -E "Maximum resident set size|Elapsed" "$tmp/large.time" | sed 's/^\s*/  /'
fi
