// Adam (Kingma and Ba, 2015): the stochastic gradient optimiser shared by ELBO fitting and the
// neural-network solvers. Header-only, templated on the scalar (double for tabular and VI code,
// float for networks).
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {

struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

/// Throws cai::Error naming the field unless learning_rate > 0, beta1 and beta2 in [0, 1) and
/// epsilon > 0 (all finite).
inline void ValidateAdamOptions(const AdamOptions& o) {
  if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0.0)) {
    throw Error(fmt::format("learning_rate: {} is invalid (expected a finite number > 0)",
                            o.learning_rate));
  }
  if (!(o.beta1 >= 0.0 && o.beta1 < 1.0)) {
    throw Error(fmt::format("beta1: {} is invalid (expected a number in [0, 1))", o.beta1));
  }
  if (!(o.beta2 >= 0.0 && o.beta2 < 1.0)) {
    throw Error(fmt::format("beta2: {} is invalid (expected a number in [0, 1))", o.beta2));
  }
  if (!(std::isfinite(o.epsilon) && o.epsilon > 0.0)) {
    throw Error(fmt::format("epsilon: {} is invalid (expected a finite number > 0)", o.epsilon));
  }
}

/// Minimises: theta <- theta - lr_t m_hat / (sqrt(v_hat) + epsilon), with the bias-corrected
/// moment estimates m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t). To maximise, pass the
/// negated gradient.
template <typename Scalar>
class Adam {
 public:
  // Validates before allocating (GCC 12 at -O3 otherwise reports a false -Wfree-nonheap-object on
  // the unwinding path of a throw after the moment vectors were allocated).
  Adam(std::size_t num_parameters, const AdamOptions& options)
      : options_(Validated(options)), m_(num_parameters, Scalar(0)), v_(num_parameters, Scalar(0)) {}

  /// One step with the options' learning rate, or `learning_rate` if positive. The update is one
  /// loop in Scalar arithmetic (vectorisable): theta -= (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps).
  void Step(std::span<Scalar> params, std::span<const Scalar> gradient,
            double learning_rate = 0.0) {
    assert(params.size() == m_.size() && gradient.size() == m_.size());
    ++t_;
    const double lr = learning_rate > 0.0 ? learning_rate : options_.learning_rate;
    const double c1 = 1.0 - std::pow(options_.beta1, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(options_.beta2, static_cast<double>(t_));
    const auto b1 = static_cast<Scalar>(options_.beta1);
    const auto b2 = static_cast<Scalar>(options_.beta2);
    const auto step = static_cast<Scalar>(lr / c1);
    const auto inv_sqrt_c2 = static_cast<Scalar>(1.0 / std::sqrt(c2));
    const auto eps = static_cast<Scalar>(options_.epsilon);
    Scalar* __restrict p = params.data();
    const Scalar* __restrict g = gradient.data();
    Scalar* __restrict m = m_.data();
    Scalar* __restrict v = v_.data();
    const std::size_t n = m_.size();
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = b1 * m[i] + (Scalar(1) - b1) * g[i];
      v[i] = b2 * v[i] + (Scalar(1) - b2) * g[i] * g[i];
      p[i] -= step * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + eps);
    }
  }

  /// Optimiser state, for checkpoints.
  std::span<const Scalar> first_moment() const { return m_; }
  std::span<const Scalar> second_moment() const { return v_; }
  /// Continues from a saved state; throws cai::Error if the sizes differ or steps < 0.
  void RestoreState(long long steps, std::span<const Scalar> first, std::span<const Scalar> second) {
    if (steps < 0 || first.size() != m_.size() || second.size() != v_.size()) {
      throw Error(fmt::format("adam state: {} steps with moments of size {} and {} (expected steps >= 0 "
                              "and size {})", steps, first.size(), second.size(), m_.size()));
    }
    t_ = steps;
    std::copy(first.begin(), first.end(), m_.begin());
    std::copy(second.begin(), second.end(), v_.begin());
  }

  long long steps() const { return t_; }
  const AdamOptions& options() const { return options_; }

 private:
  static const AdamOptions& Validated(const AdamOptions& options) {
    ValidateAdamOptions(options);
    return options;
  }
  AdamOptions options_;
  std::vector<Scalar> m_;
  std::vector<Scalar> v_;
  long long t_ = 0;
};

}  // namespace cai
