// Adam: the bias-corrected first step, convergence on a quadratic, validation.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "cai/core/adam.h"
#include "cai/core/error.h"

namespace cai {
namespace {

// With bias correction, the first step moves each parameter by learning_rate * g / (|g| + eps'):
// almost exactly the learning rate, against the gradient's sign, whatever the gradient's scale.
TEST(Adam, FirstStepIsTheLearningRateTimesTheSign) {
  AdamOptions o;
  o.learning_rate = 0.1;
  Adam<double> adam(3, o);
  std::vector<double> x = {1.0, -2.0, 0.5};
  const std::vector<double> g = {1e-3, -250.0, 4.0};
  adam.Step(x, g);
  const std::vector<double> x0 = {1.0, -2.0, 0.5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(x[i], x0[i] - 0.1 * g[i] / (std::abs(g[i]) + 1e-8), 1e-15) << i;
    EXPECT_NEAR(std::abs(x[i] - x0[i]), 0.1, 0.1 * 1e-5) << i;
  }
  EXPECT_EQ(adam.steps(), 1);
}

TEST(Adam, MinimisesAnIllConditionedQuadratic) {
  // f(x) = sum_i c_i (x_i - t_i)^2 / 2 with curvatures over four orders of magnitude.
  const std::vector<double> c = {1e-2, 1.0, 1e2};
  const std::vector<double> t = {3.0, -1.0, 0.25};
  AdamOptions o;
  o.learning_rate = 0.05;
  Adam<double> adam(3, o);
  std::vector<double> x(3, 0.0);
  std::vector<double> g(3);
  for (int step = 0; step < 5000; ++step) {
    const double lr = 0.05 * std::pow(1e-3, step / 4999.0);  // geometric decay to 5e-5
    for (int i = 0; i < 3; ++i) g[i] = c[i] * (x[i] - t[i]);
    adam.Step(x, g, lr);
  }
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(x[i], t[i], 1e-3) << i;
  // float works the same way.
  Adam<float> adam_f(1, o);
  std::vector<float> xf = {0.0f};
  for (int step = 0; step < 2000; ++step) {
    const std::vector<float> gf = {xf[0] - 1.0f};
    adam_f.Step(xf, gf);
  }
  EXPECT_NEAR(xf[0], 1.0f, 1e-2f);
}

TEST(Adam, ValidatesOptions) {
  AdamOptions o;
  o.learning_rate = 0.0;
  EXPECT_THROW(Adam<double>(1, o), Error);
  o = AdamOptions{};
  o.beta1 = 1.0;
  EXPECT_THROW(Adam<double>(1, o), Error);
  o = AdamOptions{};
  o.beta2 = -0.1;
  EXPECT_THROW(Adam<double>(1, o), Error);
  o = AdamOptions{};
  o.epsilon = 0.0;
  EXPECT_THROW(Adam<double>(1, o), Error);
}

}  // namespace
}  // namespace cai
