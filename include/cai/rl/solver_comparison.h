// Exact inference and the approximate solvers of the same MaxEnt objective side by side on one
// tabular MDP: soft value iteration (exact), tabular soft Q-learning (dynamic programming on
// samples), MaxEnt policy gradient with the REINFORCE estimator (stochastic gradient ascent on the
// ELBO), soft DQN and the MaxEnt actor-critic (networks on one-hot observations of the MDP's
// simulator). Every approximate answer is scored against the exact one. Used by `cai compare` and
// docs/solvers-compared.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cai/mdp/mdp.h"

namespace cai::rl {

struct SolverComparisonOptions {
  double temperature = 0.5;  ///< > 0
  double discount = 0.9;     ///< in (0, 1)
  std::uint64_t seed = 0;
  /// Budgets (the defaults run in a few seconds on a 25-state gridworld).
  std::int64_t soft_q_steps = 500'000;      ///< tabular soft Q-learning transitions
  int policy_gradient_iterations = 300;      ///< REINFORCE ascent steps
  int policy_gradient_episodes = 100;        ///< episodes per gradient estimate
  double policy_gradient_learning_rate = 2.0;
  std::int64_t soft_dqn_steps = 60'000;      ///< environment steps
  std::int64_t actor_critic_steps = 400'000; ///< environment steps
  int max_episode_steps = 100;               ///< time limit of sampled episodes (truncation, not terminal)
};

/// Throws cai::Error naming the field unless temperature > 0, discount in (0, 1) and budgets >= 1.
void ValidateSolverComparisonOptions(const SolverComparisonOptions& options);

struct SolverAnswer {
  std::string name;                ///< "exact (soft VI)", "soft Q-learning", ...
  std::string method;              ///< how it optimises the objective
  std::vector<double> values;      ///< V(s): the solver's own soft value estimate
  std::vector<double> policy;      ///< pi(a|s), S x A row-major
  double value_error = 0;          ///< max_s |V(s) - V*(s)|
  double policy_error = 0;         ///< max_{s,a} |pi(a|s) - pi*(a|s)|
  double objective = 0;            ///< the true objective sum_s d0(s) V^pi(s) of its policy
  double seconds = 0;              ///< wall time
};

struct SolverComparison {
  std::vector<SolverAnswer> answers;  ///< exact first
  double optimal_objective = 0;       ///< d0 . V*
};

/// Runs every solver on `mdp` (variational backup, no action prior). Throws cai::Error for invalid
/// options.
SolverComparison CompareSolvers(const Mdp& mdp, const SolverComparisonOptions& options);

}  // namespace cai::rl
