// Maximum-entropy inverse RL (Ziebart et al. 2008) and maximum-causal-entropy inverse RL
// (Ziebart 2010) with linear rewards r(s, a) = theta . f(s, a), on the exact tabular inference of
// the `inference` module (docs/maxent-irl.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cai/core/solver_summary.h"
#include "cai/inference/soft_backup.h"
#include "cai/irl/demonstrations.h"
#include "cai/mdp/features.h"
#include "cai/mdp/mdp.h"

namespace cai {

/// Which IRL model, i.e. which soft Bellman backup explains the expert: IRL's two methods are the
/// two backups of the inference module, under their IRL names.
///  - IrlMethod::kMaxEnt = Backup::kExact (Ziebart et al. 2008): p(tau) proportional to
///    p(s_0) prod p(s'|s,a) exp(sum_t r_t / alpha), the exact (optimistic) backup
///    Q = r + alpha log E_{s'}[exp(discount V(s') / alpha)].
///  - IrlMethod::kMaxCausalEnt = Backup::kVariational (Ziebart 2010): pi_t(a|s) =
///    exp((Q_t - V_t) / alpha) with the variational backup Q = r + discount E_{s'}[V(s')] (SAC's).
using IrlMethod = Backup;

/// "maxent" (kExact) or "mce" (kVariational): the user-facing words (CLI, JSON, Python).
std::string IrlMethodName(IrlMethod method);
/// Parses "maxent" / "mce"; throws cai::Error naming the value otherwise.
IrlMethod ParseIrlMethod(const std::string& name);

struct IrlObjectiveOptions {
  IrlMethod method = IrlMethod::kMaxCausalEnt;
  double temperature = 1.0;  ///< alpha > 0
  /// > 0: finite horizon of this many decisions (V_T = 0); every demonstration must have exactly
  /// `horizon` steps, or fewer if its last action ends the episode. 0: discounted, infinite horizon.
  int horizon = 0;
  /// gamma: in [0, 1] with a horizon, in [0, 1) without one.
  double discount = 1.0;
  double l2 = 0.0;  ///< lambda >= 0: the objective subtracts lambda / 2 ||theta||^2
  /// Discounted only: soft value iteration stops when discount / (1 - discount) times the sweep
  /// change is at most this; the occupancy iteration likewise (l1 norm).
  double tolerance = 1e-10;
  int max_iterations = 100000;  ///< discounted only: cap on the sweeps of either iteration
  /// Finite horizon only: V_t is kept for every t when checkpoint_interval = horizon; a smaller
  /// B keeps V every B steps and recomputes each segment during the forward pass (one more
  /// backward pass, memory (T / B + B + 1) x S). 0 chooses B = T when (T + 1) S doubles take at
  /// most 256 MiB, else about sqrt(T). The segment's policies (B x S x A) are kept too when they
  /// take at most 256 MiB, else recomputed in the forward pass (same arithmetic, same bits).
  int checkpoint_interval = 0;
  /// Finite horizon only: false never keeps the policies (recomputes them: less memory, more time).
  bool keep_policies = true;
};

/// Throws cai::Error naming the field and value.
void ValidateIrlObjectiveOptions(const IrlObjectiveOptions& options, const Mdp& mdp);

/// The IRL objective and its exact gradient, with a preallocated workspace (the MDP, features and
/// nothing else are borrowed: they must outlive the objective). With f_D the mean over the
/// demonstrations of sum_t discount^t f(s_t, a_t) (discounted problems: each demonstration that
/// does not end with a terminal action rescaled by 1 / ((1 - discount) sum_{t<n} discount^t),
/// since it observes only a prefix of the infinite sum), d_0 the empirical distribution of their first
/// states and V_0 the soft value of the chosen backup for r = theta . f,
///   L(theta) = (theta . f_D - sum_s d_0(s) V_0(s)) / alpha - lambda / 2 ||theta||^2,
///   dL/dtheta = (f_D - mu(theta)) / alpha - lambda theta,
/// where mu = E[sum_t discount^t f(s_t, a_t)] from d_0 under the soft policy and the backup's
/// forward dynamics: the true p(s'|s,a) for kMaxCausalEnt, the tilted posterior dynamics
/// p(s'|s,a) exp(discount V_{t+1}(s') / alpha) / normaliser for kMaxEnt. For kMaxEnt with
/// discount 1, L + dynamics_log_likelihood() is the mean log-likelihood of the demonstrations
/// given their first states (lambda = 0); for kMaxCausalEnt with deterministic dynamics and
/// discount 1 it is the mean causal log-likelihood sum_t log pi_t(a_t | s_t). L is concave.
class IrlObjective {
 public:
  /// Validates options, features and demonstrations (throws cai::Error).
  IrlObjective(const Mdp& mdp, const FeatureTable& features, std::span<const Demonstration> demos,
               IrlObjectiveOptions options);

