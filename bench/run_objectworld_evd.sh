#!/usr/bin/env bash
# Objectworld expected value difference of linear MCE IRL for 8 to 128 demonstrations (issue #7):
# the default 32 x 32 objectworld (seed 0), discount 0.9, temperature 0.25 for the expert and the
# learner, demonstrations of 50 steps sampled by `cai demos`, reward learned by `cai irl` with
# L-BFGS (at most 1000 iterations) and L2 0.01, EVD read from its summary. Prints a Markdown table.
#
#   bash bench/run_objectworld_evd.sh CAI_BINARY [SEEDS...]   (default seeds: 1 2 3)
set -euo pipefail
cai=${1:?usage: run_objectworld_evd.sh CAI_BINARY [SEEDS...]}
shift
[[ $# -gt 0 ]] && seeds=("$@") || seeds=(1 2 3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
world=(--builtin objectworld --param seed=0)
echo "| demonstrations | EVD per demo seed (${seeds[*]}) | mean EVD | L-BFGS iterations per seed (negative: not converged) |"
echo "|---|---|---|---|"
for n in 8 16 32 64 128; do
  evds=()
  its=()
  for seed in "${seeds[@]}"; do
    "$cai" demos "${world[@]}" --discount 0.9 --temperature 0.25 --length 50 --count "$n" \
      --seed "$seed" --out "$tmp/d.jsonl" >/dev/null
    summary=$("$cai" irl "${world[@]}" --demos "$tmp/d.jsonl" --discount 0.9 --temperature 0.25 \
      --l2 0.01 --iterations 1000 --out "$tmp/out" --json || true)  # exit 1: not converged (reported)
    evds+=("$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["expected_value_difference"])' "$summary")")
    its+=("$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["iterations"] if d["converged"] else -d["iterations"])' "$summary")")
  done
  mean=$(python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print("%.3f" % (sum(v)/len(v)))' "${evds[@]}")
  echo "| $n | ${evds[*]} | $mean | ${its[*]} |"
done
