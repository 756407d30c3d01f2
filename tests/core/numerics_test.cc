#include "cai/core/numerics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace cai {
namespace {

TEST(LogSumExp, MatchesNaiveFormulaOnModerateInputs) {
  const std::vector<double> x = {0.3, -1.2, 2.5, 0.0};
  double naive = 0.0;
  for (double v : x) naive += std::exp(v);
  EXPECT_NEAR(LogSumExp(x), std::log(naive), 1e-15);
}

TEST(LogSumExp, DoesNotOverflowOrUnderflow) {
  EXPECT_DOUBLE_EQ(LogSumExp(std::vector<double>{1000.0, 1000.0}), 1000.0 + std::log(2.0));
  EXPECT_DOUBLE_EQ(LogSumExp(std::vector<double>{-1000.0, -1000.0}), -1000.0 + std::log(2.0));
}

TEST(LogSumExp, NegativeInfinityEntriesContributeNothing) {
  EXPECT_DOUBLE_EQ(LogSumExp(std::vector<double>{kNegInf, 0.0}), 0.0);
  EXPECT_EQ(LogSumExp(std::vector<double>{kNegInf, kNegInf}), kNegInf);
  EXPECT_EQ(LogSumExp(std::vector<double>{}), kNegInf);
}

TEST(LogSumExpWeighted, AddsLogWeights) {
  const std::vector<double> x = {1.0, 2.0};
  const std::vector<double> lw = {std::log(0.25), std::log(0.75)};
  EXPECT_NEAR(LogSumExpWeighted(x, lw), std::log(0.25 * std::exp(1.0) + 0.75 * std::exp(2.0)),
              1e-15);
}

TEST(SoftMax, TwoActionLessonExample) {
  // V = log(e + 1) = 1.3133 at temperature 1 (the lesson's worked example).
  EXPECT_NEAR(SoftMax(std::vector<double>{1.0, 0.0}, 1.0), std::log(std::exp(1.0) + 1.0), 1e-15);
}

TEST(SoftMax, TemperatureZeroIsTheMaxOverTheSupport) {
  const std::vector<double> x = {1.0, 5.0, 3.0};
  EXPECT_EQ(SoftMax(x, 0.0), 5.0);
  const std::vector<double> lw = {0.0, kNegInf, 0.0};  // action 1 excluded by its weight
  EXPECT_EQ(SoftMax(x, 0.0, lw), 3.0);
}

TEST(SoftMax, TinyAndHugeTemperaturesStayFinite) {
  const std::vector<double> x = {10.0, 9.0};
  // Tiny: (x - max) / T is -1e300, exp gives 0: the max exactly.
  EXPECT_EQ(SoftMax(x, 1e-300), 10.0);
  // Huge: T log(2) + mean-ish; relative to T log 2 the difference is the mean of x.
  const double t = 1e12;
  EXPECT_NEAR(SoftMax(x, t) - t * std::log(2.0), 9.5, 1e-3);
  // A uniform weight removes the log|A| growth exactly.
  const std::vector<double> uniform = {std::log(0.5), std::log(0.5)};
  EXPECT_NEAR(SoftMax(x, 1e8, uniform), 9.5, 1e-6);
}

TEST(SoftMax, TinyWeightsDoNotUnderflow) {
  // log weights far below log(DBL_MIN): a naive sum of w exp(x/T) would underflow to 0.
  const std::vector<double> x = {0.0, 0.0};
  const std::vector<double> lw = {-800.0, -801.0};
  EXPECT_NEAR(SoftMax(x, 1.0, lw), -800.0 + std::log(1.0 + std::exp(-1.0)), 1e-12);
}

TEST(LogMeanExp, MatchesTheDefinitionInBothRegimes) {
  const std::vector<double> z = {0.0, -0.3, -0.7};
  const std::vector<double> lw = {std::log(0.2), std::log(0.5), std::log(0.3)};
  EXPECT_NEAR(LogMeanExp(z, lw),
              std::log(0.2 + 0.5 * std::exp(-0.3) + 0.3 * std::exp(-0.7)), 1e-15);
  const std::vector<double> far = {0.0, -5.0, -40.0};
  EXPECT_NEAR(LogMeanExp(far), std::log((1.0 + std::exp(-5.0) + std::exp(-40.0)) / 3.0), 1e-15);
  // Unnormalised weights are normalised.
  const std::vector<double> lw2 = {std::log(2.0), std::log(5.0), std::log(3.0)};
  EXPECT_NEAR(LogMeanExp(z, lw2), LogMeanExp(z, lw), 1e-15);
}

TEST(LogMeanExp, NearlyEqualArgumentsKeepRelativePrecision) {
  // log((1 + e^{-d}) / 2) = -d/2 + d^2/8 + O(d^4); a plain log(sum) - log 2 has absolute error
  // ~1e-16, i.e. relative error ~1 at d = 1e-15.
  for (double d : {1e-4, 1e-9, 1e-15}) {
    const double expected = -d / 2 + d * d / 8;
    EXPECT_NEAR(LogMeanExp(std::vector<double>{0.0, -d}), expected, 1e-14 * d) << d;
  }
}

TEST(SoftMax, HugeTemperatureWithANormalisedPriorTendsToThePriorMean) {
  // T log sum_a p(a) exp(x_a / T) = E_p[x] + Var_p[x] / (2T) + O(1/T^2): no T * 1e-16 error.
  const std::vector<double> x = {2.0, 1.0, 0.0};
  const std::vector<double> uniform(3, -std::log(3.0));
  const std::vector<double> table = {std::log(0.2), std::log(0.6), std::log(0.2)};
  for (double t : {1e6, 1e13, 1e16, 1e100, 1e300}) {
    EXPECT_NEAR(SoftMax(x, t, uniform), 1.0 + (2.0 / 3.0) / (2 * t), 1e-12) << t;
    // A table's weights sum to 1 only up to rounding, which T log(sum w) would magnify; the
    // solvers therefore use LogMeanExp, which normalises the weights, for priors.
    std::vector<double> z(3);
    for (int i = 0; i < 3; ++i) z[static_cast<std::size_t>(i)] = (x[static_cast<std::size_t>(i)] - 2.0) / t;
    EXPECT_NEAR(2.0 + t * LogMeanExp(z, table), 1.0 + 0.4 / (2 * t), 1e-12) << t;
  }
}

TEST(SoftArgMax, LessonTwoActionPolicy) {
  std::vector<double> pi(2);
  SoftArgMax(std::vector<double>{1.0, 0.0}, 1.0, {}, pi);
  EXPECT_NEAR(pi[0], std::exp(1.0) / (std::exp(1.0) + 1.0), 1e-15);
  EXPECT_NEAR(pi[1], 1.0 / (std::exp(1.0) + 1.0), 1e-15);
}

TEST(SoftArgMax, TemperatureZeroSplitsTiesEvenly) {
  std::vector<double> pi(3);
  SoftArgMax(std::vector<double>{2.0, 2.0, 1.0}, 0.0, {}, pi);
  EXPECT_EQ(pi[0], 0.5);
  EXPECT_EQ(pi[1], 0.5);
  EXPECT_EQ(pi[2], 0.0);
}

TEST(SoftArgMax, TemperatureZeroSplitsTiesInProportionToThePrior) {
  // The limit of p(a) exp(Q/T) / Z as T -> 0 weights tied maximisers by p(a).
  std::vector<double> pi(3);
  const std::vector<double> lw = {std::log(0.2), std::log(0.6), std::log(0.2)};
  SoftArgMax(std::vector<double>{2.0, 2.0, 1.0}, 0.0, lw, pi);
  EXPECT_NEAR(pi[0], 0.25, 1e-15);
  EXPECT_NEAR(pi[1], 0.75, 1e-15);
  EXPECT_EQ(pi[2], 0.0);
  // ... and a small positive temperature approaches that limit.
  std::vector<double> near(3);
  SoftArgMax(std::vector<double>{2.0, 2.0, 1.0}, 1e-3, lw, near);
  EXPECT_NEAR(near[0], 0.25, 1e-12);
}

TEST(SoftArgMax, HugeTemperatureGivesThePrior) {
  std::vector<double> pi(3);
  const std::vector<double> lw = {std::log(0.5), std::log(0.3), std::log(0.2)};
  SoftArgMax(std::vector<double>{100.0, 0.0, -100.0}, 1e12, lw, pi);
  EXPECT_NEAR(pi[0], 0.5, 1e-9);
  EXPECT_NEAR(pi[1], 0.3, 1e-9);
  EXPECT_NEAR(pi[2], 0.2, 1e-9);
}

TEST(KlAndEntropy, KnownValues) {
  const std::vector<double> p = {0.5, 0.5};
  const std::vector<double> q = {0.9, 0.1};
  EXPECT_NEAR(KlDivergence(p, q), 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1), 1e-15);
  EXPECT_EQ(KlDivergence(p, p), 0.0);
  EXPECT_TRUE(std::isinf(KlDivergence(p, std::vector<double>{1.0, 0.0})));
  EXPECT_NEAR(Entropy(p), std::log(2.0), 1e-15);
  EXPECT_EQ(Entropy(std::vector<double>{1.0, 0.0}), 0.0);
}

