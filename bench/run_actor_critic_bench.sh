#!/usr/bin/env bash
# MaxEnt actor-critic (maxent-pg) benchmark.
#   CartPole-v1: 200,000 environment steps, seeds 0-4, deterministic evaluation (10 episodes) every
#   10,000 steps; goal: mean evaluation return >= 475 within 200,000 steps in at least 4 of 5 seeds.
#   Pendulum-v1 (Gaussian policy): 1,000,000 steps, seeds 0-2, discount 0.9 / n_steps 8 /
#   gae_lambda 0.9 (as RL Zoo's A2C Pendulum settings, without its observation normalisation and
#   gSDE); no goal, reported as it is (set AC_BENCH_SKIP_PENDULUM=1 to skip).
# Usage: bash bench/run_actor_critic_bench.sh [BUILD_DIR]. Builds a native Release binary first
# (-j2). The default options of ActorCriticOptions are the tuned CartPole ones; AC_OPTIONS (JSON)
# overrides them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/bench-native}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCAI_NATIVE=ON -DCAI_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target bench_actor_critic >/dev/null
BIN="$BUILD/bench/bench_actor_critic"
CARTPOLE_OPTIONS='{}'
PENDULUM_OPTIONS='{"n_steps": 8, "discount": 0.9, "gae_lambda": 0.9}'
CARTPOLE_OPTIONS="${AC_OPTIONS:-$CARTPOLE_OPTIONS}"
PENDULUM_OPTIONS="${AC_PENDULUM_OPTIONS:-$PENDULUM_OPTIONS}"

# One process per seed. Before nn::Mlp aligned its buffers, a seed's result in a -march=native build
# could depend on what ran before it in the same process (see bench/actor_critic_results.md); with
# the fix it no longer does, and separate processes keep it that way by construction.
run_seeds() {  # env steps eval_every threshold options seeds...
  local env=$1 steps=$2 every=$3 thr=$4 opts=$5
  shift 5
  local reached=0 row
  "$BIN" --env "$env" --steps "$steps" --eval-every "$every" --eval-episodes 10 --threshold "$thr" \
    --options "$opts" --header-only
  for seed in "$@"; do
    row=$("$BIN" --env "$env" --steps "$steps" --seeds "$seed" --eval-every "$every" --eval-episodes 10 \
      --threshold "$thr" --options "$opts" --curve --rows-only)
    echo "$row"
    if [ "$(echo "$row" | awk 'NR==1 {print $2}')" != never ]; then reached=$((reached + 1)); fi
  done
  echo "seeds reaching $thr within $steps steps: $reached of $#"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
echo
echo "== CartPole-v1 (categorical policy)"
run_seeds CartPole-v1 200000 10000 475 "$CARTPOLE_OPTIONS" 0 1 2 3 4
if [ "${AC_BENCH_SKIP_PENDULUM:-0}" != 1 ]; then
  echo
  echo "== Pendulum-v1 (Gaussian policy), no goal"
  run_seeds Pendulum-v1 "${AC_PENDULUM_STEPS:-1000000}" 100000 -200 "$PENDULUM_OPTIONS" 0 1 2
fi
