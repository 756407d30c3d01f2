// The one shape of what an iterative solver reports, after Ceres' Solver::Summary: how it
// stopped, how many iterations it took, its final residual and (where it has one) a bound on its
// error, a message, and a one-line BriefReport().
//
// Every solver's result carries one: a result struct (SoftValueIterationResult, IrlFitResult,
// TabularSoftQResult, ...) holds it as its `summary` member; a struct that is itself a summary
// with solver-specific extras (EnsembleFitSummary, MppiSummary) derives from it.
#pragma once

#include <limits>
#include <string>

namespace cai {

/// How a solver stopped.
enum class TerminationType {
  /// Its stopping test passed (a residual, a gradient norm or an error bound below its tolerance,
  /// or an exact method that has finished).
  kConverged,
  /// Its iteration limit came first: the result is the last iterate, usable but not converged.
  kNoConvergence,
  /// It ran the fixed number of steps it was asked for (a solver without a stopping test, e.g.
  /// Adam for a given number of steps or sampled Q-learning); the result is usable.
  kBudgetReached,
  /// It stopped early without a usable step: a value left its valid range, a loss stopped being
  /// finite, or a line search found no progress away from a stationary point.
  kFailure,
};

/// "converged", "no convergence", "budget reached", "failure".
const char* TerminationTypeName(TerminationType type);

struct SolverSummary {
  TerminationType termination = TerminationType::kNoConvergence;
  /// True when the solver finished normally: termination is kConverged or kBudgetReached. Kept as
  /// a field for existing callers; set it together with `termination` through Finish().
  bool converged = false;
  /// What the solver counts: sweeps, gradient steps, optimiser iterations, sampled transitions
  /// (see its documentation).
  int iterations = 0;
  /// The solver's residual after the last iteration, e.g. ||V_k - V_{k-1}||_inf for the exact
  /// tabular solvers or a gradient norm for the gradient methods; NaN when it has none.
  double final_residual = std::numeric_limits<double>::quiet_NaN();
  /// Bound on the distance of the result to the solution, e.g. ||V_k - V*||_inf <= discount /
  /// (1 - discount) * final_residual for soft value iteration (0 once a problem at discount 1
  /// has reached its fixed point exactly; infinite where no finite bound holds); NaN when the
  /// solver has no bound.
  double error_bound = std::numeric_limits<double>::quiet_NaN();
  std::string message;

  /// Sets termination, converged (from the termination type) and message.
  void Finish(TerminationType type, std::string text);

  /// One line: the message, then the termination type, the iterations, and the residual and the
  /// error bound where the solver has them (not NaN), e.g. "converged after 64 sweeps; termination:
  /// converged, iterations: 64, final residual: 1.06e-11, error bound: 9.54e-11".
  std::string BriefReport() const;
};

/// Whether a solver stopping this way finished normally (kConverged or kBudgetReached).
constexpr bool IsNormalTermination(TerminationType type) {
  return type == TerminationType::kConverged || type == TerminationType::kBudgetReached;
}

}  // namespace cai
