// Finite-horizon soft inference: the backward recursion over t = T-1, ..., 0.
#pragma once

#include <span>
#include <vector>

#include "cai/core/solver_summary.h"
#include "cai/inference/soft_bellman.h"
#include "cai/mdp/mdp.h"

namespace cai {

struct FiniteHorizonOptions : SoftBellmanParams {
  FiniteHorizonOptions() { discount = 1.0; }
  int horizon = 1;  ///< T >= 1 decisions; V_T = 0 after the last one
};

/// Time-indexed values: V_t(s), Q_t(s, a), pi_t(a|s) for t = 0..T-1, each row-major.
struct FiniteHorizonSolution {
  int horizon = 0;
  int num_states = 0;
  int num_actions = 0;
  std::vector<double> values;    ///< T x S
  std::vector<double> q_values;  ///< T x S x A
  std::vector<double> policy;    ///< T x S x A
  /// Exact: converged, iterations = T backward steps, final residual and error bound 0.
  SolverSummary summary;
  std::span<const double> ValuesAt(int t) const;
  std::span<const double> QAt(int t) const;
  std::span<const double> PolicyAt(int t) const;
  double V(int t, int s) const { return ValuesAt(t)[static_cast<std::size_t>(s)]; }
  double Q(int t, int s, int a) const { return QAt(t)[static_cast<std::size_t>(s * num_actions + a)]; }
  double Pi(int t, int s, int a) const {
    return PolicyAt(t)[static_cast<std::size_t>(s * num_actions + a)];
  }
};

/// Q_t = r + backup(V_{t+1}), V_t = soft max of Q_t under the prior, pi_t = soft policy; V_T = 0.
/// With the exact backup and discount 1, V_0(s) / temperature is log p(O_{0:T-1} = 1 | s_0 = s)
/// (the log-partition) and pi_t is the exact posterior p(a_t | s_t, O_{t:T-1} = 1).
FiniteHorizonSolution SolveFiniteHorizon(const Mdp& mdp, const FiniteHorizonOptions& options);

}  // namespace cai
