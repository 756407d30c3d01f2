// FitIrl: L-BFGS with an Armijo backtracking line search, or Adam, on the IRL objective.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "cai/core/adam.h"
#include "cai/core/error.h"
#include "cai/irl/maxent_irl.h"

namespace cai {
namespace {

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double NormInf(const std::vector<double>& a) {
  double m = 0.0;
  for (double x : a) m = std::max(m, std::abs(x));
  return m;
}

// Minimises F = -L. Every accepted step satisfies F(x + t d) <= F(x) + c1 t grad F . d with
// grad F . d < 0, so F decreases strictly.
IrlFitResult FitLbfgs(IrlObjective& objective, const IrlFitOptions& o, std::vector<double> x) {
  const std::size_t n = x.size();
  constexpr double kArmijo = 1e-4;
  constexpr int kMaxBacktracks = 60;
  IrlFitResult result;
  std::vector<double> g(n), g_new(n), x_new(n), d(n), alpha_hist;
  int evaluations = 1;
  double f = -objective.Evaluate(x, g);
  for (double& v : g) v = -v;
  result.trace.push_back({0, evaluations, -f, NormInf(g)});
  struct Pair {
    std::vector<double> s, y;
    double rho;
  };
  std::deque<Pair> memory;
  for (int iter = 1; iter <= o.max_iterations; ++iter) {
    if (NormInf(g) <= o.gradient_tolerance) {
      result.summary.Finish(TerminationType::kConverged,
                            fmt::format("converged: gradient norm {:.3g} <= {:.3g} after {} iterations",
                                        NormInf(g), o.gradient_tolerance, iter - 1));
      break;
    }
    // Two-loop recursion: d = -H g.
    d = g;
    alpha_hist.assign(memory.size(), 0.0);
    for (std::size_t i = memory.size(); i-- > 0;) {
      alpha_hist[i] = memory[i].rho * Dot(memory[i].s, d);
      for (std::size_t j = 0; j < n; ++j) d[j] -= alpha_hist[i] * memory[i].y[j];
    }
    const double h0 = memory.empty()
                          ? 1.0 / std::max(1.0, std::sqrt(Dot(g, g)))
                          : Dot(memory.back().s, memory.back().y) / Dot(memory.back().y, memory.back().y);
    for (double& v : d) v *= h0;
    for (std::size_t i = 0; i < memory.size(); ++i) {
      const double beta = memory[i].rho * Dot(memory[i].y, d);
      for (std::size_t j = 0; j < n; ++j) d[j] += (alpha_hist[i] - beta) * memory[i].s[j];
    }
    for (double& v : d) v = -v;
    double slope = Dot(g, d);
    if (!(slope < 0.0)) {  // not a descent direction: restart from steepest descent
      memory.clear();
      const double scale = 1.0 / std::max(1.0, std::sqrt(Dot(g, g)));
      for (std::size_t j = 0; j < n; ++j) d[j] = -g[j] * scale;
      slope = Dot(g, d);
    }
    double step = 1.0;
    bool accepted = false;
    double f_new = 0.0;
    for (int k = 0; k < kMaxBacktracks; ++k) {
      for (std::size_t j = 0; j < n; ++j) x_new[j] = x[j] + step * d[j];
      bool finite = true;
      for (double v : x_new) finite = finite && std::isfinite(v);
      if (finite) {
        try {
          f_new = -objective.Evaluate(x_new, g_new);
        } catch (const Error&) {
          f_new = std::numeric_limits<double>::infinity();  // e.g. overflow far out: step back
        }
        ++evaluations;
        if (std::isfinite(f_new) && f_new <= f + kArmijo * step * slope) {
          accepted = true;
          break;
        }
      }
      step *= 0.5;
    }
    if (!accepted) {
      // Near a stationary point the line search runs out of precision: that counts as converged.
      result.summary.Finish(NormInf(g) <= 1e3 * o.gradient_tolerance ? TerminationType::kConverged
                                                                      : TerminationType::kFailure,
                            fmt::format("stopped: the line search found no increase after {} "
                                        "iterations (gradient norm {:.3g})", iter - 1, NormInf(g)));
      break;
    }
    for (double& v : g_new) v = -v;
    Pair p{std::vector<double>(n), std::vector<double>(n), 0.0};
    for (std::size_t j = 0; j < n; ++j) {
      p.s[j] = x_new[j] - x[j];
      p.y[j] = g_new[j] - g[j];
    }
    const double sy = Dot(p.s, p.y);
    const double decrease = f - f_new;
    x.swap(x_new);
    g.swap(g_new);
    f = f_new;
    result.summary.iterations = iter;
    result.trace.push_back({iter, evaluations, -f, NormInf(g)});
    if (sy > 1e-12 * std::sqrt(Dot(p.s, p.s) * Dot(p.y, p.y))) {
      p.rho = 1.0 / sy;
      memory.push_back(std::move(p));
      if (memory.size() > static_cast<std::size_t>(o.lbfgs_memory)) memory.pop_front();
    }
    if (decrease <= o.relative_tolerance * std::max(1.0, std::abs(f))) {
      result.summary.Finish(TerminationType::kConverged,
                            fmt::format("converged: objective change {:.3g} is below the relative "
                                        "tolerance after {} iterations", decrease, iter));
      break;
    }
  }
  if (result.summary.message.empty()) {
    result.summary.Finish(TerminationType::kNoConvergence,
                          fmt::format("not converged after {} iterations (gradient norm {:.3g})",
                                      o.max_iterations, NormInf(g)));
  }
  result.summary.final_residual = NormInf(g);
  result.theta = std::move(x);
  return result;
}

IrlFitResult FitAdam(IrlObjective& objective, const IrlFitOptions& o, std::vector<double> x) {
  const std::size_t n = x.size();
  AdamOptions ao;
  ao.learning_rate = o.learning_rate;
  Adam<double> adam(n, ao);
  IrlFitResult result;
  std::vector<double> g(n);
  double f = objective.Evaluate(x, g);
  result.trace.push_back({0, 1, f, NormInf(g)});
  for (int iter = 1; iter <= o.max_iterations; ++iter) {
    if (NormInf(g) <= o.gradient_tolerance) {
      result.summary.Finish(TerminationType::kConverged,
                            fmt::format("converged: gradient norm {:.3g} <= {:.3g} after {} iterations",
                                        NormInf(g), o.gradient_tolerance, iter - 1));
      break;
    }
    for (double& v : g) v = -v;  // Adam minimises
    adam.Step(x, g);
    f = objective.Evaluate(x, g);
    result.summary.iterations = iter;
    result.trace.push_back({iter, iter + 1, f, NormInf(g)});
  }
  if (result.summary.message.empty()) {
    result.summary.Finish(TerminationType::kNoConvergence,
                          fmt::format("not converged after {} iterations (gradient norm {:.3g})",
                                      o.max_iterations, NormInf(g)));
  }
  result.summary.final_residual = NormInf(g);
  result.theta = std::move(x);
  return result;
}

}  // namespace

std::string IrlOptimizerName(IrlOptimizer optimizer) {
  return optimizer == IrlOptimizer::kLbfgs ? "lbfgs" : "adam";
}

IrlOptimizer ParseIrlOptimizer(const std::string& name) {
  if (name == "lbfgs") return IrlOptimizer::kLbfgs;
  if (name == "adam") return IrlOptimizer::kAdam;
  throw Error(fmt::format("optimizer: \"{}\" is not an optimizer (expected lbfgs or adam)", name));
}

void ValidateIrlFitOptions(const IrlFitOptions& o) {
  if (o.max_iterations < 0) {
    throw Error(fmt::format("max_iterations: {} is invalid (expected >= 0)", o.max_iterations));
  }
  if (!(o.gradient_tolerance >= 0.0)) {
    throw Error(fmt::format("gradient_tolerance: {} is invalid (expected >= 0)",
                            o.gradient_tolerance));
  }
  if (!(o.relative_tolerance >= 0.0)) {
    throw Error(fmt::format("relative_tolerance: {} is invalid (expected >= 0)",
                            o.relative_tolerance));
  }
  if (o.lbfgs_memory < 1 || o.lbfgs_memory > 100) {
    throw Error(fmt::format("lbfgs_memory: {} is invalid (expected 1 to 100)", o.lbfgs_memory));
  }
  if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0.0)) {
    throw Error(fmt::format("learning_rate: {} is invalid (expected a finite number > 0)",
                            o.learning_rate));
  }
}

IrlFitResult FitIrl(IrlObjective& objective, const IrlFitOptions& options,
                    std::span<const double> initial_theta) {
  ValidateIrlFitOptions(options);
  const auto n = static_cast<std::size_t>(objective.num_parameters());
  std::vector<double> x(n, 0.0);
  if (!initial_theta.empty()) {
    if (initial_theta.size() != n) {
      throw Error(fmt::format("initial theta: {} values (expected {}, one per feature)",
                              initial_theta.size(), n));
    }
    x.assign(initial_theta.begin(), initial_theta.end());
  }
  IrlFitResult result = options.optimizer == IrlOptimizer::kLbfgs ? FitLbfgs(objective, options, std::move(x))
                                                                  : FitAdam(objective, options, std::move(x));
  result.converged = result.summary.converged;
  result.iterations = result.summary.iterations;
  result.message = result.summary.message;
  return result;
}

}  // namespace cai
