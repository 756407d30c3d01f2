// FitIrl: L-BFGS with an Armijo backtracking line search, or Adam, on the IRL objective, one
// iteration at a time (IrlFitter), and IrlRunTrainer, the fit as a run::Trainer.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "cai/core/adam.h"
#include "cai/core/error.h"
#include "cai/irl/irl_fitter.h"
#include "cai/irl/maxent_irl.h"
#include "cai/nn/safetensors.h"

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

IrlFitter::IrlFitter(IrlObjective& objective, const IrlFitOptions& options, std::span<const double> initial_theta)
    : objective_(&objective), options_(options) {
  ValidateIrlFitOptions(options);
  const auto n = static_cast<std::size_t>(objective.num_parameters());
  x_.assign(n, 0.0);
  if (!initial_theta.empty()) {
    if (initial_theta.size() != n) {
      throw Error(fmt::format("initial theta: {} values (expected {}, one per feature)",
                              initial_theta.size(), n));
    }
    x_.assign(initial_theta.begin(), initial_theta.end());
  }
  g_.assign(n, 0.0);
  if (options.optimizer == IrlOptimizer::kLbfgs) {
    f_ = -objective.Evaluate(x_, g_);
    for (double& v : g_) v = -v;
    result_.trace.push_back({0, evaluations_, -f_, NormInf(g_)});
  } else {
    AdamOptions ao;
    ao.learning_rate = options.learning_rate;
    adam_.emplace(n, ao);
    f_ = objective.Evaluate(x_, g_);
    result_.trace.push_back({0, 1, f_, NormInf(g_)});
  }
  StopAtBudget();
}

void IrlFitter::StopAtBudget() {
  if (!done_ && iterations_ >= options_.max_iterations) {
    Stop(false, fmt::format("not converged after {} iterations (gradient norm {:.3g})", options_.max_iterations,
                            NormInf(g_)));
    at_budget_ = true;
  }
}

void IrlFitter::Stop(bool converged, std::string message) {
  converged_ = converged;
  message_ = std::move(message);
  done_ = true;
}

IrlFitResult IrlFitter::result() const {
  IrlFitResult r = result_;
  r.theta = x_;
  // The one summary shape: a fit stopped by its budget did not converge; one whose line search
  // stalled away from a stationary point failed.
  r.summary = SolverSummary{};
  if (done_) {
    r.summary.Finish(converged_   ? TerminationType::kConverged
                     : at_budget_ ? TerminationType::kNoConvergence
                                  : TerminationType::kFailure,
                     message_);
  } else {
    r.summary.message = "in progress";
  }
  r.summary.iterations = iterations_;
  r.summary.final_residual = NormInf(g_);
  return r;
}

void IrlFitter::Step() {
  if (done_) return;
  if (options_.optimizer == IrlOptimizer::kLbfgs) {
    StepLbfgs();
  } else {
    StepAdam();
  }
  StopAtBudget();
}

