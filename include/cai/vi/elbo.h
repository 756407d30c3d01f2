// The evidence lower bound ELBO(q) = E_q[log p(x|z)] - KL(q || p(z)) = log p(x) - KL(q || p(z|x)),
// its estimators (closed form, reparameterisation, score function with or without a baseline),
// and fitting q by stochastic gradient ascent (Adam).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "cai/core/rng.h"
#include "cai/core/solver_summary.h"
#include "cai/vi/latent_model.h"
#include "cai/vi/variational_gaussian.h"

namespace cai {

enum class ElboEstimator {
  /// Exact E_q[log p(x|z)] and gradient (models with has_closed_form_expectation()).
  kClosedForm,
  /// z = mean + L eps: the gradient flows through z (needs d/dz log p(x|z)).
  kReparameterization,
  /// grad E_q[f] = E_q[f(z) grad log q(z)] (REINFORCE): needs only log p(x|z) values.
  kScoreFunction,
};
/// "closed-form", "reparameterization", "score-function".
std::string ElboEstimatorName(ElboEstimator e);
/// Parses the names above (also "reparam" and "score"); throws cai::Error naming the value.
ElboEstimator ParseElboEstimator(const std::string& name);

/// How the KL(q || p(z)) term is taken.
enum class KlTerm {
  kClosedForm,  ///< exact, with its exact gradient (the mean-field ELBO of VAEs)
  kMonteCarlo,  ///< estimated with the same samples: f(z) = log p(x, z) - log q(z)
};

struct ElboOptions {
  ElboEstimator estimator = ElboEstimator::kReparameterization;
  KlTerm kl = KlTerm::kClosedForm;
  /// Score function only: subtract from f(z_i) the mean of f over the other samples
  /// (leave-one-out; unbiased, needs samples >= 2).
  bool baseline = false;
  int samples = 1;  ///< Monte Carlo samples per estimate, >= 1
};

/// Throws cai::Error naming the field unless samples >= 1 (>= 2 with a baseline), and the
/// baseline is only asked of the score-function estimator.
void ValidateElboOptions(const ElboOptions& options);

struct ElboEstimate {
  double value = 0.0;                ///< estimate of the ELBO
  Eigen::VectorXd gradient;          ///< estimate of its gradient in q's parameters
  double value_variance = 0.0;       ///< sample variance of one sample's value (0: closed form)
  Eigen::VectorXd gradient_variance; ///< per parameter, sample variance of one sample's gradient
  int samples = 0;                   ///< samples used (0: closed form)
  /// Standard error of `value`: sqrt(value_variance / samples).
  double ValueStandardError() const;
};

/// One estimate of the ELBO and its gradient in q's parameters (layout of VariationalGaussian).
/// Draws eps ~ N(0, I) from rng. Throws cai::Error on invalid options, a dimension mismatch, or a
/// closed-form request on a model without one.
ElboEstimate EstimateElbo(const LatentModel& model, const VariationalGaussian& q,
                          const ElboOptions& options, Rng& rng);

struct FitOptions {
  ElboOptions elbo;           ///< the gradient estimator
  int steps = 2000;           ///< Adam steps, >= 1
  double learning_rate = 0.05;
  /// The learning rate decays geometrically from learning_rate to this at the last step
  /// (0: no decay); the decay lets a noisy estimator settle at the optimum.
  double final_learning_rate = 0.0;
  std::uint64_t seed = 0;
  /// Record the ELBO every this many steps (1: every step), >= 1.
  int trace_every = 1;
  /// Called at each recorded step (and after the last) with the step, q before that step's update
  /// and the recorded ELBO; may be empty.
  std::function<void(int step, const VariationalGaussian& q, double elbo)> on_trace;
};
void ValidateFitOptions(const FitOptions& options);

struct FitResult {
  VariationalGaussian q;
  /// (step, ELBO estimate at that step, before the update); the closed-form ELBO is recorded when
  /// the model has one, else the estimator's value.
  std::vector<std::pair<int, double>> elbo_trace;
  SolverSummary summary;
};

/// Maximises the ELBO over q's parameters from `initial` by Adam on the estimated gradient.
/// Deterministic for a given seed. summary.termination is kBudgetReached after all the steps
/// (converged), kFailure if a parameter left the valid range (the last valid q is returned);
/// iterations = steps taken; final_residual = the norm of the
/// last gradient estimate. The last trace entry (step = steps) is the final q's ELBO: exact when
/// the model has a closed form, else a 20000-sample reparameterisation estimate (its standard error
/// is in the message).
FitResult FitElbo(const LatentModel& model, const VariationalGaussian& initial,
                  const FitOptions& options);

}  // namespace cai
