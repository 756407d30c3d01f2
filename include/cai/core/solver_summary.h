#pragma once

#include <string>

namespace cai {

/// What an iterative solver reports (Ceres-style Summary). The residual and bound are those of the
/// exact tabular solvers; other solvers say what they report in their own documentation.
struct SolverSummary {
  bool converged = false;
  int iterations = 0;
  /// Sup-norm change of the last sweep, ||V_k - V_{k-1}||_inf.
  double final_residual = 0.0;
  /// Bound on ||V_k - V*||_inf: discount / (1 - discount) * final_residual for a discount below 1
  /// (the soft Bellman operator is a discount-contraction for both backups); 0 once an acyclic
  /// problem at discount 1 has reached its fixed point exactly.
  double error_bound = 0.0;
  std::string message;
};

}  // namespace cai
