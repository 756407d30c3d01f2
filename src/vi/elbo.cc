#include "cai/vi/elbo.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "cai/core/adam.h"
#include "cai/core/error.h"

namespace cai {
namespace {

void CheckDims(const LatentModel& model, const VariationalGaussian& q) {
  if (model.dim() != q.dim()) {
    throw Error(fmt::format("q: dimension {} does not match the model's latent dimension {}",
                            q.dim(), model.dim()));
  }
}

// Sample variance (denominator n - 1) of per-sample values; 0 for one sample.
double SampleVariance(const std::vector<double>& x, double mean) {
  if (x.size() < 2) return 0.0;
  double s = 0.0;
  for (double v : x) s += (v - mean) * (v - mean);
  return s / static_cast<double>(x.size() - 1);
}

}  // namespace

std::string ElboEstimatorName(ElboEstimator e) {
  switch (e) {
    case ElboEstimator::kClosedForm: return "closed-form";
    case ElboEstimator::kReparameterization: return "reparameterization";
    case ElboEstimator::kScoreFunction: return "score-function";
  }
  return "?";
}

ElboEstimator ParseElboEstimator(const std::string& name) {
  if (name == "closed-form") return ElboEstimator::kClosedForm;
  if (name == "reparameterization" || name == "reparam") return ElboEstimator::kReparameterization;
  if (name == "score-function" || name == "score") return ElboEstimator::kScoreFunction;
  throw Error(fmt::format(
      "estimator: \"{}\" is not an estimator (expected closed-form, reparameterization or "
      "score-function)",
      name));
}

void ValidateElboOptions(const ElboOptions& o) {
  if (o.samples < 1) {
    throw Error(fmt::format("samples: {} is invalid (expected an integer >= 1)", o.samples));
  }
  if (o.baseline && o.estimator != ElboEstimator::kScoreFunction) {
    throw Error(fmt::format("baseline: only the score-function estimator takes a baseline (the "
                            "estimator is {})",
                            ElboEstimatorName(o.estimator)));
  }
  if (o.baseline && o.samples < 2) {
    throw Error(fmt::format(
        "samples: {} is invalid with a leave-one-out baseline (expected an integer >= 2)",
        o.samples));
  }
  if (o.estimator == ElboEstimator::kClosedForm && o.kl == KlTerm::kMonteCarlo) {
    throw Error("kl: the closed-form estimator takes the KL term in closed form too");
  }
}

double ElboEstimate::ValueStandardError() const {
  return samples > 0 ? std::sqrt(value_variance / samples) : 0.0;
}

ElboEstimate EstimateElbo(const LatentModel& model, const VariationalGaussian& q,
                          const ElboOptions& options, Rng& rng) {
  ValidateElboOptions(options);
  CheckDims(model, q);
  const int d = q.dim();
  const int np = q.num_parameters();
  ElboEstimate out;
  out.gradient = Eigen::VectorXd::Zero(np);
  out.gradient_variance = Eigen::VectorXd::Zero(np);

  Eigen::VectorXd kl_gradient = Eigen::VectorXd::Zero(np);
  const double kl = options.kl == KlTerm::kClosedForm ? q.KlTo(model.prior(), &kl_gradient) : 0.0;

  if (options.estimator == ElboEstimator::kClosedForm) {
    if (!model.has_closed_form_expectation()) {
      throw Error("estimator: closed-form needs a model with a closed-form E_q[log p(x|z)] (use "
                  "reparameterization or score-function)");
    }
    Eigen::VectorXd g;
    out.value = model.ExpectedLogLikelihood(q, &g) - kl;
    out.gradient = g - kl_gradient;
    return out;
  }

  const int n = options.samples;
  const bool mc_kl = options.kl == KlTerm::kMonteCarlo;
  std::vector<double> f(static_cast<std::size_t>(n));
  std::vector<Eigen::VectorXd> grads(static_cast<std::size_t>(n));
  Eigen::VectorXd eps(d);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) eps[k] = rng.Normal();
    const Eigen::VectorXd z = q.Reparameterize(eps);
    double fi = model.LogLikelihood(z);
    if (mc_kl) fi += model.prior().LogDensity(z) - q.LogDensity(z);
    f[static_cast<std::size_t>(i)] = fi;
    if (options.estimator == ElboEstimator::kReparameterization) {
      Eigen::VectorXd gz = model.LogLikelihoodGradient(z);
      if (mc_kl) gz += model.prior().LogDensityGradient(z);
      Eigen::VectorXd g = q.ReparameterizationGradient(eps, gz);
      // Along z = mean + L eps, -log q(z) = |eps|^2 / 2 + sum log_scale + const: its total
      // derivative is the entropy's gradient.
      if (mc_kl) g += q.EntropyGradient();
      grads[static_cast<std::size_t>(i)] = std::move(g);
    } else {
      grads[static_cast<std::size_t>(i)] = q.ScoreGradient(eps);  // scaled by f below
    }
  }
  if (options.estimator == ElboEstimator::kScoreFunction) {
    double total = 0.0;
    for (double v : f) total += v;
    for (int i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      const double baseline = options.baseline ? (total - f[u]) / (n - 1) : 0.0;
      grads[u] *= f[u] - baseline;
    }
  }
  // Per-sample values and gradients of the ELBO (the closed-form KL is the same in each).
  double mean = 0.0;
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    f[u] -= kl;
    grads[u] -= kl_gradient;
    mean += f[u];
    out.gradient += grads[u];
  }
  mean /= n;
  out.gradient /= n;
  out.value = mean;
  out.value_variance = SampleVariance(f, mean);
  if (n >= 2) {
    for (const auto& g : grads) out.gradient_variance += (g - out.gradient).array().square().matrix();
    out.gradient_variance /= n - 1;
  }
  out.samples = n;
  return out;
}

