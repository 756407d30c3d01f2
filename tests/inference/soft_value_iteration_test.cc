#include "cai/inference/soft_value_iteration.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/mdp/builtins.h"
#include "test_util.h"

namespace cai {
namespace {

using ::testing::HasSubstr;
using testing::MaxAbsDiff;

SoftValueIterationOptions Options(double temperature, double discount,
                                  Backup backup = Backup::kVariational,
                                  ActionPrior prior = ActionPrior::None()) {
  SoftValueIterationOptions o;
  o.temperature = temperature;
  o.discount = discount;
  o.backup = backup;
  o.prior = std::move(prior);
  return o;
}

ActionPrior RandomPrior(int ns, int na, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> t(static_cast<std::size_t>(ns * na));
  for (int s = 0; s < ns; ++s) {
    double z = 0.0;
    for (int a = 0; a < na; ++a) z += (t[static_cast<std::size_t>(s * na + a)] = 0.1 + rng.Uniform());
    for (int a = 0; a < na; ++a) t[static_cast<std::size_t>(s * na + a)] /= z;
  }
  return ActionPrior::Table(ns, na, t);
}

TEST(SoftValueIteration, LessonTwoActionExample) {
  const auto [sol, summary] = SolveSoftValueIteration(MakeTwoActionExample(), Options(1.0, 0.9));
  EXPECT_TRUE(summary.converged);
  EXPECT_NEAR(sol.V(0), std::log(std::exp(1.0) + 1.0), 1e-14);
  EXPECT_NEAR(sol.Pi(0, 0), 0.7311, 5e-5);
  EXPECT_NEAR(sol.Pi(0, 1), 0.2689, 5e-5);
}

// Dual path: the fixed point of soft value iteration is the entropy-regularised value of its own
// soft policy, computed by a dense linear solve.
TEST(SoftValueIteration, FixedPointEqualsLinearSolvePolicyEvaluation) {
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    const Mdp m = MakeRandomMdp({12, 3, 3, seed % 2 ? 0.15 : 0.0, seed});
    for (double temperature : {0.1, 1.0, 4.0}) {
      for (int prior_kind = 0; prior_kind < 3; ++prior_kind) {
        const ActionPrior prior = prior_kind == 0   ? ActionPrior::None()
                                  : prior_kind == 1 ? ActionPrior::Uniform()
                                                    : RandomPrior(12, 3, seed + 100);
        const auto [sol, summary] = SolveSoftValueIteration(m, Options(temperature, 0.9, Backup::kVariational, prior));
        ASSERT_TRUE(summary.converged);
        const auto v = testing::EvaluatePolicyLinearSolve(m, sol.policy, temperature, 0.9, prior);
        EXPECT_LT(MaxAbsDiff(sol.values, v), 1e-8)
            << "seed " << seed << " temperature " << temperature << " prior " << prior_kind;
      }
    }
  }
}

TEST(SoftValueIteration, ErrorBoundHoldsAgainstATightReference) {
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    const Mdp m = MakeRandomMdp({15, 4, 3, 0.0, seed});
    for (Backup backup : {Backup::kVariational, Backup::kExact}) {
      auto loose = Options(0.5, 0.95, backup);
      loose.tolerance = 1e-4;
      auto tight = Options(0.5, 0.95, backup);
      tight.tolerance = 1e-13;
      const auto a = SolveSoftValueIteration(m, loose);
      const auto b = SolveSoftValueIteration(m, tight);
      ASSERT_TRUE(a.summary.converged && b.summary.converged);
      EXPECT_LE(a.summary.error_bound, 1e-4);
      const double true_error = MaxAbsDiff(a.solution.values, b.solution.values);
      EXPECT_LE(true_error, a.summary.error_bound + 1e-12);
      EXPECT_GT(true_error, 0.0);  // the loose run really stopped early
      EXPECT_GT(b.summary.iterations, a.summary.iterations);
    }
  }
}

TEST(SoftValueIteration, SolutionIsAFixedPoint) {
  const Mdp m = MakeRandomMdp({10, 3, 2, 0.1, 4});
  for (Backup backup : {Backup::kVariational, Backup::kExact}) {
    SoftValueIteration solver(m, Options(0.7, 0.8, backup));
    ASSERT_TRUE(solver.Solve().converged);
    EXPECT_LT(solver.Sweep(), 1e-10);
  }
}