// Minimises F = -L. Every accepted step satisfies F(x + t d) <= F(x) + c1 t grad F . d with
// grad F . d < 0, so F decreases strictly.
void IrlFitter::StepLbfgs() {
  constexpr double kArmijo = 1e-4;
  constexpr int kMaxBacktracks = 60;
  const std::size_t n = x_.size();
  const int iter = iterations_ + 1;
  std::vector<double>& x = x_;
  std::vector<double>& g = g_;
  if (NormInf(g) <= options_.gradient_tolerance) {
    Stop(true, fmt::format("converged: gradient norm {:.3g} <= {:.3g} after {} iterations", NormInf(g),
                           options_.gradient_tolerance, iter - 1));
    return;
  }
  // Two-loop recursion: d = -H g.
  std::vector<double> d = g, alpha_hist(memory_.size(), 0.0);
  for (std::size_t i = memory_.size(); i-- > 0;) {
    alpha_hist[i] = memory_[i].rho * Dot(memory_[i].s, d);
    for (std::size_t j = 0; j < n; ++j) d[j] -= alpha_hist[i] * memory_[i].y[j];
  }
  const double h0 = memory_.empty()
                        ? 1.0 / std::max(1.0, std::sqrt(Dot(g, g)))
                        : Dot(memory_.back().s, memory_.back().y) / Dot(memory_.back().y, memory_.back().y);
  for (double& v : d) v *= h0;
  for (std::size_t i = 0; i < memory_.size(); ++i) {
    const double beta = memory_[i].rho * Dot(memory_[i].y, d);
    for (std::size_t j = 0; j < n; ++j) d[j] += (alpha_hist[i] - beta) * memory_[i].s[j];
  }
  for (double& v : d) v = -v;
  double slope = Dot(g, d);
  if (!(slope < 0.0)) {  // not a descent direction: restart from steepest descent
    memory_.clear();
    const double scale = 1.0 / std::max(1.0, std::sqrt(Dot(g, g)));
    for (std::size_t j = 0; j < n; ++j) d[j] = -g[j] * scale;
    slope = Dot(g, d);
  }
  std::vector<double> x_new(n), g_new(n);
  double step = 1.0;
  bool accepted = false;
  double f_new = 0.0;
  for (int k = 0; k < kMaxBacktracks; ++k) {
    for (std::size_t j = 0; j < n; ++j) x_new[j] = x[j] + step * d[j];
    bool finite = true;
    for (double v : x_new) finite = finite && std::isfinite(v);
    if (finite) {
      try {
        f_new = -objective_->Evaluate(x_new, g_new);
      } catch (const Error&) {
        f_new = std::numeric_limits<double>::infinity();  // e.g. overflow far out: step back
      }
      ++evaluations_;
      if (std::isfinite(f_new) && f_new <= f_ + kArmijo * step * slope) {
        accepted = true;
        break;
      }
    }
    step *= 0.5;
  }
  if (!accepted) {
    Stop(NormInf(g) <= 1e3 * options_.gradient_tolerance,
         fmt::format("stopped: the line search found no increase after {} "
                     "iterations (gradient norm {:.3g})", iter - 1, NormInf(g)));
    return;
  }
  for (double& v : g_new) v = -v;
  Pair p{std::vector<double>(n), std::vector<double>(n), 0.0};
  for (std::size_t j = 0; j < n; ++j) {
    p.s[j] = x_new[j] - x[j];
    p.y[j] = g_new[j] - g[j];
  }
  const double sy = Dot(p.s, p.y);
  const double decrease = f_ - f_new;
  x.swap(x_new);
  g.swap(g_new);
  f_ = f_new;
  iterations_ = iter;
  result_.trace.push_back({iter, evaluations_, -f_, NormInf(g)});
  if (sy > 1e-12 * std::sqrt(Dot(p.s, p.s) * Dot(p.y, p.y))) {
    p.rho = 1.0 / sy;
    memory_.push_back(std::move(p));
    if (memory_.size() > static_cast<std::size_t>(options_.lbfgs_memory)) memory_.pop_front();
  }
  if (decrease <= options_.relative_tolerance * std::max(1.0, std::abs(f_))) {
    Stop(true, fmt::format("converged: objective change {:.3g} is below the relative "
                           "tolerance after {} iterations", decrease, iter));
  }
}

void IrlFitter::StepAdam() {
  const int iter = iterations_ + 1;
  if (NormInf(g_) <= options_.gradient_tolerance) {
    Stop(true, fmt::format("converged: gradient norm {:.3g} <= {:.3g} after {} iterations", NormInf(g_),
                           options_.gradient_tolerance, iter - 1));
    return;
  }
  for (double& v : g_) v = -v;  // Adam minimises
  adam_->Step(x_, g_);
  f_ = objective_->Evaluate(x_, g_);
  iterations_ = iter;
  result_.trace.push_back({iter, iter + 1, f_, NormInf(g_)});
}

