#!/usr/bin/env bash
# The tour: every capability of cai built so far, on built-in problems, in a couple of minutes.
set -euo pipefail
CAI="${1:-build/release/apps/cai/cai}"
OUT="${DEMO_OUT:-build/demo}"
mkdir -p "$OUT"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "The lesson's worked examples, each number two ways (closed form vs solver)" \
  "$CAI" examples

step "Soft value iteration on the two-action example: V = log(e + 1), pi = (0.7311, 0.2689)" \
  "$CAI" solve --builtin two_action --temperature 1 --horizon 1

step "Temperature is the knob: the three-action example near the hard limit (alpha = 0.01)" \
  "$CAI" solve --builtin three_action --temperature 0.01 --horizon 1

step "... and near the uniform limit (alpha = 100)" \
  "$CAI" solve --builtin three_action --temperature 100 --horizon 1

step "Exact vs variational backup on a stochastic gamble: the variational backup plays safe" \
  "$CAI" solve --builtin gamble --temperature 1 --discount 1 --backup variational

step "... the exact (optimistic) backup takes the gamble it should not" \
  "$CAI" solve --builtin gamble --temperature 1 --discount 1 --backup exact

step "A slippery gridworld with a trap, discounted, uniform prior; picture in $OUT/gridworld.svg" \
  "$CAI" solve --builtin gridworld --param width=6 --param height=5 --param slip=0.2 \
  --param "trap=2,1;2,2;2,3" --temperature 0.05 --discount 0.95 --prior uniform --rows 8 \
  --svg "$OUT/gridworld.svg"

step "The same gridworld much hotter (alpha = 1): the policy spreads out; $OUT/gridworld_hot.svg" \
  "$CAI" solve --builtin gridworld --param width=6 --param height=5 --param slip=0.2 \
  --param "trap=2,1;2,2;2,3" --temperature 1 --discount 0.95 --prior uniform --rows 0 \
  --svg "$OUT/gridworld_hot.svg"

step "Large problems: a 1000 x 1000 gridworld (10^6 states; the benchmark's problem), two threads, a few ms per sweep" \
  "$CAI" solve --builtin gridworld --param width=1000 --param height=1000 --param slip=0.1 \
  --temperature 1 --discount 0.95 --tolerance 1e-6 --threads 2 --rows 3

step "Finite horizon: time-indexed Q_t, V_t, pi_t by the backward recursion (add --json for JSON)" \
  "$CAI" solve --builtin chain --param length=3 --temperature 0.5 --horizon 3

step "Write a built-in as a cai.mdp/1 file, then solve the file" \
  "$CAI" mdp --builtin random --param states=6 --param actions=3 --param seed=4 --out "$OUT/random.json"
step "Solve the file" "$CAI" solve --mdp "$OUT/random.json" --temperature 0.5 --discount 0.9

step "Variational inference: the ELBO of the lesson's example, closed form beside three Monte Carlo estimators" \
  "$CAI" elbo --x 1 --q-mean 0.3 --q-var 1

step "Fitting q by Adam on the ELBO (reparameterisation gradient): q approaches the posterior N(0.5, 0.5)" \
  "$CAI" elbo --x 1 --q-mean 0.3 --q-var 1 --fit --samples 100

step "A non-conjugate model (a coin, logistic link): exact values by quadrature, the best Gaussian still has a gap" \
  "$CAI" elbo --heads 7 --flips 10 --prior-var 4 --fit --steps 1000 --samples 100

rm -rf "$OUT/sac_pendulum"  # a run directory is never overwritten: start afresh
step "Soft Actor-Critic on Pendulum-v1 (2x64, batch 100, 8000 steps): the soft Bellman backup learned from samples" \
  "$CAI" train sac --env Pendulum-v1 --steps 8000 --hidden 64,64 --batch 100 --seed 0 --eval-every 2000 \
  --checkpoint-every 4000 --out "$OUT/sac_pendulum"

step "Evaluate the saved policy (deterministic actions); TensorBoard: tensorboard --logdir $OUT" \
  "$CAI" eval "$OUT/sac_pendulum" --episodes 5

