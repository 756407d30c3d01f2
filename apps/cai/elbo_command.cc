// cai elbo: the ELBO of a univariate q for the lesson's linear-Gaussian model (or the logistic coin),
// in closed form and by each Monte Carlo estimator; --fit runs gradient ascent on it.
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/vi/elbo.h"
#include "cai/vi/latent_model.h"
#include "cai/vi/variational_gaussian.h"
#include "commands.h"

namespace cai::cli {
namespace {

struct ElboArgs {
  double prior_mean = 0.0;
  double prior_var = 1.0;
  double lik_var = 1.0;
  double x = 0.0;
  int heads = -1;
  int flips = -1;
  double q_mean = 0.0;
  double q_var = 1.0;
  int samples = 1000;
  std::uint64_t seed = 0;
  bool json = false;
  bool fit = false;
  int steps = 2000;
  double learning_rate = 0.05;
  std::string estimator = "reparameterization";
  int fit_samples = 8;
};

void CheckPositive(double v, const char* flag) {
  if (!(std::isfinite(v) && v > 0.0)) {
    throw Error(fmt::format("{}: {} is invalid (expected a finite number > 0)", flag, v));
  }
}
void CheckFinite(double v, const char* flag) {
  if (!std::isfinite(v)) throw Error(fmt::format("{}: {} is not finite", flag, v));
}

nlohmann::json Vec(const Eigen::VectorXd& v) {
  return nlohmann::json(std::vector<double>(v.data(), v.data() + v.size()));
}

// Everything exact about q for the chosen model.
struct Exact {
  double expected_loglik;
  double kl_prior;
  double log_evidence;
  double kl_posterior;
  std::optional<UnivariateGaussian> posterior;  // linear-Gaussian only
  std::optional<Eigen::VectorXd> gradient;      // linear-Gaussian only
};

Exact ComputeExact(const LatentModel& model, const VariationalGaussian& q, bool coin) {
  const UnivariateGaussian q1(q.mean()[0], q.cholesky()(0, 0) * q.cholesky()(0, 0));
  Exact e{};
  e.kl_prior = q.KlTo(model.prior());
  if (coin) {
    const auto& m = static_cast<const LogisticBernoulliModel&>(model);
    e.expected_loglik = m.ExpectedLogLikelihoodQuadrature(q1);
    e.log_evidence = m.LogEvidence();
    e.kl_posterior = m.KlToPosterior(q1);
    return e;
  }
  const auto& m = static_cast<const ObservedLinearGaussian&>(model);
  Eigen::VectorXd g;
  e.expected_loglik = m.ExpectedLogLikelihood(q, &g);
  Eigen::VectorXd kl_g;
  q.KlTo(model.prior(), &kl_g);
  e.gradient = g - kl_g;
  e.log_evidence = m.LogEvidence();
  const MultivariateGaussian post = m.Posterior();
  e.posterior = UnivariateGaussian(post.mean()[0], post.covariance()(0, 0));
  e.kl_posterior = KlDivergence(q1, *e.posterior);
  return e;
}

struct McRow {
  std::string name;
  ElboEstimate estimate;
};

void Run(const ElboArgs& args, bool coin) {
  CheckFinite(args.prior_mean, "--prior-mean");
  CheckPositive(args.prior_var, "--prior-var");
  CheckFinite(args.q_mean, "--q-mean");
  CheckPositive(args.q_var, "--q-var");
  if (args.samples < 2) {
    throw Error(fmt::format("--samples: {} is invalid (expected an integer >= 2)", args.samples));
  }
  std::unique_ptr<LatentModel> model;
  std::string description;
  if (coin) {
    model = std::make_unique<LogisticBernoulliModel>(args.prior_mean, args.prior_var, args.heads,
                                                     args.flips);
    description = fmt::format("z ~ N({:g}, {:g}), {} heads in {} flips of a coin with "
                              "P(heads) = sigmoid(z)",
                              args.prior_mean, args.prior_var, args.heads, args.flips);
  } else {
    CheckPositive(args.lik_var, "--lik-var");
    CheckFinite(args.x, "--x");
    model = std::make_unique<ObservedLinearGaussian>(
        LinearGaussianModel::Scalar(args.prior_mean, args.prior_var, args.lik_var),
        Eigen::VectorXd::Constant(1, args.x));
    description = fmt::format("z ~ N({:g}, {:g}), x | z ~ N(z, {:g}), x = {:g}", args.prior_mean,
                              args.prior_var, args.lik_var, args.x);
  }
  // Fitting options are checked before anything is printed.
  FitOptions f;
  if (args.fit) {
    f.elbo.estimator = ParseElboEstimator(args.estimator);
    if (f.elbo.estimator == ElboEstimator::kClosedForm && coin) {
      throw Error("--estimator: closed-form needs the linear-Gaussian model (the coin has no "
                  "closed form)");
    }
    if (args.fit_samples < 1) {
      throw Error(fmt::format("--fit-samples: {} is invalid (expected an integer >= 1)",
                              args.fit_samples));
    }
    f.elbo.samples = f.elbo.estimator == ElboEstimator::kClosedForm ? 1 : args.fit_samples;
    f.elbo.baseline = f.elbo.estimator == ElboEstimator::kScoreFunction && f.elbo.samples >= 2;
    f.steps = args.steps;
    f.learning_rate = args.learning_rate;
    f.final_learning_rate =
        f.elbo.estimator == ElboEstimator::kClosedForm ? 0.0 : args.learning_rate / 100;
    f.seed = args.seed;
    f.trace_every = std::max(1, args.steps / 10);
    ValidateFitOptions(f);
  }
  const VariationalGaussian q(GaussianFamily::kDiagonal, Eigen::VectorXd::Constant(1, args.q_mean),
                              Eigen::VectorXd::Constant(1, 0.5 * std::log(args.q_var)));
  const Exact exact = ComputeExact(*model, q, coin);
  const double elbo = exact.expected_loglik - exact.kl_prior;
  const double gap = exact.log_evidence - elbo;

  std::vector<McRow> mc;
  {
    ElboOptions o;
    o.samples = args.samples;
    Rng rng(args.seed);
    o.estimator = ElboEstimator::kReparameterization;
    mc.push_back({"reparameterization", EstimateElbo(*model, q, o, rng)});
    o.estimator = ElboEstimator::kScoreFunction;
    mc.push_back({"score-function", EstimateElbo(*model, q, o, rng)});
    o.baseline = true;
    mc.push_back({"score-function+baseline", EstimateElbo(*model, q, o, rng)});
  }

  nlohmann::json out;
  out["model"] = description;
  out["q_mean"] = args.q_mean;
  out["q_var"] = args.q_var;
  out["expected_loglik"] = exact.expected_loglik;
  out["kl_prior"] = exact.kl_prior;
  out["elbo"] = elbo;
  out["log_evidence"] = exact.log_evidence;
  out["gap"] = gap;
  out["kl_posterior"] = exact.kl_posterior;
  if (exact.posterior) {
    out["posterior_mean"] = exact.posterior->mean();
    out["posterior_var"] = exact.posterior->variance();
  }
  if (exact.gradient) out["gradient"] = Vec(*exact.gradient);
  out["exact_by"] = coin ? "quadrature" : "closed form";
  nlohmann::json mc_json = nlohmann::json::object();
  for (const auto& r : mc) {
    mc_json[r.name] = {{"elbo", r.estimate.value},
                       {"standard_error", r.estimate.ValueStandardError()},
                       {"gradient", Vec(r.estimate.gradient)},
                       {"gradient_variance", Vec(r.estimate.gradient_variance)},
                       {"samples", r.estimate.samples}};
  }
  out["monte_carlo"] = mc_json;
  out["seed"] = args.seed;

  if (!args.json) {
    std::cout << fmt::format("model: {}\nq = N({:g}, {:g})\n\n", description, args.q_mean,
                             args.q_var);
    const char* by = coin ? "quadrature" : "closed form";
    std::cout << fmt::format("{:<28} {:>14}\n", "", by);
    auto line = [](const std::string& k, double v) {
      std::cout << fmt::format("{:<28} {:>14.6f}\n", k, v);
    };
    line("E_q[log p(x|z)]", exact.expected_loglik);
    line("KL(q || p(z))", exact.kl_prior);
    line("ELBO", elbo);
    line("log p(x)", exact.log_evidence);
    line("gap = log p(x) - ELBO", gap);
    line("KL(q || p(z|x))", exact.kl_posterior);
    if (exact.posterior) {
      std::cout << fmt::format("{:<28} N({:.6f}, {:.6f})\n", "posterior p(z|x)",
                               exact.posterior->mean(), exact.posterior->variance());
    }
    std::cout << fmt::format(
        "\nMonte Carlo, {} samples each (seed {}); gradient in (mean, log_scale) of q, and the\n"
        "per-sample variance of each gradient component:\n",
        args.samples, args.seed);
    std::cout << fmt::format("{:<26} {:>22} {:>26} {:>26}\n", "estimator", "ELBO +- std. error",
                             "gradient", "per-sample variance");
    if (exact.gradient) {
      std::cout << fmt::format("{:<26} {:>22.6f} {:>12.5f} {:>12.5f} {:>26}\n", "closed form", elbo,
                               (*exact.gradient)[0], (*exact.gradient)[1], "0");
    }
    for (const auto& r : mc) {
      const auto& e = r.estimate;
      std::cout << fmt::format("{:<26} {:>12.6f} +- {:>7.4f} {:>12.5f} {:>12.5f} {:>12.5g} {:>12.5g}\n",
                               r.name, e.value, e.ValueStandardError(), e.gradient[0],
                               e.gradient[1], e.gradient_variance[0], e.gradient_variance[1]);
    }
  }

  if (args.fit) {
    nlohmann::json trace = nlohmann::json::array();
    if (!args.json) {
      const std::string how =
          f.elbo.estimator == ElboEstimator::kClosedForm
              ? "exact gradients"
              : fmt::format("{} sample{} per step{}", f.elbo.samples, f.elbo.samples == 1 ? "" : "s",
                            f.elbo.baseline ? ", leave-one-out baseline" : "");
      const std::string rate =
          f.final_learning_rate > 0
              ? fmt::format("learning rate {:g} decaying to {:g}", f.learning_rate,
                            f.final_learning_rate)
              : fmt::format("learning rate {:g}", f.learning_rate);
      std::cout << fmt::format(
          "\nFitting q by Adam on the {} gradient ({}, {}):\n{:>8} {:>12} {:>12} {:>12} {:>16}\n",
          ElboEstimatorName(f.elbo.estimator), how, rate, "step", "ELBO", "q mean", "q var",
          "KL(q||p(z|x))");
      if (coin) std::cout << "(ELBO and KL by quadrature)\n";
    }
    f.on_trace = [&](int step, const VariationalGaussian& qt, double value) {
      const Exact e = ComputeExact(*model, qt, coin);
      const double var = qt.cholesky()(0, 0) * qt.cholesky()(0, 0);
      trace.push_back({{"step", step}, {"elbo", e.expected_loglik - e.kl_prior},
                       {"q_mean", qt.mean()[0]}, {"q_var", var}, {"kl_posterior", e.kl_posterior}});
      if (!args.json) {
        std::cout << fmt::format("{:>8} {:>12.6f} {:>12.6f} {:>12.6f} {:>16.3e}\n", step,
                                 e.expected_loglik - e.kl_prior, qt.mean()[0], var,
                                 e.kl_posterior);
      }
      (void)value;
    };
    const FitResult r = FitElbo(*model, q, f);
    out["fit"] = {{"estimator", ElboEstimatorName(f.elbo.estimator)},
                  {"trace", trace},
                  {"converged", r.summary.converged},
                  {"termination", TerminationTypeName(r.summary.termination)},
                  {"message", r.summary.message}};
    if (!args.json) std::cout << r.summary.BriefReport() << "\n";
    if (!r.summary.converged) {
      std::fprintf(stderr, "cai: warning: %s\n", r.summary.BriefReport().c_str());
      ExitStatus() = 1;
    }
  }
  if (args.json) std::cout << out.dump() << "\n";
}

}  // namespace

void AddElboCommand(CLI::App& app) {
  auto args = std::make_shared<ElboArgs>();
  CLI::App* cmd = app.add_subcommand(
      "elbo", "the ELBO of q = N(q-mean, q-var) for z ~ N(prior-mean, prior-var) and x | z ~ "
              "N(z, lik-var) (or a coin: --heads/--flips), closed form beside Monte Carlo");
  cmd->add_option("--prior-mean", args->prior_mean, "mean of p(z) (0)");
  cmd->add_option("--prior-var", args->prior_var, "variance of p(z) (1)");
  auto* lik = cmd->add_option("--lik-var", args->lik_var, "variance of p(x|z) (1)");
  auto* x = cmd->add_option("--x", args->x, "the observation x");
  auto* heads = cmd->add_option("--heads", args->heads, "coin model: number of heads");
  auto* flips = cmd->add_option("--flips", args->flips, "coin model: number of flips");
  cmd->add_option("--q-mean", args->q_mean, "mean of q (0)");
  cmd->add_option("--q-var", args->q_var, "variance of q (1)");
  cmd->add_option("--samples", args->samples, "Monte Carlo samples per estimator (1000)");
  cmd->add_option("--seed", args->seed, "random seed (0)");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_flag("--fit", args->fit, "fit q by stochastic gradient ascent on the ELBO (Adam)");
  cmd->add_option("--steps", args->steps, "Adam steps for --fit (2000)");
  cmd->add_option("--learning-rate", args->learning_rate, "Adam learning rate for --fit (0.05)");
  cmd->add_option("--estimator", args->estimator,
                  "gradient for --fit: reparameterization (default), score-function, closed-form");
  cmd->add_option("--fit-samples", args->fit_samples, "Monte Carlo samples per --fit step (8)");
  heads->needs(flips);
  flips->needs(heads);
  heads->excludes(lik);
  heads->excludes(x);
  cmd->callback([args, x, heads]() {
    const bool coin = heads->count() > 0;
    if (!coin && x->count() == 0) {
      throw Error("elbo: give --x X (linear-Gaussian model) or --heads H --flips N (coin model)");
    }
    Run(*args, coin);
  });
}

}  // namespace cai::cli
