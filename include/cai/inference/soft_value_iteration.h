// Discounted (infinite-horizon) soft value iteration, both backups, any action prior.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "cai/inference/soft_bellman.h"
#include "cai/core/solver_summary.h"
#include "cai/mdp/mdp.h"

namespace cai {

struct SoftValueIterationOptions : SoftBellmanParams {
  /// Stop when the bound on the distance to the fixed point, discount / (1 - discount) times the
  /// sup-norm change of a sweep, is at most this (or the change is at round-off level).
  double tolerance = 1e-10;
  int max_iterations = 100000;
};

/// Throws cai::Error naming the field and value (see ValidateSoftBellmanParams; also tolerance
/// must be positive and max_iterations at least 1).
void ValidateSoftValueIterationOptions(const SoftValueIterationOptions& options, const Mdp& mdp);

/// Values, soft Q-values and the soft policy of a stationary problem.
struct SoftSolution {
  int num_states = 0;
  int num_actions = 0;
  std::vector<double> values;    ///< V(s), size S
  std::vector<double> q_values;  ///< Q(s, a), S x A row-major
  std::vector<double> policy;    ///< pi(a|s), S x A row-major
  double V(int s) const { return values[static_cast<std::size_t>(s)]; }
  double Q(int s, int a) const { return q_values[Index(s, a)]; }
  double Pi(int s, int a) const { return policy[Index(s, a)]; }
  std::size_t Index(int s, int a) const {
    return static_cast<std::size_t>(s) * static_cast<std::size_t>(num_actions) +
           static_cast<std::size_t>(a);
  }
};

/// Solver with a preallocated workspace (model vs workspace: the MDP is borrowed and must outlive
/// the solver). Iterates V <- soft Bellman(V) from V = 0 (Jacobi sweeps).
class SoftValueIteration {
 public:
  /// Validates the options. With discount 1 the MDP must be acyclic (every episode ends); otherwise
  /// throws cai::Error naming a state on a cycle, since the iteration cannot converge in general.
  SoftValueIteration(const Mdp& mdp, SoftValueIterationOptions options);

  /// Sweeps until the error bound is at most the tolerance or max_iterations is reached
  /// (converged = false then). Throws cai::Error if values stop being finite.
  SolverSummary Solve();
  /// One sweep V <- soft Bellman(V); returns ||V_new - V_old||_inf.
  double Sweep();

  std::span<const double> values() const { return values_; }
  /// Q of the last sweep (computed on first use after a sweep: sweeps store only V).
  std::span<const double> q_values() const;
  /// Values, Q and the soft policy of the current iterate.
  SoftSolution Solution() const;
  const SoftValueIterationOptions& options() const { return options_; }

 private:
  const Mdp* mdp_;
  SoftValueIterationOptions options_;
  std::vector<double> values_;
  std::vector<double> next_values_;
  // Q of the last sweep, recomputed on demand from the values it started from (next_values_).
  mutable std::vector<double> q_;
  mutable bool q_current_ = true;
  // Row patterns for the variational fast path, when the MDP has few (see RowPatterns).
  std::optional<RowPatterns> patterns_;
  void UpdateQ() const;
  int iterations_ = 0;
};

struct SoftValueIterationResult {
  SoftSolution solution;
  SolverSummary summary;
};

/// Convenience: construct, solve, return the solution and summary.
SoftValueIterationResult SolveSoftValueIteration(const Mdp& mdp,
                                                 const SoftValueIterationOptions& options);

/// A state that lies on a cycle of the transition graph (edges s -> s' with p(s'|s,a) > 0 for some
/// a), or -1 when the graph is acyclic.
int FindStateOnCycle(const Mdp& mdp);

}  // namespace cai