TEST(SoftValueIteration, TemperatureZeroIsTheHardBellmanBackup) {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Mdp m = MakeRandomMdp({20, 4, 3, 0.1, seed});
    const auto [sol, summary] = SolveSoftValueIteration(m, Options(0.0, 0.9));
    ASSERT_TRUE(summary.converged);
    EXPECT_LT(MaxAbsDiff(sol.values, testing::HardValueIteration(m, 0.9)), 1e-9);
    // The policy is greedy: all its mass on maximising actions.
    for (int s = 0; s < 20; ++s) {
      double qmax = -1e300;
      for (int a = 0; a < 4; ++a) qmax = std::max(qmax, sol.Q(s, a));
      for (int a = 0; a < 4; ++a) {
        if (sol.Pi(s, a) > 0) {
          EXPECT_NEAR(sol.Q(s, a), qmax, 1e-9);
        }
      }
    }
  }
}

TEST(SoftValueIteration, TemperatureZeroSplitsTiesEvenly) {
  const auto [sol, summary] = SolveSoftValueIteration(MakeBandit({1.0, 1.0, 0.0}), Options(0.0, 0.5));
  EXPECT_EQ(sol.V(0), 1.0);
  EXPECT_EQ(sol.Pi(0, 0), 0.5);
  EXPECT_EQ(sol.Pi(0, 1), 0.5);
  EXPECT_EQ(sol.Pi(0, 2), 0.0);
  // Exact backup at temperature 0: max over reachable successors (the optimism made plain).
  const auto exact = SolveSoftValueIteration(MakeGamble({}), Options(0.0, 1.0, Backup::kExact));
  EXPECT_EQ(exact.solution.Q(0, 1), 10.0);  // as if the 10% win were certain
  EXPECT_EQ(exact.solution.Pi(0, 1), 1.0);
  const auto var = SolveSoftValueIteration(MakeGamble({}), Options(0.0, 1.0));
  EXPECT_NEAR(var.solution.Q(0, 1), 0.1 * 10 - 0.9 * 10, 1e-14);
  EXPECT_EQ(var.solution.Pi(0, 0), 1.0);
}

TEST(SoftValueIteration, SmallTemperaturesApproachHardValuesWithinTheEntropyBound) {
  // Counting measure: V_hard <= V_alpha <= V_hard + alpha log|A| / (1 - discount).
  const Mdp m = MakeRandomMdp({20, 4, 3, 0.0, 3});
  const auto hard = testing::HardValueIteration(m, 0.9);
  for (double alpha : {1.0, 0.1, 0.01, 1e-3, 1e-300}) {
    const auto [sol, summary] = SolveSoftValueIteration(m, Options(alpha, 0.9));
    ASSERT_TRUE(summary.converged);
    for (int s = 0; s < 20; ++s) {
      EXPECT_GE(sol.V(s), hard[static_cast<std::size_t>(s)] - 1e-9);
      EXPECT_LE(sol.V(s), hard[static_cast<std::size_t>(s)] + alpha * std::log(4.0) / 0.1 + 1e-9);
    }
  }
}

TEST(SoftValueIteration, HugeTemperatureGivesThePriorWithoutOverflow) {
  const Mdp m = MakeRandomMdp({10, 3, 2, 0.0, 1});
  for (double alpha : {1e6, 1e12, 1e200}) {
    const auto [sol, summary] = SolveSoftValueIteration(m, Options(alpha, 0.9));
    ASSERT_TRUE(summary.converged);
    for (double p : sol.policy) EXPECT_NEAR(p, 1.0 / 3.0, 1e-5);
    for (double v : sol.values) EXPECT_TRUE(std::isfinite(v));
    const ActionPrior prior = RandomPrior(10, 3, 5);
    const auto with_prior = SolveSoftValueIteration(m, Options(alpha, 0.9, Backup::kVariational, prior));
    for (std::size_t i = 0; i < prior.table().size(); ++i) {
      EXPECT_NEAR(with_prior.solution.policy[i], prior.table()[i], 1e-5);
    }
  }
}

