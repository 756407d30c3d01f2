#include "cai/nn/mlp.h"

#include <cmath>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/adam.h"
#include "cai/core/error.h"

namespace cai::nn {
namespace {

using ::testing::HasSubstr;

Matrix RandomMatrix(int rows, int cols, Rng& rng, double scale = 1.0) {
  Matrix m(rows, cols);
  for (int j = 0; j < cols; ++j) {
    for (int i = 0; i < rows; ++i) m(i, j) = static_cast<float>(scale * rng.Normal());
  }
  return m;
}

// Which hidden units are active (> 0) for input x: a ReLU network is linear between changes of
// this pattern, so a finite difference is only compared where the pattern does not change.
std::vector<bool> ActivePattern(const Mlp& net, const Matrix& x) {
  std::vector<bool> pattern;
  Matrix h = x;
  for (int l = 0; l + 1 < net.num_layers(); ++l) {
    Matrix z = (net.weight(l) * h).colwise() + net.bias(l);
    for (Eigen::Index i = 0; i < z.size(); ++i) pattern.push_back(z.data()[i] > 0.0f);
    h = z.cwiseMax(0.0f);
  }
  return pattern;
}

// L = sum(G .* net(x)), evaluated in double from the float forward pass.
double Loss(const Mlp& net, const Matrix& x, const Matrix& g) {
  MlpWorkspace ws(net, static_cast<int>(x.cols()));
  const auto y = Forward(net, ws, x);
  return (y.cast<double>().array() * g.cast<double>().array()).sum();
}

// Central finite differences of L in every parameter and every input entry against Backward.
// Float forward passes: rounding noise in L is ~1e-7 |L| / h with h = 1e-2, truncation error is
// O(h^2) for the smooth activations; both are well below the 2e-3 tolerance (relative to max(1, |g|)).
// For ReLU, a difference whose two evaluations have different active-unit patterns straddles a
// kink and is skipped; at most a tenth may be skipped.
void CheckGradients(const MlpSpec& spec, std::uint64_t seed) {
  const bool relu = spec.hidden_activation == Activation::kRelu && !spec.hidden.empty();
  int skipped = 0, compared = 0;
  Rng rng(seed);
  Mlp net(spec, rng);
  const int batch = 5;
  const Matrix x = RandomMatrix(spec.input_dim, batch, rng);
  const Matrix g = RandomMatrix(spec.output_dim, batch, rng);
  MlpWorkspace ws(net, 8);
  Forward(net, ws, x);
  net.ZeroGradients();
  Matrix dx(spec.input_dim, batch);
  Backward(net, ws, g, &dx);
  const float h = 1e-2f;
  const std::vector<float> analytic(net.gradients().begin(), net.gradients().end());
  for (std::size_t i = 0; i < net.num_parameters(); ++i) {
    const float saved = net.parameters()[i];
    net.parameters()[i] = saved + h;
    const double plus = Loss(net, x, g);
    const auto pattern_plus = ActivePattern(net, x);
    net.parameters()[i] = saved - h;
    const double minus = Loss(net, x, g);
    const auto pattern_minus = ActivePattern(net, x);
    net.parameters()[i] = saved;
    if (relu && pattern_plus != pattern_minus) {
      ++skipped;
      continue;
    }
    ++compared;
    const double fd = (plus - minus) / (2.0 * h);
    ASSERT_NEAR(analytic[i], fd, 2e-3 * std::max(1.0, std::abs(fd))) << "parameter " << i;
  }
  for (int j = 0; j < batch; ++j) {
    for (int i = 0; i < spec.input_dim; ++i) {
      Matrix xp = x, xm = x;
      xp(i, j) += h;
      xm(i, j) -= h;
      if (relu && ActivePattern(net, xp) != ActivePattern(net, xm)) {
        ++skipped;
        continue;
      }
      ++compared;
      const double fd = (Loss(net, xp, g) - Loss(net, xm, g)) / (2.0 * h);
      ASSERT_NEAR(dx(i, j), fd, 2e-3 * std::max(1.0, std::abs(fd))) << "input " << i << "," << j;
    }
  }
  EXPECT_LE(skipped * 10, compared + skipped) << skipped << " of " << compared + skipped << " skipped";
}

TEST(Mlp, BackwardMatchesFiniteDifferencesTanh) {
  CheckGradients({3, {7, 5}, 2, Activation::kTanh, Activation::kIdentity}, 1);
}
TEST(Mlp, BackwardMatchesFiniteDifferencesElu) {
  CheckGradients({4, {6}, 3, Activation::kElu, Activation::kTanh}, 2);
}
TEST(Mlp, BackwardMatchesFiniteDifferencesIdentityNoHidden) {
  CheckGradients({4, {}, 2, Activation::kRelu, Activation::kIdentity}, 3);
}
TEST(Mlp, BackwardMatchesFiniteDifferencesRelu) {
  CheckGradients({3, {8, 8}, 1, Activation::kRelu, Activation::kIdentity}, 4);
}

TEST(Mlp, ParameterGradientsAccumulateAndInputGradientIsOptional) {
  Rng rng(5);
  Mlp net({2, {4}, 1, Activation::kTanh, Activation::kIdentity}, rng);
  MlpWorkspace ws(net, 3);
  const Matrix x = RandomMatrix(2, 3, rng);
  const Matrix g = Matrix::Ones(1, 3);
  net.ZeroGradients();
  Forward(net, ws, x);
  Backward(net, ws, g, nullptr);
  const std::vector<float> once(net.gradients().begin(), net.gradients().end());
  Forward(net, ws, x);
  Backward(net, ws, g, nullptr);
  for (std::size_t i = 0; i < once.size(); ++i) EXPECT_FLOAT_EQ(net.gradients()[i], 2.0f * once[i]);
  // Input gradient only: parameter gradients untouched.
  Matrix dx(2, 3);
  Forward(net, ws, x);
  Backward(net, ws, g, &dx, ParameterGradients::kSkip);
  for (std::size_t i = 0; i < once.size(); ++i) EXPECT_FLOAT_EQ(net.gradients()[i], 2.0f * once[i]);
  // Overwrite: the gradients of this batch alone, whatever was there.
  Forward(net, ws, x);
  Backward(net, ws, g, nullptr, ParameterGradients::kOverwrite);
  for (std::size_t i = 0; i < once.size(); ++i) EXPECT_FLOAT_EQ(net.gradients()[i], once[i]);
}

TEST(Mlp, ForwardOfOneColumnEqualsTheHandComputedNetwork) {
  Rng rng(6);
  Mlp net({2, {3}, 1, Activation::kRelu, Activation::kIdentity}, rng);
  Matrix x(2, 1);
  x << 0.5f, -1.25f;
  MlpWorkspace ws(net, 4);
  const float y = Forward(net, ws, x)(0, 0);
  double expected = net.bias(1)(0);
  for (int h = 0; h < 3; ++h) {
    double z = net.bias(0)(h);
    for (int i = 0; i < 2; ++i) z += static_cast<double>(net.weight(0)(h, i)) * x(i, 0);
    expected += static_cast<double>(net.weight(1)(0, h)) * std::max(0.0, z);
  }
  EXPECT_NEAR(y, expected, 1e-6);
}

TEST(Mlp, InitialisationIsSeededAndFanInUniform) {
  Rng a(7), b(7), c(8);
  const MlpSpec spec{16, {64}, 2, Activation::kRelu, Activation::kIdentity};
  Mlp na(spec, a), nb(spec, b), nc(spec, c);
  EXPECT_TRUE(std::equal(na.parameters().begin(), na.parameters().end(), nb.parameters().begin()));
  EXPECT_FALSE(std::equal(na.parameters().begin(), na.parameters().end(), nc.parameters().begin()));
  EXPECT_EQ(na.num_parameters(), 16u * 64 + 64 + 64 * 2 + 2);
  // Layer 0: bound 1/sqrt(16) = 0.25; layer 1: 1/8. Uniform on [-b, b] has variance b^2 / 3.
  const auto w0 = na.weight(0);
  EXPECT_LE(w0.cwiseAbs().maxCoeff(), 0.25f);
  EXPECT_LE(na.weight(1).cwiseAbs().maxCoeff(), 0.125f);
  const double var = w0.cast<double>().array().square().mean();
  // 1024 draws: the sample variance has relative standard deviation sqrt(0.8 / 1024) ~ 2.8%.
  EXPECT_NEAR(var, 0.25 * 0.25 / 3.0, 0.15 * 0.25 * 0.25 / 3.0);
}

TEST(Mlp, BadShapesAndSpecsAreClearErrors) {
  Rng rng(9);
  EXPECT_THAT([] { Rng r(1); Mlp({0, {4}, 1}, r); },
              ::testing::ThrowsMessage<Error>(HasSubstr("input_dim: 0")));
  EXPECT_THAT([] { Rng r(1); Mlp({2, {4, -3}, 1}, r); },
              ::testing::ThrowsMessage<Error>(HasSubstr("hidden[1]: -3")));
  Mlp net({2, {4}, 1}, rng);
  MlpWorkspace ws(net, 2);
  EXPECT_THAT([&] { Forward(net, ws, Matrix::Zero(3, 1)); },
              ::testing::ThrowsMessage<Error>(HasSubstr("input is 3 x 1 (expected 2 x [1, 2])")));
  EXPECT_THAT([&] { Forward(net, ws, Matrix::Zero(2, 3)); }, ::testing::Throws<Error>());
  EXPECT_THROW(MlpWorkspace(net, 0), Error);
  EXPECT_EQ(ParseLayerSizes("64,64"), (std::vector<int>{64, 64}));
  EXPECT_EQ(ParseLayerSizes("256"), (std::vector<int>{256}));
  EXPECT_TRUE(ParseLayerSizes("").empty());
  for (const char* bad : {"64,", ",64", "64,x", "0", "64;64", "-1"}) {
    EXPECT_THAT([&] { ParseLayerSizes(bad, "--hidden"); },
                ::testing::ThrowsMessage<Error>(HasSubstr("--hidden"))) << bad;
  }
  EXPECT_EQ(ParseActivation("elu"), Activation::kElu);
  EXPECT_THAT([] { ParseActivation("sigmoid", "--activation"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("--activation: \"sigmoid\"")));
}

TEST(Mlp, PolyakAndClipping) {
  std::vector<float> target = {1.0f, 2.0f}, source = {3.0f, -2.0f};
  PolyakUpdate(target, source, 0.25f);
  EXPECT_FLOAT_EQ(target[0], 1.5f);
  EXPECT_FLOAT_EQ(target[1], 1.0f);
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_FLOAT_EQ(ClipGradientNorm(g, 1.0f), 5.0f);
  EXPECT_FLOAT_EQ(g[0], 0.6f);
  EXPECT_FLOAT_EQ(g[1], 0.8f);
  EXPECT_FLOAT_EQ(ClipGradientNorm(g, 10.0f), 1.0f);
  EXPECT_FLOAT_EQ(g[0], 0.6f);
}

TEST(Mlp, AdamFitsALinearRegression) {
  // y = 2 x0 - x1 + 0.5 is representable by a network without hidden layers: Adam must reach it.
  Rng rng(10);
  Mlp net({2, {}, 1}, rng);
  Adam<float> adam(net.num_parameters(), {.learning_rate = 0.05});
  MlpWorkspace ws(net, 32);
  Matrix x(2, 32), dy(1, 32);
  for (int step = 0; step < 2000; ++step) {
    x = RandomMatrix(2, 32, rng);
    const auto y = Forward(net, ws, x);
    for (int j = 0; j < 32; ++j) dy(0, j) = (y(0, j) - (2 * x(0, j) - x(1, j) + 0.5f)) / 32.0f;
    net.ZeroGradients();
    Backward(net, ws, dy, nullptr);
    adam.Step(net.parameters(), net.gradients());
  }
  EXPECT_NEAR(net.weight(0)(0, 0), 2.0f, 1e-3);
  EXPECT_NEAR(net.weight(0)(0, 1), -1.0f, 1e-3);
  EXPECT_NEAR(net.bias(0)(0), 0.5f, 1e-3);
}

}  // namespace
}  // namespace cai::nn
