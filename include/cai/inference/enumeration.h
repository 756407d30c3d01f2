// Brute-force inference by enumerating every trajectory: the independent path that the message
// passing solvers are tested against. Exponential in the horizon; for small problems only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cai/mdp/action_prior.h"
#include "cai/mdp/mdp.h"

namespace cai {

struct EnumerationResult {
  /// log sum_tau p(tau | s_0) prod_t p(a_t|s_t) exp(sum_t r_t / temperature) = log p(O_{0:T-1} = 1).
  double log_partition = 0.0;
  /// p(a_0 | s_0, O_{0:T-1} = 1), size A.
  std::vector<double> first_action_posterior;
  std::int64_t num_trajectories = 0;
};

/// Enumerates every trajectory of at most `horizon` steps from `start_state` (ending early at
/// terminal actions). Requires temperature > 0; throws cai::Error beyond `max_trajectories`.
EnumerationResult EnumerateOptimalityPosterior(const Mdp& mdp, int start_state, int horizon,
                                               double temperature, const ActionPrior& prior,
                                               std::int64_t max_trajectories = 10'000'000);

/// The trajectory ELBO of a time-indexed policy q (T x S x A) from `start_state`, by enumeration:
/// E_q[sum_t r_t / temperature + log p(a_t|s_t) - log q(a_t|s_t)] <= log_partition, with equality
/// exactly when q is the exact posterior (deterministic dynamics) or, under stochastic dynamics,
/// never in general: the variational backup's policy is the best q of this form.
double TrajectoryElbo(const Mdp& mdp, int start_state, int horizon, double temperature,
                      const ActionPrior& prior, std::span<const double> policy,
                      std::int64_t max_trajectories = 10'000'000);

}  // namespace cai