TEST(Softplus, MatchesTheLongDoubleFormulaAtModerateArguments) {
  // Within 8 units in the last place (relative), double and float, from e^-30 to 30.
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  constexpr double kEpsF = std::numeric_limits<float>::epsilon();
  for (double x = -30.0; x <= 30.0; x += 0.37) {
    const auto exact = static_cast<double>(std::log1p(std::exp(static_cast<long double>(x))));
    EXPECT_NEAR(Softplus(x), exact, 8 * kEps * exact) << x;
    const float xf = static_cast<float>(x);
    const auto exact_f = static_cast<double>(std::log1p(std::exp(static_cast<long double>(xf))));
    EXPECT_NEAR(Softplus(xf), exact_f, 8 * kEpsF * exact_f) << x;
    // log sigmoid(x) = -softplus(-x).
    const auto log_sigmoid = -static_cast<double>(std::log1p(std::exp(-static_cast<long double>(x))));
    EXPECT_NEAR(LogSigmoid(x), log_sigmoid, -8 * kEps * log_sigmoid) << x;
  }
}

TEST(Softplus, AsymptotesWithoutOverflow) {
  // softplus(x) -> x for large x (the plain formula overflows to inf), -> exp(x) for very negative x.
  EXPECT_EQ(Softplus(1000.0), 1000.0);
  EXPECT_EQ(Softplus(100.0f), 100.0f);
  EXPECT_DOUBLE_EQ(Softplus(-50.0), std::exp(-50.0));
  EXPECT_FLOAT_EQ(Softplus(-50.0f), std::exp(-50.0f));
  EXPECT_EQ(Softplus(-1000.0), 0.0);
  EXPECT_DOUBLE_EQ(Softplus(0.0), std::log(2.0));
  EXPECT_EQ(LogSigmoid(1000.0), -0.0);
  EXPECT_EQ(LogSigmoid(-1000.0), -1000.0);
  EXPECT_TRUE(std::isinf(std::log1p(std::exp(1000.0))));  // what the stable form avoids
}

