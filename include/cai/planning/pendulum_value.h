// A terminal value for planning on Pendulum-v1, computed by exact inference: the pendulum's
// dynamics discretised on a grid over (theta, theta_dot) as a tabular MDP (each next state spread
// over the four surrounding grid nodes by bilinear weights, Munos & Moore's interpolation MDP),
// solved by (soft) value iteration, and read back by bilinear interpolation. MPPI adds V(s_T) to
// each sampled rollout's return, so the exact backward message supplies what a short horizon cannot
// see (docs/mppi.md, "A terminal value from exact inference").
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "cai/core/solver_summary.h"
#include "cai/mdp/mdp.h"
#include "cai/planning/batched_dynamics.h"

namespace cai::planning {

struct PendulumValueOptions {
  int angle_bins = 151;     ///< grid nodes over theta in [-pi, pi) (periodic), >= 8
  int velocity_bins = 151;  ///< grid nodes over theta_dot in [-8, 8] (ends included), >= 3
  int action_levels = 9;    ///< torques evenly spaced over [-2, 2], >= 2
  double discount = 0.99;   ///< gamma in (0, 1)
  double temperature = 0.0; ///< soft value iteration's alpha >= 0 (0: the hard Bellman backup)
  double gravity = 10.0;    ///< as env::Pendulum
  double tolerance = 1e-6;  ///< value iteration stops when its error bound is at most this
  int threads = 1;          ///< threads of each value-iteration sweep (large grids)
};

/// Throws cai::Error naming the field, its value and the valid range.
void ValidatePendulumValueOptions(const PendulumValueOptions& options);

/// The grid MDP: state i * velocity_bins + j is (theta_i, theta_dot_j); action k is torque u_k;
/// r = Pendulum-v1's reward at the node; the next state is Pendulum-v1's step (in double precision),
/// spread over the four surrounding nodes by bilinear weights (theta wraps around). No terminal states.
Mdp BuildPendulumGridMdp(const PendulumValueOptions& options);

/// V(theta, theta_dot) on the grid, interpolated bilinearly in between.
class PendulumValueTable {
 public:
  /// Builds the grid MDP and solves it (variational backup, counting-measure prior). Throws
  /// cai::Error for invalid options or if value iteration does not converge.
  static std::shared_ptr<const PendulumValueTable> Solve(const PendulumValueOptions& options);

  const PendulumValueOptions& options() const { return options_; }
  /// V at the grid nodes, angle_bins x velocity_bins, row-major.
  const std::vector<double>& node_values() const { return values_; }
  const SolverSummary& summary() const { return summary_; }
  /// Bilinear interpolation of the node values; theta is wrapped into [-pi, pi), theta_dot clamped
  /// to [-8, 8].
  double Value(double theta, double theta_dot) const;
  /// rewards[k] += weight * Value(states[0][k], states[1][k]) for a batch (float; allocation-free).
  void AddTo(ConstBatchView states, std::span<float> rewards, float weight) const;

 private:
  PendulumValueOptions options_;
  std::vector<double> values_;
  std::vector<float> values_f_;
  SolverSummary summary_;
};

}  // namespace cai::planning
