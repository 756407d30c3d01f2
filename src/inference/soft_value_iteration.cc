#include "cai/inference/soft_value_iteration.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {

void ValidateSoftValueIterationOptions(const SoftValueIterationOptions& options, const Mdp& mdp) {
  ValidateSoftBellmanParams(options, mdp);
  if (!(options.tolerance > 0.0) || !std::isfinite(options.tolerance)) {
    throw Error(fmt::format("tolerance: {} is invalid (expected a finite number > 0)",
                            options.tolerance));
  }
  if (options.max_iterations < 1) {
    throw Error(fmt::format("max_iterations: {} is invalid (expected >= 1)",
                            options.max_iterations));
  }
}

int FindStateOnCycle(const Mdp& mdp) {
  const int n = mdp.num_states();
  const int na = mdp.num_actions();
  // Repeatedly remove states all of whose successors are removed; what remains has a successor
  // that remains, so walking successors from any remaining state must revisit one: on a cycle.
  std::vector<std::vector<int>> predecessors(static_cast<std::size_t>(n));
  std::vector<int> out_degree(static_cast<std::size_t>(n), 0);
  for (int s = 0; s < n; ++s) {
    std::vector<int> succ;
    for (int a = 0; a < na; ++a) {
      const auto next = mdp.NextStates(s, a);
      const auto prob = mdp.NextProbabilities(s, a);
      for (std::size_t k = 0; k < next.size(); ++k) {
        if (prob[k] > 0.0) succ.push_back(next[k]);
      }
    }
    std::sort(succ.begin(), succ.end());
    succ.erase(std::unique(succ.begin(), succ.end()), succ.end());
    out_degree[static_cast<std::size_t>(s)] = static_cast<int>(succ.size());
    for (int t : succ) predecessors[static_cast<std::size_t>(t)].push_back(s);
  }
  std::vector<int> stack;
  std::vector<char> removed(static_cast<std::size_t>(n), 0);
  for (int s = 0; s < n; ++s) {
    if (out_degree[static_cast<std::size_t>(s)] == 0) stack.push_back(s);
  }
  while (!stack.empty()) {
    const int t = stack.back();
    stack.pop_back();
    removed[static_cast<std::size_t>(t)] = 1;
    for (int s : predecessors[static_cast<std::size_t>(t)]) {
      if (--out_degree[static_cast<std::size_t>(s)] == 0) stack.push_back(s);
    }
  }
  int start = -1;
  for (int s = 0; s < n && start < 0; ++s) {
    if (!removed[static_cast<std::size_t>(s)]) start = s;
  }
  if (start < 0) return -1;
  std::vector<char> visited(static_cast<std::size_t>(n), 0);
  int s = start;
  while (!visited[static_cast<std::size_t>(s)]) {
    visited[static_cast<std::size_t>(s)] = 1;
    int next_remaining = -1;
    for (int a = 0; a < na && next_remaining < 0; ++a) {
      const auto next = mdp.NextStates(s, a);
      const auto prob = mdp.NextProbabilities(s, a);
      for (std::size_t k = 0; k < next.size(); ++k) {
        if (prob[k] > 0.0 && !removed[static_cast<std::size_t>(next[k])]) {
          next_remaining = next[k];
          break;
        }
      }
    }
    s = next_remaining;
  }
  return s;
}

SoftValueIteration::SoftValueIteration(const Mdp& mdp, SoftValueIterationOptions options)
    : mdp_(&mdp), options_(std::move(options)) {
  ValidateSoftValueIterationOptions(options_, mdp);
  if (options_.discount == 1.0) {
    const int s = FindStateOnCycle(mdp);
    if (s >= 0) {
      throw Error(fmt::format(
          "discount: 1 cannot converge here: state {} lies on a cycle, so episodes need not end "
          "(use a discount below 1, or a finite horizon)",
          mdp.StateName(s)));
    }
  }
  const auto n = static_cast<std::size_t>(mdp.num_states());
  values_.assign(n, 0.0);
  next_values_.assign(n, 0.0);
  q_.assign(n * static_cast<std::size_t>(mdp.num_actions()), 0.0);
  // The only backup that reads rewards and probabilities through patterns (see SoftBellmanBackup).
  if (options_.backup == Backup::kVariational && options_.temperature > 0.0 &&
      options_.prior.kind() != PriorKind::kTable) {
    patterns_ = RowPatterns::Build(mdp);
  }
}