TEST(Sigmoid, MatchesThePlainFormulaAtModerateArguments) {
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  constexpr float kEpsF = std::numeric_limits<float>::epsilon();
  for (double x = -30.0; x <= 30.0; x += 0.37) {
    const double plain = 1.0 / (1.0 + std::exp(-x));
    EXPECT_NEAR(Sigmoid(x), plain, 8 * kEps * plain) << x;
    const float xf = static_cast<float>(x);
    const float plain_f = 1.0f / (1.0f + std::exp(-xf));
    EXPECT_NEAR(Sigmoid(xf), plain_f, 8 * kEpsF * plain_f) << x;
    EXPECT_NEAR(Sigmoid(x) + Sigmoid(-x), 1.0, 4 * kEps) << x;
  }
}

TEST(Sigmoid, Asymptotes) {
  EXPECT_EQ(Sigmoid(0.0), 0.5);
  EXPECT_EQ(Sigmoid(0.0f), 0.5f);
  EXPECT_EQ(Sigmoid(1000.0), 1.0);
  EXPECT_EQ(Sigmoid(1000.0f), 1.0f);
  // For very negative x the value is exp(x) to full relative precision, down to the subnormals.
  EXPECT_DOUBLE_EQ(Sigmoid(-700.0), std::exp(-700.0));
  EXPECT_FLOAT_EQ(Sigmoid(-80.0f), std::exp(-80.0f));
  EXPECT_EQ(Sigmoid(-1000.0), 0.0);
}

}  // namespace
}  // namespace cai
