#include "cai/inference/finite_horizon.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"
#include "test_util.h"

namespace cai {
namespace {

FiniteHorizonOptions Options(double temperature, int horizon, Backup backup = Backup::kVariational) {
  FiniteHorizonOptions o;
  o.temperature = temperature;
  o.horizon = horizon;
  o.backup = backup;
  return o;
}

TEST(FiniteHorizon, DefaultsToNoDiscount) { EXPECT_EQ(FiniteHorizonOptions().discount, 1.0); }

TEST(FiniteHorizon, OneStepBanditIsTheLessonExample) {
  const auto sol = SolveFiniteHorizon(MakeTwoActionExample(), Options(1.0, 1));
  EXPECT_NEAR(sol.V(0, 0), 1.3133, 5e-5);
  EXPECT_NEAR(sol.Pi(0, 0, 0), 0.7311, 5e-5);
}

TEST(FiniteHorizon, RecursionByHandOnTheIssueExample) {
  // s0 --a0--> s1 (0.9) / s0 (0.1); every other (s, a) is terminal. T = 2, alpha = 1, variational.
  MdpSpec spec;
  spec.num_states = 2;
  spec.num_actions = 2;
  spec.rewards = {{1.0, 0.0}, {0.0, -1.0}};
  spec.transitions = {{0, 0, {{1, 0.9}, {0, 0.1}}}, {1, 1, {{1, 1.0}}}};
  const Mdp m = Mdp::FromSpec(spec);
  const auto sol = SolveFiniteHorizon(m, Options(1.0, 2));
  // t = 1 (last step): Q_1 = r.
  const double v1_s0 = std::log(std::exp(1.0) + std::exp(0.0));
  const double v1_s1 = std::log(std::exp(0.0) + std::exp(-1.0));
  EXPECT_NEAR(sol.V(1, 0), v1_s0, 1e-15);
  EXPECT_NEAR(sol.V(1, 1), v1_s1, 1e-15);
  // t = 0: Q_0(s0, a0) = 1 + 0.9 V_1(s1) + 0.1 V_1(s0); Q_0(s0, a1) = 0 (terminal).
  const double q = 1.0 + 0.9 * v1_s1 + 0.1 * v1_s0;
  EXPECT_NEAR(sol.Q(0, 0, 0), q, 1e-15);
  EXPECT_NEAR(sol.Q(0, 0, 1), 0.0, 1e-15);
  EXPECT_NEAR(sol.V(0, 0), std::log(std::exp(q) + 1.0), 1e-15);
  // Q_0(s1, a1) = -1 + V_1(s1).
  EXPECT_NEAR(sol.Q(0, 1, 1), -1.0 + v1_s1, 1e-15);
  // Exact backup: Q_0(s0, a0) = 1 + log(0.9 e^{V_1(s1)} + 0.1 e^{V_1(s0)}).
  const auto ex = SolveFiniteHorizon(m, Options(1.0, 2, Backup::kExact));
  EXPECT_NEAR(ex.Q(0, 0, 0), 1.0 + std::log(0.9 * std::exp(v1_s1) + 0.1 * std::exp(v1_s0)), 1e-15);
}

TEST(FiniteHorizon, ValuesAreTheSoftMaxOfQAtEveryStep) {
  const Mdp m = MakeRandomMdp({6, 3, 2, 0.2, 2});
  const auto sol = SolveFiniteHorizon(m, Options(0.5, 5));
  for (int t = 0; t < 5; ++t) {
    for (int s = 0; s < 6; ++s) {
      std::vector<double> q = {sol.Q(t, s, 0), sol.Q(t, s, 1), sol.Q(t, s, 2)};
      EXPECT_NEAR(sol.V(t, s), SoftMax(q, 0.5), 1e-13);
      double total = 0.0;
      for (int a = 0; a < 3; ++a) total += sol.Pi(t, s, a);
      EXPECT_NEAR(total, 1.0, 1e-14);
    }
  }
}

TEST(FiniteHorizon, LongDiscountedHorizonConvergesToTheStationarySolution) {
  const Mdp m = MakeRandomMdp({10, 3, 3, 0.0, 8});
  for (Backup backup : {Backup::kVariational, Backup::kExact}) {
    auto o = Options(0.6, 600, backup);
    o.discount = 0.9;  // 0.9^600 ~ 1e-28: the truncation is far below the tolerance
    const auto fh = SolveFiniteHorizon(m, o);
    SoftValueIterationOptions so;
    so.temperature = 0.6;
    so.discount = 0.9;
    so.backup = backup;
    const auto [sol, summary] = SolveSoftValueIteration(m, so);
    std::vector<double> v0(fh.ValuesAt(0).begin(), fh.ValuesAt(0).end());
    EXPECT_LT(testing::MaxAbsDiff(v0, sol.values), 1e-9);
  }
}

TEST(FiniteHorizon, InvalidOptions) {
  EXPECT_THAT([] { SolveFiniteHorizon(MakeTwoActionExample(), Options(1.0, 0)); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("horizon: 0 is invalid")));
  EXPECT_THROW(SolveFiniteHorizon(MakeTwoActionExample(), Options(-2.0, 3)), Error);
}

}  // namespace
}  // namespace cai