void IrlFitter::Save(nn::SafetensorsFile& file) const {
  const auto n = static_cast<std::int64_t>(x_.size());
  const auto m = static_cast<std::int64_t>(memory_.size());
  const auto rows = static_cast<std::int64_t>(result_.trace.size());
  file.tensors["irl.theta"] = nn::Tensor::FromDoubles(x_, {n});
  file.tensors["irl.gradient"] = nn::Tensor::FromDoubles(g_, {n});
  // A fit stopped by its budget is saved as not done: resumed with a larger budget, it goes on.
  const std::int64_t counters[] = {iterations_, evaluations_, done_ && !at_budget_ ? 1 : 0,
                                   converged_ ? 1 : 0,
                                   adam_ ? adam_->steps() : 0};
  file.tensors["irl.counters"] = nn::Tensor::FromInt64(counters, {5});
  std::vector<double> s, y, rho, trace_values;
  std::vector<std::int64_t> trace_counts;
  for (const Pair& p : memory_) {
    s.insert(s.end(), p.s.begin(), p.s.end());
    y.insert(y.end(), p.y.begin(), p.y.end());
    rho.push_back(p.rho);
  }
  for (const IrlTraceRow& r : result_.trace) {
    trace_counts.insert(trace_counts.end(), {r.iteration, r.evaluations});
    trace_values.insert(trace_values.end(), {r.objective, r.gradient_norm});
  }
  const double f[] = {f_};
  file.tensors["irl.objective"] = nn::Tensor::FromDoubles(f, {1});
  file.tensors["irl.lbfgs_s"] = nn::Tensor::FromDoubles(s, {m, n});
  file.tensors["irl.lbfgs_y"] = nn::Tensor::FromDoubles(y, {m, n});
  file.tensors["irl.lbfgs_rho"] = nn::Tensor::FromDoubles(rho, {m});
  file.tensors["irl.trace_counts"] = nn::Tensor::FromInt64(trace_counts, {rows, 2});
  file.tensors["irl.trace_values"] = nn::Tensor::FromDoubles(trace_values, {rows, 2});
  if (adam_) {
    file.tensors["irl.adam_m"] = nn::Tensor::FromDoubles(adam_->first_moment(), {n});
    file.tensors["irl.adam_v"] = nn::Tensor::FromDoubles(adam_->second_moment(), {n});
  }
  file.metadata["irl.optimizer"] = IrlOptimizerName(options_.optimizer);
  file.metadata["irl.message"] = message_;
}

