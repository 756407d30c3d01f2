#include "cai/rl/solver_comparison.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/env/mdp_environment.h"
#include "cai/inference/soft_backup.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/rl/actor_critic.h"
#include "cai/rl/maxent_policy_gradient.h"
#include "cai/rl/soft_dqn.h"
#include "cai/rl/tabular_soft_q.h"

namespace cai::rl {
namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// pi = softmax(q / T) per state, V = T log sum exp(q / T): inference's per-state soft backup.
void SoftFromQ(std::span<const double> q, int num_actions, double temperature, std::vector<double>& values,
               std::vector<double>& policy) {
  const auto na = static_cast<std::size_t>(num_actions);
  const std::size_t states = q.size() / na;
  values.assign(states, 0.0);
  policy.assign(q.size(), 0.0);
  for (std::size_t s = 0; s < states; ++s) {
    values[s] = SoftStateBackup(q.subspan(s * na, na), temperature, StateLogPrior::None(),
                                std::span<double>(policy).subspan(s * na, na));
  }
}

std::vector<float> OneHot(int n, int s) {
  std::vector<float> x(n, 0.0f);
  x[s] = 1.0f;
  return x;
}

}  // namespace

void ValidateSolverComparisonOptions(const SolverComparisonOptions& o) {
  if (!(std::isfinite(o.temperature) && o.temperature > 0)) {
    throw Error(fmt::format("temperature: {} is invalid (expected a finite number > 0)", o.temperature));
  }
  if (!(o.discount > 0 && o.discount < 1)) {
    throw Error(fmt::format("discount: {} is invalid (expected a number in (0, 1))", o.discount));
  }
  const std::pair<const char*, std::int64_t> budgets[] = {
      {"soft_q_steps", o.soft_q_steps},
      {"policy_gradient_iterations", o.policy_gradient_iterations},
      {"policy_gradient_episodes", o.policy_gradient_episodes},
      {"soft_dqn_steps", o.soft_dqn_steps},
      {"actor_critic_steps", o.actor_critic_steps},
      {"max_episode_steps", o.max_episode_steps}};
  for (const auto& [name, v] : budgets) {
    if (v < 1) throw Error(fmt::format("{}: {} is invalid (expected an integer >= 1)", name, v));
  }
  if (!(std::isfinite(o.policy_gradient_learning_rate) && o.policy_gradient_learning_rate > 0)) {
    throw Error(fmt::format("policy_gradient_learning_rate: {} is invalid (expected a finite number > 0)",
                            o.policy_gradient_learning_rate));
  }
}

