// Forward messages: where the soft policy takes the agent.
#pragma once

#include <span>
#include <vector>

#include "cai/core/solver_summary.h"
#include "cai/mdp/mdp.h"

namespace cai {

/// Marginals of a time-indexed policy over a finite horizon.
struct ForwardMessages {
  int horizon = 0;
  int num_states = 0;
  int num_actions = 0;
  /// d_t(s) = P(s_t = s, episode still running), T x S. Sums to 1 - (mass ended before t).
  std::vector<double> state_marginals;
  /// d_t(s, a) = d_t(s) pi_t(a|s), T x S x A.
  std::vector<double> state_action_marginals;
  /// Probability that the episode ended (a terminal (s, a) was taken) at step t, size T.
  std::vector<double> ended;
};

/// Runs d_0 = initial and d_{t+1}(s') = sum_{s,a} d_t(s) pi_t(a|s) p(s'|s,a).
/// `policy` is T x S x A (e.g. FiniteHorizonSolution::policy); `initial` empty means the MDP's.
ForwardMessages ComputeForwardMessages(const Mdp& mdp, std::span<const double> policy, int horizon,
                                       std::span<const double> initial = {});

struct OccupancyOptions {
  double tolerance = 1e-12;
  int max_iterations = 1000000;
};

/// Discounted occupancy rho(s) = sum_t discount^t P(s_t = s) of a stationary policy.
struct Occupancy {
  std::vector<double> state;         ///< rho(s), size S
  std::vector<double> state_action;  ///< rho(s, a) = rho(s) pi(a|s), S x A
  SolverSummary summary;
};

/// Solves rho = d_0 + discount * P_pi^T rho by fixed-point iteration (a discount-contraction in
/// the l1 norm). Discount 1 requires an acyclic MDP (expected visit counts). `policy` is S x A.
Occupancy DiscountedOccupancy(const Mdp& mdp, std::span<const double> policy, double discount,
                              const OccupancyOptions& options = {},
                              std::span<const double> initial = {});

}  // namespace cai
