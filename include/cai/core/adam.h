// Adam (Kingma and Ba, 2015): the stochastic gradient optimiser shared by ELBO fitting and the
// neural-network solvers. Header-only, templated on the scalar (double for tabular and VI code,
// float for networks).
#pragma once

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
  Adam(std::size_t num_parameters, const AdamOptions& options)
      : options_(options), m_(num_parameters, Scalar(0)), v_(num_parameters, Scalar(0)) {
    ValidateAdamOptions(options);
  }

  /// One step with the options' learning rate, or `learning_rate` if positive.
  void Step(std::span<Scalar> params, std::span<const Scalar> gradient,
            double learning_rate = 0.0) {
    assert(params.size() == m_.size() && gradient.size() == m_.size());
    ++t_;
    const double lr = learning_rate > 0.0 ? learning_rate : options_.learning_rate;
    const double c1 = 1.0 - std::pow(options_.beta1, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(options_.beta2, static_cast<double>(t_));
    const auto b1 = static_cast<Scalar>(options_.beta1);
    const auto b2 = static_cast<Scalar>(options_.beta2);
    for (std::size_t i = 0; i < m_.size(); ++i) {
      const Scalar g = gradient[i];
      m_[i] = b1 * m_[i] + (Scalar(1) - b1) * g;
      v_[i] = b2 * v_[i] + (Scalar(1) - b2) * g * g;
      const double m_hat = static_cast<double>(m_[i]) / c1;
      const double v_hat = static_cast<double>(v_[i]) / c2;
      params[i] -= static_cast<Scalar>(lr * m_hat / (std::sqrt(v_hat) + options_.epsilon));
    }
  }

  long long steps() const { return t_; }
  const AdamOptions& options() const { return options_; }

 private:
  AdamOptions options_;
  std::vector<Scalar> m_;
  std::vector<Scalar> v_;
  long long t_ = 0;
};

}  // namespace cai
