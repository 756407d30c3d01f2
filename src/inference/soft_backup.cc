#include "cai/inference/soft_backup.h"

#include <vector>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "soft_continuation.h"

// The same rounding everywhere (no a * b + c fused into an FMA): the vector sweep of
// soft_bellman.cc repeats these operations and promises the same bits (src/CMakeLists.txt passes
// -ffp-contract=off for this file; Clang is told here as well).
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace cai {

std::string BackupName(Backup backup) {
  return backup == Backup::kVariational ? "variational" : "exact";
}

Backup ParseBackup(const std::string& name) {
  if (name == "variational") return Backup::kVariational;
  if (name == "exact") return Backup::kExact;
  throw Error(fmt::format("backup: \"{}\" is not a backup (expected variational or exact)", name));
}

StateLogPrior StateLogPrior::Of(const ActionPrior& prior, int s, int num_actions) {
  switch (prior.kind()) {
    case PriorKind::kNone:
      return None();
    case PriorKind::kUniform:
      return Uniform(num_actions);
    case PriorKind::kTable:
      return Row(std::span<const double>(prior.log_table())
                     .subspan(static_cast<std::size_t>(s) * static_cast<std::size_t>(num_actions),
                              static_cast<std::size_t>(num_actions)));
  }
  return None();
}

namespace {

constexpr std::size_t kSmall = 64;

// n doubles: `small` when they fit, else `large`, resized.
double* Buffer(std::size_t n, double (&small)[kSmall], std::vector<double>& large) {
  if (n <= kSmall) return small;
  large.resize(n);
  return large.data();
}

}  // namespace

double SoftStateValue(std::span<const double> q, double temperature, StateLogPrior prior,
                      std::span<double> scratch) {
  const std::size_t n = q.size();
  double m = kNegInf;
  for (std::size_t a = 0; a < n; ++a) {
    if (prior.in_support(a)) m = std::max(m, q[a]);
  }
  if (temperature == 0.0) return m;
  if (prior.none()) {
    double s = 0.0;
    for (std::size_t a = 0; a < n; ++a) s += std::exp((q[a] - m) / temperature);
    return m + temperature * std::log(s);
  }
  const std::span<const double> log_row =
      prior.row == nullptr ? std::span<const double>() : std::span<const double>(prior.row, n);
  if (m == kNegInf || !std::isfinite(m)) return SoftMax(q, temperature, log_row);
  double small[kSmall];
  std::vector<double> large;
  double* z = scratch.size() >= n ? scratch.data() : Buffer(n, small, large);
  for (std::size_t a = 0; a < n; ++a) z[a] = (q[a] - m) / temperature;
  return m + temperature * LogMeanExp(std::span<const double>(z, n), log_row);
}

namespace {

// SoftArgMax with the prior as log weights: none as the counting measure, a constant (uniform)
// spelled out per action, a table row as given.
template <class F>
void WithLogWeights(StateLogPrior prior, std::size_t n, F&& f) {
  if (prior.row != nullptr) {
    f(std::span<const double>(prior.row, n));
  } else if (prior.constant == 0.0) {  // none (or -log 1 = -0, which adds the same +-0)
    f(std::span<const double>());
  } else {
    double small[kSmall];
    std::vector<double> large;
    double* w = Buffer(n, small, large);
    std::fill(w, w + n, prior.constant);
    f(std::span<const double>(w, n));
  }
}

}  // namespace

void SoftStatePolicy(std::span<const double> q, double temperature, StateLogPrior prior,
                     std::span<double> pi, double tie_tolerance) {
  WithLogWeights(prior, q.size(), [&](std::span<const double> log_weight) {
    SoftArgMax(q, temperature, log_weight, pi, tie_tolerance);
  });
}

double SoftStateBackup(std::span<const double> q, double temperature, StateLogPrior prior,
                       std::span<double> pi) {
  if (temperature == 0.0 || !prior.none()) {
    SoftStatePolicy(q, temperature, prior, pi);
    return SoftStateValue(q, temperature, prior);
  }
  // Prior none: the exponentials of SoftArgMax, exp((q - m) / temperature + 0 - 0), are those of
  // SoftStateValue, exp((q - m) / temperature); their sum, in the same order, gives both.
  const std::size_t n = q.size();
  double m = kNegInf;
  for (std::size_t a = 0; a < n; ++a) m = std::max(m, q[a]);
  double total = 0.0;
  for (std::size_t a = 0; a < n; ++a) {
    pi[a] = std::exp((q[a] - m) / temperature);
    total += pi[a];
  }
  for (std::size_t a = 0; a < n; ++a) pi[a] /= total;
  return m + temperature * std::log(total);
}

template <Backup kBackup>
double SoftContinuation(const std::int32_t* next, const double* prob, std::int64_t n,
                        const double* v, double temperature, double discount) {
  return detail::SoftContinuationInline<kBackup>(next, prob, n, v, temperature, discount);
}
template double SoftContinuation<Backup::kVariational>(const std::int32_t*, const double*,
                                                       std::int64_t, const double*, double, double);
template double SoftContinuation<Backup::kExact>(const std::int32_t*, const double*, std::int64_t,
                                                 const double*, double, double);

double SoftContinuation(Backup backup, const std::int32_t* next, const double* prob,
                        std::int64_t n, const double* v, double temperature, double discount) {
  return backup == Backup::kVariational
             ? detail::SoftContinuationInline<Backup::kVariational>(next, prob, n, v, temperature,
                                                                   discount)
             : detail::SoftContinuationInline<Backup::kExact>(next, prob, n, v, temperature,
                                                             discount);
}

TiltedDynamics ExactTiltedDynamics(const std::int32_t* next, const double* prob, std::int64_t n,
                                   const double* v, double temperature, double discount) {
  TiltedDynamics t;
  t.temperature = temperature;
  t.discount = discount;
  double m = kNegInf;
  for (std::int64_t k = 0; k < n; ++k) {
    if (prob[k] > 0.0) m = std::max(m, v[next[k]]);
  }
  t.shift = m;
  double sum = 0.0;
  for (std::int64_t k = 0; k < n; ++k) {
    if (prob[k] > 0.0) sum += prob[k] * t.Tilt(v[next[k]]);
  }
  t.norm = sum;
  return t;
}

}  // namespace cai