SolverComparison CompareSolvers(const Mdp& mdp, const SolverComparisonOptions& o) {
  ValidateSolverComparisonOptions(o);
  const int S = mdp.num_states(), A = mdp.num_actions();
  SoftBellmanParams problem;
  problem.temperature = o.temperature;
  problem.discount = o.discount;
  SolverComparison out;

  auto t0 = std::chrono::steady_clock::now();
  SoftValueIterationOptions vi;
  static_cast<SoftBellmanParams&>(vi) = problem;
  const SoftValueIterationResult exact = SolveSoftValueIteration(mdp, vi);
  if (!exact.summary.converged) throw Error("soft value iteration: " + exact.summary.BriefReport());
  out.answers.push_back({"exact (soft VI)", "message passing / soft value iteration", exact.solution.values,
                         exact.solution.policy, 0, 0, 0, Seconds(t0)});

  // The sampling solvers start their episodes in a uniformly drawn state (exploring starts), so that
  // every state's value is learned; V* and pi* do not depend on the initial distribution.
  MdpSpec spec = mdp.ToSpec();
  spec.initial.clear();
  for (int s = 0; s < S; ++s) spec.initial.emplace_back(s, 1.0 / S);
  const auto explore = std::make_shared<const Mdp>(Mdp::FromSpec(spec));

  // Tabular soft Q-learning from sampled transitions.
  t0 = std::chrono::steady_clock::now();
  TabularSoftQOptions tq;
  tq.problem = problem;
  tq.steps = o.soft_q_steps;
  tq.max_episode_length = o.max_episode_steps;
  tq.seed = o.seed;
  const TabularSoftQResult q = TabularSoftQLearning(mdp, tq);
  SolverAnswer soft_q{"soft Q-learning", "ELBO by dynamic programming on samples (tabular)", {}, {}, 0, 0, 0, 0};
  SoftFromQ(q.q, A, o.temperature, soft_q.values, soft_q.policy);
  soft_q.seconds = Seconds(t0);
  out.answers.push_back(std::move(soft_q));

  // MaxEnt policy gradient: REINFORCE with the policy's own value as baseline.
  t0 = std::chrono::steady_clock::now();
  Rng rng(o.seed);
  std::vector<double> logits(static_cast<std::size_t>(S) * A, 0.0);
  for (int it = 0; it < o.policy_gradient_iterations; ++it) {
    const PolicyGradient g =
        ReinforceMaxEntGradient(*explore, problem, logits, o.policy_gradient_episodes, o.max_episode_steps, true, rng);
    for (std::size_t i = 0; i < logits.size(); ++i) logits[i] += o.policy_gradient_learning_rate * g.gradient[i];
  }
  SolverAnswer pg{"MaxEnt policy gradient", "ELBO by stochastic gradient ascent (REINFORCE, tabular softmax)", {}, {},
                  0, 0, 0, 0};
  pg.policy = SoftmaxPolicy(mdp, logits);
  pg.values = EvaluateSoftPolicy(mdp, problem, pg.policy).values;
  pg.seconds = Seconds(t0);
  out.answers.push_back(std::move(pg));

  // Soft DQN: a linear Q network on one-hot observations of the simulator.
  t0 = std::chrono::steady_clock::now();
  SoftQOptions dqn;
  dqn.hidden = {};
  dqn.batch_size = 32;
  dqn.buffer_size = 20000;
  dqn.discount = o.discount;
  dqn.learning_rate = 1e-3;
  dqn.learning_starts = 500;
  dqn.train_frequency = 1;
  dqn.gradient_steps = 1;
  dqn.target_update_interval = 50;
  dqn.temperature = o.temperature;
  dqn.loss = TdLoss::kSquared;
  dqn.max_grad_norm = 0;
  dqn.seed = o.seed;
  SoftQTrainer dqn_trainer(std::make_unique<env::MdpEnvironment>(explore, o.max_episode_steps),
                           std::make_unique<env::MdpEnvironment>(explore, o.max_episode_steps), dqn, o.soft_dqn_steps);
  while (dqn_trainer.step() < o.soft_dqn_steps) dqn_trainer.Step();
  std::vector<double> dq(static_cast<std::size_t>(S) * A);
  for (int s = 0; s < S; ++s) {
    dqn_trainer.agent().policy().QValues(OneHot(S, s), std::span<double>(dq).subspan(static_cast<std::size_t>(s) * A, A));
  }
  SolverAnswer soft_dqn{"soft DQN", "soft Q-learning with a Q network and target network (one-hot inputs)", {}, {}, 0,
                        0, 0, 0};
  SoftFromQ(dq, A, o.temperature, soft_dqn.values, soft_dqn.policy);
  soft_dqn.seconds = Seconds(t0);
  out.answers.push_back(std::move(soft_dqn));

  // MaxEnt actor-critic: linear actor and critic on one-hot observations, 8 copies.
  t0 = std::chrono::steady_clock::now();
  ActorCriticOptions ac;
  ac.hidden = {};
  ac.discount = o.discount;
  ac.entropy_coefficient = o.temperature;
  ac.gae_lambda = 0.95;
  ac.n_steps = 16;
  ac.learning_rate = 3e-3;
  ac.seed = o.seed;
  ActorCriticTrainer ac_trainer([&] { return std::make_unique<env::MdpEnvironment>(explore, o.max_episode_steps); }, ac,
                                o.actor_critic_steps);
  while (ac_trainer.step() < o.actor_critic_steps) ac_trainer.Step();
  SolverAnswer actor_critic{"MaxEnt actor-critic", "A2C with the entropy bonus, GAE, 8 simulators (one-hot inputs)", {},
                            {}, 0, 0, 0, 0};
  actor_critic.values.resize(S);
  actor_critic.policy.resize(static_cast<std::size_t>(S) * A);
  {
    nn::Matrix x = nn::Matrix::Identity(S, S);
    nn::MlpWorkspace actor_ws(ac_trainer.agent().actor(), S), critic_ws(ac_trainer.agent().critic(), S);
    const auto logits_out = nn::Forward(ac_trainer.agent().actor(), actor_ws, x);
    const auto v = nn::Forward(ac_trainer.agent().critic(), critic_ws, x);
    std::vector<double> logits_row(static_cast<std::size_t>(A));
    for (int s = 0; s < S; ++s) {
      for (int a = 0; a < A; ++a) logits_row[static_cast<std::size_t>(a)] = logits_out(a, s);
      SoftStatePolicy(logits_row, 1.0, StateLogPrior::None(),
                      std::span<double>(actor_critic.policy).subspan(static_cast<std::size_t>(s) * A, A));
      actor_critic.values[s] = v(0, s);
    }
  }
  actor_critic.seconds = Seconds(t0);
  out.answers.push_back(std::move(actor_critic));

  // Scores against the exact answer; the objective of each policy by exact policy evaluation.
  for (SolverAnswer& answer : out.answers) {
    for (int s = 0; s < S; ++s) answer.value_error = std::max(answer.value_error, std::abs(answer.values[s] - exact.solution.values[s]));
    for (std::size_t i = 0; i < answer.policy.size(); ++i) {
      answer.policy_error = std::max(answer.policy_error, std::abs(answer.policy[i] - exact.solution.policy[i]));
    }
    answer.objective = EvaluateSoftPolicy(mdp, problem, answer.policy).objective;
  }
  out.optimal_objective = out.answers[0].objective;
  return out;
}

}  // namespace cai::rl
