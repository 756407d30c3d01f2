#include "cai/rl/squashed_gaussian.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

namespace cai::rl {
namespace {

// L(out) = sum_j [ w log pi(a_j) - sum_i (a_ij - t_i)^2 ] at fixed eps: the SAC actor loss with a
// quadratic stand-in for the critic. Evaluated in double from the float sample.
double Loss(const nn::Matrix& out, SquashedGaussianSample& s, float w, const Eigen::VectorXf& t) {
  EvaluateSquashedGaussian(out, -5.0f, 2.0f, static_cast<int>(out.cols()), s);
  double loss = 0;
  for (Eigen::Index j = 0; j < out.cols(); ++j) {
    loss += w * static_cast<double>(s.log_prob(0, j));
    for (Eigen::Index i = 0; i < t.size(); ++i) {
      const double r = static_cast<double>(s.squashed(i, j)) - t(i);
      loss -= r * r;
    }
  }
  return loss;
}

TEST(SquashedGaussian, BackwardMatchesFiniteDifferences) {
  const int d = 3, b = 4;
  Rng rng(1);
  nn::Matrix out(2 * d, b);
  for (int j = 0; j < b; ++j) {
    for (int i = 0; i < 2 * d; ++i) out(i, j) = static_cast<float>(0.7 * rng.Normal());
  }
  out(d, 0) = 3.0f;  // clipped log-std (max 2): no gradient
  const Eigen::VectorXf t = Eigen::Vector3f(0.2f, -0.5f, 0.9f);
  const float w = 0.3f;
  SquashedGaussianSample s(d, b);
  SampleSquashedGaussian(out, -5.0f, 2.0f, b, rng, s);
  nn::Matrix dloss_da(d, b), grad(2 * d, b);
  for (int j = 0; j < b; ++j) {
    for (int i = 0; i < d; ++i) dloss_da(i, j) = -2.0f * (s.squashed(i, j) - t(i));
  }
  SquashedGaussianBackward(s, dloss_da, w, b, grad);
  EXPECT_EQ(grad(d, 0), 0.0f);
  // Central differences with h = 1e-2 in float: truncation O(h^2) ~ 1e-4, rounding ~1e-5.
  const float h = 1e-2f;
  for (int j = 0; j < b; ++j) {
    for (int i = 0; i < 2 * d; ++i) {
      if (i == d && j == 0) continue;
      nn::Matrix plus = out, minus = out;
      plus(i, j) += h;
      minus(i, j) -= h;
      const double fd = (Loss(plus, s, w, t) - Loss(minus, s, w, t)) / (2.0 * h);
      EXPECT_NEAR(grad(i, j), fd, 1e-3 * std::max(1.0, std::abs(fd))) << i << "," << j;
    }
  }
}

TEST(SquashedGaussian, LogDensityIsTheChangeOfVariablesAndFiniteInTheTails) {
  // d = 1: log pi(a) = log N(u; mu, sigma) - log(1 - tanh(u)^2), checked against the direct formula
  // where it is accurate, and finite where 1 - tanh(u)^2 underflows.
  SquashedGaussianSample s(1, 1);
  nn::Matrix out(2, 1);
  out << 0.3f, std::log(0.5f);
  s.eps(0, 0) = 1.2f;
  EvaluateSquashedGaussian(out, -20.0f, 2.0f, 1, s);
  const double u = 0.3 + 0.5 * 1.2;
  const double expected = -0.5 * 1.2 * 1.2 - std::log(0.5) - 0.5 * std::log(2 * std::numbers::pi) -
                          std::log(1.0 - std::tanh(u) * std::tanh(u));
  EXPECT_NEAR(s.log_prob(0, 0), expected, 1e-5);
  EXPECT_FLOAT_EQ(s.squashed(0, 0), static_cast<float>(std::tanh(u)));
  out << 40.0f, 0.0f;  // 1 - tanh(40)^2 = 0 in float and in double; 2(log 2 - u - softplus(-2u)) is not
  s.eps(0, 0) = 0.0f;
  EvaluateSquashedGaussian(out, -20.0f, 2.0f, 1, s);
  EXPECT_TRUE(std::isfinite(s.log_prob(0, 0)));
  EXPECT_NEAR(s.log_prob(0, 0), -0.5 * std::log(2 * std::numbers::pi) - 2 * (std::log(2.0) - 40.0), 1e-4);
}

}  // namespace
}  // namespace cai::rl
