#!/usr/bin/env bash
# Closed-loop MPPI returns with the true models (K = 1000, T = 30 unless stated), over seeds:
# Pendulum-v1 from the hanging state across iterations / temperature / noise (issue #6's -350
# bound), MountainCarContinuous-v0 with the energy terminal reward, CartPoleSwingUp-v0 at T = 50.
# Uses the Release CLI in $BUILD (default build/rel, built by run_mppi_bench.sh). About 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
if [[ ! -x $BUILD/apps/cai/cai ]]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCAI_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS="-march=native" >/dev/null
  cmake --build "$BUILD" -j2 --target cai_cli >/dev/null
fi
CAI=$BUILD/apps/cai/cai
PY=$(command -v /usr/bin/python3 || command -v python3)
field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); v=d['$1']; print('never' if v is None else (round(v,1) if isinstance(v,float) else v))"; }

echo "Pendulum-v1 from hanging, K=1000 T=30, 200 steps, seeds 0-9"
printf "%4s %6s %5s %8s %8s %8s %8s\n" iters temp noise mean min max ">=-350"
for it in 1 3 5; do
  for t in 0.05 0.1 0.2 1; do
    for n in 0.5 0.7 1 1.5; do
      vals=()
      for seed in 0 1 2 3 4 5 6 7 8 9; do
        vals+=("$("$CAI" plan mppi --iterations "$it" --temperature "$t" --noise "$n" --seed "$seed" --json | field return)")
      done
      "$PY" -c "import sys; v=[float(x) for x in sys.argv[4:]]; print('%4s %6s %5s %8.1f %8.1f %8.1f %5d/10' % (sys.argv[1], sys.argv[2], sys.argv[3], sum(v)/len(v), min(v), max(v), sum(x >= -350 for x in v)))" "$it" "$t" "$n" "${vals[@]}"
    done
  done
done
echo
echo "Pendulum-v1 from hanging with a terminal value by exact value iteration on an N x N grid (--value-grid N,"
echo "--value-discount G), K=1000 T=30, 1 iteration, noise 1, 200 steps, seeds 0-9"
printf "%5s %6s %6s %8s %8s %8s %8s\n" grid disc temp mean min max ">=-350"
for g in 51 71 101; do
  for d in 0.97 0.98 0.99; do
    for t in 0.1 0.3; do
      vals=()
      for seed in 0 1 2 3 4 5 6 7 8 9; do
        vals+=("$("$CAI" plan mppi --value-grid "$g" --value-discount "$d" --temperature "$t" --noise 1 --seed "$seed" --json | field return)")
      done
      "$PY" -c "import sys; v=[float(x) for x in sys.argv[4:]]; print('%5s %6s %6s %8.1f %8.1f %8.1f %5d/10' % (sys.argv[1], sys.argv[2], sys.argv[3], sum(v)/len(v), min(v), max(v), sum(x >= -350 for x in v)))" "$g" "$d" "$t" "${vals[@]}"
    done
  done
done
echo
echo "... the chosen table (--value-grid 51 --value-discount 0.99, temperature 0.1, noise 1) by iterations per step:"
echo "return and the step from which |theta| < 0.2 holds, seeds 0-9"
for it in 1 2 3; do
  rets=(); ups=()
  for seed in 0 1 2 3 4 5 6 7 8 9; do
    out=$("$CAI" plan mppi --value-grid 51 --value-discount 0.99 --temperature 0.1 --noise 1 --iterations "$it" --seed "$seed" --json)
    rets+=("$(echo "$out" | field return)"); ups+=("$(echo "$out" | field steps_to_upright)")
  done
  "$PY" -c "import sys; n=int(sys.argv[2]); v=[float(x) for x in sys.argv[3:3+n]]; u=sys.argv[3+n:]; print('  %s iteration(s): mean %.1f min %.1f max %.1f, >= -350 on %d/10; upright from steps %s' % (sys.argv[1], sum(v)/n, min(v), max(v), sum(x >= -350 for x in v), ' '.join(u)))" "$it" 10 "${rets[@]}" "${ups[@]}"
done
echo
echo "Pendulum-v1 reference: T=60 K=4000, 5 iterations, temperature 0.1, noise 0.5, seed 0 (2 threads)"
"$CAI" plan mppi --horizon 60 --samples 4000 --iterations 5 --temperature 0.1 --noise 0.5 --threads 2 --json | field return
echo
echo "MountainCarContinuous-v0, K=1000 T=30, energy weight 50, seeds 0-4: steps to goal / return"
for seed in 0 1 2 3 4; do
  out=$("$CAI" plan mppi --env MountainCarContinuous-v0 --energy-weight 50 --seed "$seed" --json)
  echo "  seed $seed: $(echo "$out" | field steps_to_goal) / $(echo "$out" | field return)"
done
echo "  without the energy reward (seed 0): steps to goal $("$CAI" plan mppi --env MountainCarContinuous-v0 --json | field steps_to_goal)"
echo
echo "CartPoleSwingUp-v0, K=1000 T=50, 500 steps, seeds 0-4: steps to upright / return"
for seed in 0 1 2 3 4; do
  out=$("$CAI" plan mppi --env CartPoleSwingUp-v0 --horizon 50 --seed "$seed" --json)
  echo "  seed $seed: $(echo "$out" | field steps_to_upright) / $(echo "$out" | field return)"
done