rm -rf "$OUT/softq_cartpole" "$OUT/ac_cartpole"
step "Soft Q-learning with a Q network (soft DQN) on CartPole-v1: Boltzmann policy, soft target (20,000 steps, 64x64)" \
  "$CAI" train soft-q --env CartPole-v1 --steps 20000 --hidden 64,64 --seed 0 --eval-every 5000 --out "$OUT/softq_cartpole"

step "MaxEnt actor-critic on CartPole-v1: A2C with the entropy bonus on 8 vectorised copies (200,000 steps, about a second)" \
  "$CAI" train maxent-pg --env CartPole-v1 --steps 200000 --alpha 0.01 --seed 0 --eval-every 50000 --out "$OUT/ac_cartpole"

step "Exact soft value iteration beside the four approximate solvers on one gridworld (errors, objective, time)" \
  "$CAI" compare --builtin gridworld --param trap=2,2 --temperature 0.5 --discount 0.9

step "MPPI: swing Pendulum-v1 up from the hanging state by Monte Carlo inference over action sequences (K 1000, T 30)" \
  "$CAI" plan mppi --env Pendulum-v1 --samples 1000 --horizon 30 --steps 200 --seed 0 --svg "$OUT/mppi_pendulum.svg"
step "... with a terminal value from exact value iteration on a 51 x 51 grid: the return rises above -350" \
  "$CAI" plan mppi --env Pendulum-v1 --value-grid 51 --temperature 0.1 --noise 1 --iterations 2 --seed 0
step "MPPI: MountainCarContinuous-v0 up the hill, with a terminal energy reward as the cost-to-go beyond the horizon" \
  "$CAI" plan mppi --env MountainCarContinuous-v0 --samples 1000 --horizon 30 --energy-weight 50 --seed 0
step "MPPI: swing the continuous-force cart-pole up and balance it (CartPoleSwingUp-v0, T 50)" \
  "$CAI" plan mppi --env CartPoleSwingUp-v0 --samples 1000 --horizon 50 --seed 0 --svg "$OUT/mppi_cartpole.svg"

rm -rf "$OUT/pets_pendulum"
step "PETS: learn Pendulum-v1's dynamics (probabilistic ensemble) and plan through it with MPPI (3 short episodes: too little data to swing up; 10 full episodes do, bench/pets_results.md)" \
  "$CAI" train pets --env Pendulum-v1 --episodes 3 --episode-length 100 --samples 200 --horizon 20 --members 3 \
  --gradient-steps 300 --seed 0 --no-progress --out "$OUT/pets_pendulum"

step "Inverse RL (1/2): 32 demonstrations from a soft-optimal expert on a 16 x 16 objectworld" \
  "$CAI" demos --builtin objectworld --param size=16 --param objects=16 --discount 0.9 \
  --temperature 0.25 --length 50 --count 32 --seed 1 --out "$OUT/irl_demos.jsonl"

rm -rf "$OUT/irl"  # an IRL fit is a run directory now (config, metrics, checkpoints, --resume)
step "Inverse RL (2/2): the reward learned back by maximum causal entropy IRL (L-BFGS), with its EVD" \
  "$CAI" irl --builtin objectworld --param size=16 --param objects=16 --demos "$OUT/irl_demos.jsonl" \
  --discount 0.9 --temperature 0.25 --l2 0.01 --out "$OUT/irl"

step "Alignment: DPO on a token world reaches the RLHF optimum pi* = pi_ref exp(R / beta) / Z" \
  "$CAI" align --method dpo --beta 0.5 --steps 300

expect_error() { "$@" || echo "(exit code $?)"; }
step "Bad input is one clear line and exit code 2 (expected to fail here)" \
  expect_error "$CAI" solve --builtin gridworld --param slip=1.5 --temperature 1 --discount 0.9

step "Trajectories sampled from the soft-optimal policy (JSON Lines, seeded)" \
  "$CAI" sample --builtin gridworld --temperature 0.05 --discount 0.95 --prior uniform \
  --episodes 3 --max-steps 40 --seed 7

printf '\nDone. Pictures: %s/gridworld.svg, %s/gridworld_hot.svg, %s/irl/rewards.svg\n' "$OUT" "$OUT" "$OUT"
