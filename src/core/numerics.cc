#include "cai/core/numerics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace cai {
namespace {

double LogWeightAt(std::span<const double> log_weight, std::size_t i) {
  return log_weight.empty() ? 0.0 : log_weight[i];
}

}  // namespace

double LogSumExp(std::span<const double> x) {
  double m = kNegInf;
  for (double v : x) m = std::max(m, v);
  if (m == kNegInf) return kNegInf;
  if (std::isinf(m)) return m;  // +inf dominates
  double s = 0.0;
  for (double v : x) s += std::exp(v - m);
  return m + std::log(s);
}

double LogSumExpWeighted(std::span<const double> x, std::span<const double> log_weight) {
  assert(x.size() == log_weight.size());
  double m = kNegInf;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, x[i] + log_weight[i]);
  if (m == kNegInf) return kNegInf;
  if (std::isinf(m)) return m;
  double s = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) s += std::exp(x[i] + log_weight[i] - m);
  return m + std::log(s);
}

namespace {

// Shared body of SoftMax / SoftArgMax for temperature > 0: z_i = (x_i - m) / temperature + log w_i
// with m = max x over the support; returns zmax and fills z (if given). Shifting x before the
// division keeps tiny temperatures finite; shifting z by its max keeps tiny weights from underflow.
double ShiftedLogits(std::span<const double> x, double temperature,
                     std::span<const double> log_weight, double m, std::span<double> z) {
  double zmax = kNegInf;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double lw = LogWeightAt(log_weight, i);
    const double zi = (lw == kNegInf) ? kNegInf : (x[i] - m) / temperature + lw;
    if (!z.empty()) z[i] = zi;
    zmax = std::max(zmax, zi);
  }
  return zmax;
}

double SupportMax(std::span<const double> x, std::span<const double> log_weight) {
  double m = kNegInf;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (LogWeightAt(log_weight, i) != kNegInf) m = std::max(m, x[i]);
  }
  return m;
}

}  // namespace

double LogMeanExp(std::span<const double> z, std::span<const double> log_weight) {
  assert(log_weight.empty() || log_weight.size() == z.size());
  double zmin = 0.0;
  double log_total = kNegInf;  // log sum_i w_i
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double lw = LogWeightAt(log_weight, i);
    if (lw == kNegInf) continue;
    zmin = std::min(zmin, z[i]);
    log_total = std::max(log_total, lw);
  }
  if (log_total == kNegInf) return kNegInf;
  // Normalise the weights by their sum (shifted by the largest log weight first).
  const double lw_max = log_total;
  double total = 0.0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double lw = LogWeightAt(log_weight, i);
    if (lw != kNegInf) total += std::exp(lw - lw_max);
  }
  log_total = lw_max + std::log(total);
  double acc = 0.0;
  if (zmin >= -1.0) {
    // Nearly equal z: mean of expm1 lies in [-0.64, 0], and log1p keeps its full precision.
    for (std::size_t i = 0; i < z.size(); ++i) {
      const double lw = LogWeightAt(log_weight, i);
      if (lw != kNegInf) acc += std::exp(lw - log_total) * std::expm1(z[i]);
    }
    return std::log1p(acc);
  }
  double m = kNegInf;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double lw = LogWeightAt(log_weight, i);
    if (lw != kNegInf) m = std::max(m, z[i] + lw);
  }
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double lw = LogWeightAt(log_weight, i);
    if (lw != kNegInf) acc += std::exp(z[i] + lw - m);
  }
  return m + std::log(acc) - log_total;
}

double SoftMax(std::span<const double> x, double temperature, std::span<const double> log_weight) {
  assert(log_weight.empty() || log_weight.size() == x.size());
  const double m = SupportMax(x, log_weight);
  if (m == kNegInf || std::isinf(m) || temperature == 0.0) return m;
  // temperature * log sum w exp(x / T) = m + T * (log sum w + LogMeanExp((x - m) / T; w)).
  double z_small[16];
  std::vector<double> z_large;
  double* z = z_small;
  if (x.size() > 16) {
    z_large.resize(x.size());
    z = z_large.data();
  }
  double lw_max = kNegInf;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double lw = LogWeightAt(log_weight, i);
    z[i] = lw == kNegInf ? 0.0 : (x[i] - m) / temperature;
    lw_max = std::max(lw_max, lw);
  }
  double total = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double lw = LogWeightAt(log_weight, i);
    if (lw != kNegInf) total += std::exp(lw - lw_max);
  }
  const double log_total = lw_max + std::log(total);
  return m + temperature * (LogMeanExp(std::span<const double>(z, x.size()), log_weight) +
                            log_total);
}

void SoftArgMax(std::span<const double> x, double temperature, std::span<const double> log_weight,
                std::span<double> out, double tie_tolerance) {
  assert(out.size() == x.size());
  assert(log_weight.empty() || log_weight.size() == x.size());
  const double m = SupportMax(x, log_weight);
  assert(m != kNegInf);
  double total = 0.0;
  if (temperature == 0.0) {
    // The limit: maximisers share the mass in proportion to their weights.
    double wmax = kNegInf;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double lw = LogWeightAt(log_weight, i);
      if (lw != kNegInf && x[i] >= m - tie_tolerance) wmax = std::max(wmax, lw);
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double lw = LogWeightAt(log_weight, i);
      out[i] = (lw != kNegInf && x[i] >= m - tie_tolerance) ? std::exp(lw - wmax) : 0.0;
      total += out[i];
    }
  } else {
    const double zmax = ShiftedLogits(x, temperature, log_weight, m, out);
    for (double& v : out) {
      v = (v == kNegInf) ? 0.0 : std::exp(v - zmax);
      total += v;
    }
  }
  for (double& v : out) v /= total;
}

double KlDivergence(std::span<const double> p, std::span<const double> q) {
  assert(p.size() == q.size());
  double kl = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] <= 0.0) continue;
    if (q[i] <= 0.0) return std::numeric_limits<double>::infinity();
    kl += p[i] * std::log(p[i] / q[i]);
  }
  return kl;
}

double Entropy(std::span<const double> p) {
  double h = 0.0;
  for (double v : p) {
    if (v > 0.0) h -= v * std::log(v);
  }
  return h;
}

// ---- softplus and sigmoid ----

namespace {

template <typename T>
T SoftplusOf(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

template <typename T>
T SigmoidOf(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace

double Softplus(double x) { return SoftplusOf(x); }
float Softplus(float x) { return SoftplusOf(x); }
double Sigmoid(double x) { return SigmoidOf(x); }
float Sigmoid(float x) { return SigmoidOf(x); }
double LogSigmoid(double x) { return -Softplus(-x); }

}  // namespace cai
