#!/usr/bin/env bash
# Soft DQN benchmark (issue #5): CartPole-v1 (goal: mean evaluation return >= 475 within 50,000
# steps in at least 4 of 5 seeds) and Acrobot-v1 (goal: >= -100 within 100,000 steps), seeds 0-4,
# default options of `cai train soft-q` (Acrobot: --alpha 0.001) unless SOFT_Q_FLAGS adds some. Evaluation: 10 deterministic
# episodes every 5,000 steps and at the end. Prints per seed the first evaluation step that met the
# goal, the best and final evaluations, wall time and steps per second.
#
#   bash bench/run_soft_q_bench.sh                 # both environments (about 2 x 5 runs)
#   SOFT_Q_ENVS=CartPole-v1 bash bench/run_soft_q_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/bench-native}
if [[ ! -x $BUILD/apps/cai/cai ]]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCAI_NATIVE=ON -DCAI_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target cai_cli >/dev/null
fi
CAI=$BUILD/apps/cai/cai
ENVS=${SOFT_Q_ENVS:-"CartPole-v1 Acrobot-v1"}
SEEDS=${SOFT_Q_SEEDS:-"0 1 2 3 4"}
OUT=$(mktemp -d /tmp/cai-soft-q-bench.XXXXXX)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; build $BUILD; flags: ${SOFT_Q_FLAGS:-(defaults)}"
for env in $ENVS; do
  case $env in
    CartPole-v1) steps=50000; goal=475; env_flags="" ;;
    Acrobot-v1) steps=100000; goal=-100; env_flags="--alpha 0.001" ;;
    *) echo "unknown environment $env" >&2; exit 2 ;;
  esac
  echo "== $env: $steps steps, goal mean eval return >= $goal ${env_flags:+(flags: $env_flags)}"
  met=0
  for seed in $SEEDS; do
    dir=$OUT/$env-$seed
    # shellcheck disable=SC2086
    json=$("$CAI" train soft-q --env "$env" --steps "$steps" --seed "$seed" --eval-every 5000 --eval-episodes 10 \
      --checkpoint-every 0 --no-progress --json --out "$dir" $env_flags ${SOFT_Q_FLAGS:-})
    line=$(/usr/bin/env python3 - "$dir/metrics.csv" "$goal" "$json" <<'PY'
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["tag"] == "eval/mean_return"]
goal = float(sys.argv[2]); res = json.loads(sys.argv[3])
evals = [(int(r["step"]), float(r["value"])) for r in rows]
first = next((s for s, v in evals if v >= goal), None)
best = max(v for _, v in evals)
print(f"{'met' if first is not None else 'MISSED'} first={first if first is not None else '-'} best={best:.1f} "
      f"final={evals[-1][1]:.1f} wall={res['wall_seconds']:.1f}s sps={res['steps_per_second']:.0f}")
PY
)
    [[ $line == met* ]] && met=$((met + 1))
    echo "seed $seed: $line"
  done
  echo "$env: goal met in $met of $(wc -w <<<"$SEEDS") seeds"
done
rm -rf "$OUT"