TEST(SoftValueIteration, OverflowingValuesAreAClearError) {
  // alpha log|A| / (1 - discount) exceeds the largest double.
  EXPECT_THAT([] { SolveSoftValueIteration(MakeChain({}), Options(1e308, 0.9)); },
              ::testing::ThrowsMessage<Error>(HasSubstr("values stopped being finite")));
}

TEST(SoftValueIteration, UniformPriorShiftsValuesAndKeepsThePolicy) {
  // No terminal actions: every step pays -alpha log|A|, so V shifts by -alpha log|A| / (1 - gamma).
  const Mdp chain = MakeChain({});
  const double alpha = 0.7;
  const auto none = SolveSoftValueIteration(chain, Options(alpha, 0.9));
  const auto uniform = SolveSoftValueIteration(chain, Options(alpha, 0.9, Backup::kVariational, ActionPrior::Uniform()));
  for (int s = 0; s < chain.num_states(); ++s) {
    EXPECT_NEAR(uniform.solution.V(s) - none.solution.V(s), -alpha * std::log(2.0) / 0.1, 1e-9);
    for (int a = 0; a < 2; ++a) EXPECT_NEAR(uniform.solution.Pi(s, a), none.solution.Pi(s, a), 1e-12);
  }
  // One step (bandit): the shift is -alpha log|A|.
  const auto b0 = SolveSoftValueIteration(MakeThreeActionExample(), Options(alpha, 0.9));
  const auto b1 = SolveSoftValueIteration(MakeThreeActionExample(), Options(alpha, 0.9, Backup::kVariational, ActionPrior::Uniform()));
  EXPECT_NEAR(b1.solution.V(0) - b0.solution.V(0), -alpha * std::log(3.0), 1e-14);
}

TEST(SoftValueIteration, CountingMeasureValueLiesBetweenMaxQAndMaxQPlusEntropy) {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Mdp m = MakeRandomMdp({15, 5, 3, 0.1, seed});
    for (Backup backup : {Backup::kVariational, Backup::kExact}) {
      const double alpha = 0.3 + seed * 0.5;
      const auto [sol, summary] = SolveSoftValueIteration(m, Options(alpha, 0.9, backup));
      for (int s = 0; s < 15; ++s) {
        double qmax = -1e300;
        for (int a = 0; a < 5; ++a) qmax = std::max(qmax, sol.Q(s, a));
        EXPECT_GE(sol.V(s), qmax - 1e-12);
        EXPECT_LE(sol.V(s), qmax + alpha * std::log(5.0) + 1e-12);
      }
    }
  }
}

TEST(SoftValueIteration, TablePriorNeverTakesZeroPriorActions) {
  const Mdp m = MakeThreeActionExample();
  const ActionPrior prior = ActionPrior::Table(1, 3, {0.0, 0.5, 0.5});
  for (double alpha : {0.0, 1.0}) {
    const auto [sol, summary] = SolveSoftValueIteration(m, Options(alpha, 0.5, Backup::kVariational, prior));
    EXPECT_EQ(sol.Pi(0, 0), 0.0);  // the best reward, but outside the prior's support
    if (alpha == 0.0) {
      EXPECT_EQ(sol.V(0), 1.0);
    }
    if (alpha == 1.0) {
      EXPECT_NEAR(sol.V(0), std::log(0.5 * std::exp(1.0) + 0.5), 1e-14);
    }
  }
}

TEST(SoftValueIteration, BackupsAgreeOnDeterministicDynamics) {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Mdp m = MakeRandomMdp({12, 3, 1, 0.1, seed});  // branching 1: deterministic
    const auto var = SolveSoftValueIteration(m, Options(0.8, 0.9));
    const auto exact = SolveSoftValueIteration(m, Options(0.8, 0.9, Backup::kExact));
    EXPECT_LT(MaxAbsDiff(var.solution.values, exact.solution.values), 1e-9);
    EXPECT_LT(MaxAbsDiff(var.solution.policy, exact.solution.policy), 1e-9);
  }
}

