// Tabular soft Q-learning: the soft Bellman backup (variational form) estimated from sampled
// transitions of a cai.mdp/1 MDP, the "maximise the ELBO by dynamic programming" route of the
// lecture. Its fixed point is soft value iteration's Q for the same temperature, discount and prior.
//
//   Q(s, a) <- Q(s, a) + lr_n(s, a) * ( r(s, a) + discount * V(s') - Q(s, a) ),
//   V(s') = temperature * log sum_a' p(a'|s') exp(Q(s', a') / temperature)   (max at temperature 0),
//   V = 0 after an (s, a) that ends the episode;
//   lr_n = learning_rate * (lr_offset / (lr_offset + n(s, a)))^lr_decay  (Robbins-Monro for decay in (0.5, 1]).
#pragma once

#include <cstdint>
#include <vector>

#include "cai/core/solver_summary.h"
#include "cai/inference/soft_bellman.h"
#include "cai/mdp/mdp.h"

namespace cai::rl {

struct TabularSoftQOptions {
  SoftBellmanParams problem;          ///< temperature, discount, prior (backup must be variational)
  std::int64_t steps = 1'000'000;     ///< sampled transitions
  double learning_rate = 1.0;         ///< lr at the first visit of an (s, a)
  double lr_decay = 0.7;              ///< exponent of the per-(s, a) visit-count schedule, in (0.5, 1]
  double lr_offset = 1;             ///< visits before the step size starts to decay (>= 1)
  double epsilon = 0.2;               ///< behaviour: uniform action with this probability, else the current soft policy
  double behaviour_temperature = 0;   ///< temperature of the behaviour's soft policy; 0 = problem.temperature (or 1 if that is 0)
  int max_episode_length = 100;       ///< restart after this many steps
  bool exploring_starts = true;       ///< episodes start in a uniformly drawn state (else the MDP's initial distribution)
  std::uint64_t seed = 0;
};

/// Throws cai::Error naming the field for invalid options (and for Backup::kExact, whose
/// log E exp target has no unbiased sample estimate).
void ValidateTabularSoftQOptions(const TabularSoftQOptions& options, const Mdp& mdp);

struct TabularSoftQResult {
  std::vector<double> q;           ///< S x A row-major
  std::vector<double> values;      ///< V(s) from q
  std::vector<std::int64_t> visits;  ///< updates per (s, a)
  std::int64_t episodes = 0;
  /// kBudgetReached after `steps` transitions (no stopping test); iterations = steps (capped at
  /// the largest int); no residual or error bound.
  SolverSummary summary;
};

/// Runs soft Q-learning on transitions sampled from `mdp`; deterministic for a given seed.
TabularSoftQResult TabularSoftQLearning(const Mdp& mdp, const TabularSoftQOptions& options);

}  // namespace cai::rl