void IrlFitter::Restore(const nn::SafetensorsFile& file) {
  const auto meta = file.metadata.find("irl.optimizer");
  if (meta == file.metadata.end() || meta->second != IrlOptimizerName(options_.optimizer)) {
    throw Error(fmt::format("checkpoint: optimizer \"{}\" (expected \"{}\")",
                            meta == file.metadata.end() ? std::string() : meta->second,
                            IrlOptimizerName(options_.optimizer)));
  }
  const auto n = static_cast<std::int64_t>(x_.size());
  const std::int64_t vec[] = {n}, one[] = {1}, five[] = {5};
  auto x = nn::RequireTensor(file, "irl.theta", nn::DType::kF64, vec).ToDoubles();
  auto g = nn::RequireTensor(file, "irl.gradient", nn::DType::kF64, vec).ToDoubles();
  const auto counters = nn::RequireTensor(file, "irl.counters", nn::DType::kI64, five).ToInt64();
  const double f = nn::RequireTensor(file, "irl.objective", nn::DType::kF64, one).ToDoubles()[0];
  const auto leading = [&](const char* name) {
    const auto it = file.tensors.find(name);
    return it == file.tensors.end() || it->second.shape.empty() ? std::int64_t{0} : it->second.shape[0];
  };
  const std::int64_t m = leading("irl.lbfgs_rho"), rows = leading("irl.trace_counts");
  const std::int64_t mn[] = {m, n}, mm[] = {m}, r2[] = {rows, 2};
  const auto s = nn::RequireTensor(file, "irl.lbfgs_s", nn::DType::kF64, mn).ToDoubles();
  const auto y = nn::RequireTensor(file, "irl.lbfgs_y", nn::DType::kF64, mn).ToDoubles();
  const auto rho = nn::RequireTensor(file, "irl.lbfgs_rho", nn::DType::kF64, mm).ToDoubles();
  const auto counts = nn::RequireTensor(file, "irl.trace_counts", nn::DType::kI64, r2).ToInt64();
  const auto values = nn::RequireTensor(file, "irl.trace_values", nn::DType::kF64, r2).ToDoubles();
  if (counters[0] < 0 || counters[0] > options_.max_iterations || rows != counters[0] + 1) {
    throw Error(fmt::format("checkpoint: iteration {} with {} trace rows does not fit this fit's [0, {}] iterations",
                            counters[0], rows, options_.max_iterations));
  }
  if (adam_) {
    const auto am = nn::RequireTensor(file, "irl.adam_m", nn::DType::kF64, vec).ToDoubles();
    const auto av = nn::RequireTensor(file, "irl.adam_v", nn::DType::kF64, vec).ToDoubles();
    adam_->RestoreState(counters[4], am, av);
  }
  x_ = std::move(x);
  g_ = std::move(g);
  f_ = f;
  evaluations_ = static_cast<int>(counters[1]);
  done_ = counters[2] != 0;
  memory_.clear();
  const auto un = static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < rho.size(); ++i) {
    memory_.push_back(Pair{std::vector<double>(s.begin() + static_cast<std::ptrdiff_t>(i * un),
                                               s.begin() + static_cast<std::ptrdiff_t>((i + 1) * un)),
                           std::vector<double>(y.begin() + static_cast<std::ptrdiff_t>(i * un),
                                               y.begin() + static_cast<std::ptrdiff_t>((i + 1) * un)),
                           rho[i]});
  }
  result_ = IrlFitResult{};
  message_.clear();
  iterations_ = static_cast<int>(counters[0]);
  converged_ = counters[3] != 0;
  at_budget_ = false;
  if (done_) {
    const auto message = file.metadata.find("irl.message");
    if (message != file.metadata.end()) message_ = message->second;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(rows); ++i) {
    result_.trace.push_back({static_cast<int>(counts[2 * i]), static_cast<int>(counts[2 * i + 1]), values[2 * i],
                             values[2 * i + 1]});
  }
  StopAtBudget();
}

IrlFitResult FitIrl(IrlObjective& objective, const IrlFitOptions& options, std::span<const double> initial_theta) {
  IrlFitter fitter(objective, options, initial_theta);
  while (!fitter.done()) fitter.Step();
  return fitter.result();
}

IrlRunTrainer::IrlRunTrainer(IrlObjective& objective, const IrlFitOptions& options, std::string method,
                             nlohmann::json config)
    : fitter_(objective, options),
      max_iterations_(options.max_iterations),
      method_(std::move(method)),
      config_(std::move(config)) {}

std::span<const run::EpisodeStats> IrlRunTrainer::Step() {
  fitter_.Step();
  return {};
}

std::vector<std::pair<std::string, double>> IrlRunTrainer::Scalars() const {
  const IrlTraceRow& r = fitter_.last();
  return {{"irl/objective", r.objective},
          {"irl/gradient_norm", r.gradient_norm},
          {"irl/evaluations", static_cast<double>(r.evaluations)}};
}

void IrlRunTrainer::SaveCheckpoint(nn::SafetensorsFile& file) const {
  fitter_.Save(file);
  file.metadata["algorithm"] = "irl";
  file.metadata["env"] = method_;
  file.metadata["config"] = config_.dump();
}

void IrlRunTrainer::RestoreCheckpoint(const nn::SafetensorsFile& file) {
  run::CheckCheckpointOwner(file, "irl", method_);
  fitter_.Restore(file);
}

void IrlRunTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  const std::vector<double> theta = fitter_.result().theta;
  file.tensors["irl.theta"] = nn::Tensor::FromDoubles(theta, {static_cast<std::int64_t>(theta.size())});
  file.metadata["algorithm"] = "irl";
  file.metadata["env"] = method_;
}

}  // namespace cai