TEST(SoftValueIteration, ExactBackupIsOptimisticUnderStochasticDynamics) {
  // Jensen: alpha log E exp(gamma V / alpha) >= gamma E V, so exact values dominate everywhere,
  // strictly where the dynamics are stochastic.
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const Mdp m = MakeRandomMdp({12, 3, 3, 0.0, seed});
    const auto var = SolveSoftValueIteration(m, Options(0.8, 0.9));
    const auto exact = SolveSoftValueIteration(m, Options(0.8, 0.9, Backup::kExact));
    for (int s = 0; s < 12; ++s) EXPECT_GT(exact.solution.V(s), var.solution.V(s) + 1e-6);
  }
  // The documented gamble (docs/exact-vs-variational.md): opposite decisions.
  const auto var = SolveSoftValueIteration(MakeGamble({}), Options(1.0, 1.0));
  const auto exact = SolveSoftValueIteration(MakeGamble({}), Options(1.0, 1.0, Backup::kExact));
  const double l2 = std::log(2.0);
  EXPECT_NEAR(var.solution.Q(0, 1), 0.1 * (10 + l2) + 0.9 * (-10 + l2), 1e-13);
  EXPECT_NEAR(exact.solution.Q(0, 1), std::log(0.1 * std::exp(10 + l2) + 0.9 * std::exp(-10 + l2)), 1e-13);
  EXPECT_LT(var.solution.Pi(0, 1), 0.001);
  EXPECT_GT(exact.solution.Pi(0, 1), 0.999);
}

TEST(SoftValueIteration, DiscountOneNeedsAnAcyclicProblem) {
  const auto ok = SolveSoftValueIteration(MakeGamble({}), Options(1.0, 1.0));
  EXPECT_TRUE(ok.summary.converged);
  EXPECT_EQ(ok.summary.final_residual, 0.0);
  EXPECT_EQ(ok.summary.error_bound, 0.0);
  EXPECT_THAT([] { SoftValueIteration(MakeChain({}), Options(1.0, 1.0)); },
              ::testing::ThrowsMessage<Error>(HasSubstr("discount: 1 cannot converge here: state 4 lies on a cycle")));
  EXPECT_GE(FindStateOnCycle(MakeGridworld({})), 0);
  EXPECT_EQ(FindStateOnCycle(MakeGamble({})), -1);
}

TEST(SoftValueIteration, NotConvergedIsReportedNotHidden) {
  auto o = Options(1.0, 0.99);
  o.max_iterations = 5;
  const auto [sol, summary] = SolveSoftValueIteration(MakeChain({}), o);
  EXPECT_FALSE(summary.converged);
  EXPECT_EQ(summary.iterations, 5);
  EXPECT_THAT(summary.message, HasSubstr("not converged after 5 sweeps"));
}

TEST(SoftValueIteration, InvalidOptionsNameTheFieldAndValue) {
  const Mdp m = MakeTwoActionExample();
  auto expect = [&](SoftValueIterationOptions o, const std::string& msg) {
    EXPECT_THAT([&] { SoftValueIteration(m, o); }, ::testing::ThrowsMessage<Error>(HasSubstr(msg)));
  };
  expect(Options(-1.0, 0.9), "temperature: -1 is invalid (expected a finite number >= 0)");
  expect(Options(std::numeric_limits<double>::quiet_NaN(), 0.9), "temperature: nan is invalid");
  expect(Options(std::numeric_limits<double>::infinity(), 0.9), "temperature: inf is invalid");
  expect(Options(1.0, 1.5), "discount: 1.5 is invalid (expected a number in [0, 1])");
  expect(Options(1.0, -0.1), "discount: -0.1 is invalid");
  auto o = Options(1.0, 0.9);
  o.tolerance = 0.0;
  expect(o, "tolerance: 0 is invalid");
  o = Options(1.0, 0.9);
  o.max_iterations = 0;
  expect(o, "max_iterations: 0 is invalid");
  expect(Options(1.0, 0.9, Backup::kVariational, ActionPrior::Table(2, 2, {0.5, 0.5, 0.5, 0.5})),
         "prior: table is 2 x 2 but the MDP has 1 states and 2 actions");
  EXPECT_THAT([] { ParseBackup("optimistic"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("backup: \"optimistic\" is not a backup")));
}

}  // namespace
}  // namespace cai