  int num_parameters() const { return features_->num_features; }
  /// L(theta); writes dL/dtheta into `gradient` (size num_parameters) when it is not empty.
  /// Allocates nothing. Discounted: throws cai::Error if an iteration does not converge.
  double Evaluate(std::span<const double> theta, std::span<double> gradient);

  /// f_D (size num_parameters).
  std::span<const double> empirical_features() const { return empirical_; }
  /// mu(theta) of the last Evaluate.
  std::span<const double> expected_features() const { return expected_; }
  /// sum_s d_0(s) V_0(s) of the last Evaluate.
  double mean_start_value() const { return start_value_; }
  /// Mean over the demonstrations of sum_t log p(s_{t+1} | s_t, a_t) (independent of theta).
  double dynamics_log_likelihood() const { return dynamics_log_likelihood_; }
  /// d_0 (size S).
  std::span<const double> start_distribution() const { return start_; }
  /// Bytes held by the workspace (values, messages, visitation, rewards).
  std::size_t workspace_bytes() const;
  const IrlObjectiveOptions& options() const { return options_; }
  int checkpoint_interval() const { return interval_; }

 private:
  void EvaluateFiniteHorizon();
  void EvaluateDiscounted();

  const Mdp* mdp_;
  const FeatureTable* features_;
  IrlObjectiveOptions options_;
  int interval_ = 0;
  std::vector<double> empirical_;
  std::vector<double> expected_;
  std::vector<double> start_;
  double start_value_ = 0.0;
  double dynamics_log_likelihood_ = 0.0;
  // Workspace.
  std::vector<double> rewards_;      // S x A
  std::vector<double> visitation_;   // S x A: sum_t discount^t d_t(s, a)
  std::vector<double> checkpoints_;  // finite horizon: V at segment ends
  std::vector<double> segment_;      // finite horizon: V_t for one segment (B + 1 rows)
  std::vector<double> d_;            // S
  std::vector<double> d_next_;       // S
  std::vector<double> policy_;       // pi(a|s): S x A (discounted) or B x S x A (finite horizon,
                                     // when it fits in 256 MiB; else empty and recomputed)
  std::vector<double> scratch_;      // 2 A: one state's Q / exponentials and policy
  std::vector<double> weights_;      // discounted, kMaxEnt: tilted dynamics per transition
};

/// How FitIrl maximises the objective.
enum class IrlOptimizer { kLbfgs, kAdam };
std::string IrlOptimizerName(IrlOptimizer optimizer);
IrlOptimizer ParseIrlOptimizer(const std::string& name);  // "lbfgs" / "adam"

struct IrlFitOptions {
  IrlOptimizer optimizer = IrlOptimizer::kLbfgs;
  int max_iterations = 1000;
  /// Stop when ||dL/dtheta||_inf is at most this.
  double gradient_tolerance = 1e-6;
  /// L-BFGS: stop when an accepted step raises L by at most this times max(1, |L|).
  double relative_tolerance = 1e-12;
  int lbfgs_memory = 10;            ///< L-BFGS: stored (s, y) pairs, 1 to 100
  double learning_rate = 0.05;      ///< Adam
};
void ValidateIrlFitOptions(const IrlFitOptions& options);

struct IrlTraceRow {
  int iteration = 0;     ///< 0 is the starting point
  int evaluations = 0;   ///< objective evaluations so far
  double objective = 0.0;
  double gradient_norm = 0.0;  ///< ||dL/dtheta||_inf
};

struct IrlFitResult {
  std::vector<double> theta;
  std::vector<IrlTraceRow> trace;
  /// iterations = accepted steps; final_residual = the last ||dL/dtheta||_inf; no error bound.
  /// kConverged (gradient or objective-change test, or a line search out of precision near a
  /// stationary point), kNoConvergence (max_iterations) or kFailure (a line search stuck elsewhere).
  SolverSummary summary;
};

/// Maximises L from `initial_theta` (empty: zeros). L-BFGS uses a backtracking line search with
/// the Armijo condition L(theta + t d) >= L(theta) + 1e-4 t grad . d, so every accepted iterate
/// raises L strictly: the trace is increasing. Adam takes plain steps (not monotone).
IrlFitResult FitIrl(IrlObjective& objective, const IrlFitOptions& options,
                    std::span<const double> initial_theta = {});

/// The same MDP with its rewards replaced by `rewards` (S x A, row-major).
Mdp WithRewards(const Mdp& mdp, std::span<const double> rewards);

/// Expected value difference (Levine et al. 2011): with v_r(pi) the expected discounted return of
/// pi under the MDP's own rewards from its initial distribution, v_r(pi*) - v_r(pi_learned), where
/// pi* is optimal (hard, temperature 0) for the MDP's rewards and pi_learned is optimal for
/// `learned_rewards` (S x A). Ties are split evenly. Requires discount in [0, 1).
double ExpectedValueDifference(const Mdp& mdp, std::span<const double> learned_rewards,
                               double discount);

}  // namespace cai