void ValidateFitOptions(const FitOptions& o) {
  ValidateElboOptions(o.elbo);
  if (o.steps < 1) throw Error(fmt::format("steps: {} is invalid (expected an integer >= 1)", o.steps));
  if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0.0)) {
    throw Error(fmt::format("learning_rate: {} is invalid (expected a finite number > 0)",
                            o.learning_rate));
  }
  if (!(std::isfinite(o.final_learning_rate) && o.final_learning_rate >= 0.0 &&
        o.final_learning_rate <= o.learning_rate)) {
    throw Error(fmt::format(
        "final_learning_rate: {} is invalid (expected 0, for no decay, up to learning_rate = {})",
        o.final_learning_rate, o.learning_rate));
  }
  if (o.trace_every < 1) {
    throw Error(fmt::format("trace_every: {} is invalid (expected an integer >= 1)", o.trace_every));
  }
}

FitResult FitElbo(const LatentModel& model, const VariationalGaussian& initial,
                  const FitOptions& options) {
  ValidateFitOptions(options);
  CheckDims(model, initial);
  FitResult result{initial, {}, {}};
  VariationalGaussian& q = result.q;
  Rng rng(options.seed);
  AdamOptions adam_options;
  adam_options.learning_rate = options.learning_rate;
  Adam<double> adam(static_cast<std::size_t>(q.num_parameters()), adam_options);
  const double decay =
      options.final_learning_rate > 0.0 && options.steps > 1
          ? std::pow(options.final_learning_rate / options.learning_rate, 1.0 / (options.steps - 1))
          : 1.0;
  const bool exact_trace = model.has_closed_form_expectation();
  auto traced_elbo = [&](const ElboEstimate& e) {
    if (!exact_trace) return e.value;
    return model.ExpectedLogLikelihood(q, nullptr) - q.KlTo(model.prior());
  };
  Eigen::VectorXd params = q.parameters();
  double lr = options.learning_rate;
  double last_value = 0.0;
  int step = 0;
  for (; step < options.steps; ++step) {
    const ElboEstimate e = EstimateElbo(model, q, options.elbo, rng);
    last_value = traced_elbo(e);
    if (step % options.trace_every == 0) {
      result.elbo_trace.emplace_back(step, last_value);
      if (options.on_trace) options.on_trace(step, q, last_value);
    }
    result.summary.final_residual = e.gradient.norm();
    const Eigen::VectorXd descent = -e.gradient;
    adam.Step(std::span<double>(params.data(), static_cast<std::size_t>(params.size())),
              std::span<const double>(descent.data(), static_cast<std::size_t>(descent.size())), lr);
    lr *= decay;
    try {
      q.set_parameters(params);
    } catch (const Error& err) {
      result.summary.iterations = step + 1;
      result.summary.Finish(TerminationType::kFailure,
                            fmt::format("stopped at step {}: the parameters left the valid range ({}); lower "
                                        "the learning rate",
                                        step + 1, err.what()));
      return result;
    }
  }
  std::string how;
  if (exact_trace) {
    last_value = model.ExpectedLogLikelihood(q, nullptr) - q.KlTo(model.prior());
  } else {
    ElboOptions many;
    many.samples = 20000;
    many.estimator = ElboEstimator::kReparameterization;
    const ElboEstimate e = EstimateElbo(model, q, many, rng);
    last_value = e.value;
    how = fmt::format(" +- {:.4f} (20000-sample estimate)", e.ValueStandardError());
  }
  result.elbo_trace.emplace_back(options.steps, last_value);
  if (options.on_trace) options.on_trace(options.steps, q, last_value);
  result.summary.iterations = options.steps;
  result.summary.Finish(TerminationType::kBudgetReached,
                        fmt::format("{} Adam steps with the {} estimator; final ELBO {:.6f}{}", options.steps,
                                    ElboEstimatorName(options.elbo.estimator), last_value, how));
  return result;
}

}  // namespace cai