double SoftValueIteration::Sweep() {
  double residual = 0.0;  // max |V_new - V_old|, +inf if NaN appeared
  // Only V is needed from sweep to sweep: Q is not stored (q_values() recomputes it).
  SoftBellmanBackup(*mdp_, options_, patterns_ ? &*patterns_ : nullptr, values_, {}, next_values_,
                    &residual);
  values_.swap(next_values_);
  ++iterations_;
  q_current_ = false;
  return residual;
}

void SoftValueIteration::UpdateQ() const {
  if (q_current_) return;
  // The last sweep's backup again, from the values it started from: the same Q to the last bit.
  std::vector<double> v(values_.size());
  SoftBellmanBackup(*mdp_, options_, patterns_ ? &*patterns_ : nullptr, next_values_, q_, v);
  q_current_ = true;
}

std::span<const double> SoftValueIteration::q_values() const {
  UpdateQ();
  return q_;
}

SolverSummary SoftValueIteration::Solve() {
  SolverSummary summary;
  const double gamma = options_.discount;
  const double factor = gamma < 1.0 ? gamma / (1.0 - gamma) : std::numeric_limits<double>::infinity();
  // max_s |V(s)| is needed only to tell a residual at round-off level; an upper bound (the last
  // exact value plus every residual since, by the triangle inequality) says when it cannot be, so
  // the extra pass over V runs only near convergence.
  const auto max_abs_value = [&] {
    double vmax = 0.0;
    for (double v : values_) vmax = std::max(vmax, std::abs(v));
    return vmax;
  };
  double vmax_bound = max_abs_value();
  constexpr double kRoundoff = 16.0 * std::numeric_limits<double>::epsilon();
  for (int k = 0; k < options_.max_iterations; ++k) {
    const double residual = Sweep();
    if (!std::isfinite(residual)) {
      throw Error(fmt::format(
          "soft value iteration: values stopped being finite after {} sweeps (temperature {}, "
          "discount {}): the problem's values overflow a double",
          iterations_, options_.temperature, gamma));
    }
    vmax_bound += residual;
    if (residual <= kRoundoff * vmax_bound) vmax_bound = max_abs_value();
    summary.iterations = iterations_;
    summary.final_residual = residual;
    summary.error_bound = residual == 0.0 ? 0.0 : factor * residual;
    const bool at_roundoff = residual <= kRoundoff * vmax_bound;
    if (summary.error_bound <= options_.tolerance || at_roundoff) {
      summary.Finish(TerminationType::kConverged,
                     at_roundoff && summary.error_bound > options_.tolerance
                         ? fmt::format("converged to round-off after {} sweep{}", iterations_, iterations_ == 1 ? "" : "s")
                         : fmt::format("converged after {} sweep{}", iterations_, iterations_ == 1 ? "" : "s"));
      return summary;
    }
  }
  summary.Finish(TerminationType::kNoConvergence,
                 fmt::format("not converged after {} sweeps: residual {:.3g}, error bound {:.3g} > tolerance {:.3g}",
                             iterations_, summary.final_residual, summary.error_bound, options_.tolerance));
  return summary;
}

SoftSolution SoftValueIteration::Solution() const {
  SoftSolution sol;
  sol.num_states = mdp_->num_states();
  sol.num_actions = mdp_->num_actions();
  sol.values = values_;
  UpdateQ();
  sol.q_values = q_;
  sol.policy.assign(q_.size(), 0.0);
  SoftPolicy(*mdp_, options_, q_, sol.policy);
  return sol;
}

SoftValueIterationResult SolveSoftValueIteration(const Mdp& mdp,
                                                 const SoftValueIterationOptions& options) {
  SoftValueIteration solver(mdp, options);
  SolverSummary summary = solver.Solve();
  return {solver.Solution(), std::move(summary)};
}

}  // namespace cai
