// Dual path for exact inference: message passing against brute-force enumeration of every
// trajectory of the graphical model p(tau) prod_t p(a_t|s_t) exp(r_t / temperature).
#include "cai/inference/enumeration.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/inference/finite_horizon.h"
#include "cai/mdp/builtins.h"

namespace cai {
namespace {

ActionPrior PriorOfKind(int kind, int ns, int na) {
  if (kind == 0) return ActionPrior::None();
  if (kind == 1) return ActionPrior::Uniform();
  std::vector<double> t;
  for (int s = 0; s < ns; ++s) {
    // Non-uniform rows, one with a zero.
    for (int a = 0; a < na; ++a) t.push_back(a == 0 && s % 2 ? 0.0 : 1.0 + a + s);
    double z = 0.0;
    for (int a = 0; a < na; ++a) z += t[t.size() - na + a];
    for (int a = 0; a < na; ++a) t[t.size() - na + a] /= z;
  }
  return ActionPrior::Table(ns, na, t);
}

FiniteHorizonOptions Options(double temperature, int horizon, Backup backup, const ActionPrior& prior) {
  FiniteHorizonOptions o;
  o.temperature = temperature;
  o.horizon = horizon;
  o.backup = backup;
  o.prior = prior;
  return o;
}

TEST(Enumeration, ExactBackupPolicyIsThePosteriorAndV0IsTheLogPartition) {
  int checked = 0;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    const Mdp m = MakeRandomMdp({4, 3, 2, seed % 3 == 0 ? 0.25 : 0.0, seed});
    for (double alpha : {0.3, 1.0, 3.0}) {
      for (int kind = 0; kind < 3; ++kind) {
        const ActionPrior prior = PriorOfKind(kind, 4, 3);
        const int horizon = 4;
        const auto sol = SolveFiniteHorizon(m, Options(alpha, horizon, Backup::kExact, prior));
        for (int s0 = 0; s0 < 4; ++s0) {
          const auto e = EnumerateOptimalityPosterior(m, s0, horizon, alpha, prior);
          EXPECT_NEAR(e.log_partition, sol.V(0, s0) / alpha, 1e-11);
          for (int a = 0; a < 3; ++a) {
            EXPECT_NEAR(e.first_action_posterior[static_cast<std::size_t>(a)], sol.Pi(0, s0, a), 1e-12);
          }
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 6 * 3 * 3 * 4);
}

TEST(Enumeration, VariationalPolicyAttainsTheBestElboBelowTheLogPartition) {
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    const Mdp m = MakeRandomMdp({3, 2, 2, 0.0, seed + 20});  // stochastic dynamics
    for (int kind = 0; kind < 3; ++kind) {
      const ActionPrior prior = PriorOfKind(kind, 3, 2);
      const double alpha = 0.8;
      const int horizon = 4;
      const auto var = SolveFiniteHorizon(m, Options(alpha, horizon, Backup::kVariational, prior));
      const auto e = EnumerateOptimalityPosterior(m, 0, horizon, alpha, prior);
      const double elbo = TrajectoryElbo(m, 0, horizon, alpha, prior, var.policy);
      // Identity: the variational value is the ELBO of its own policy.
      EXPECT_NEAR(elbo, var.V(0, 0) / alpha, 1e-11);
      // The ELBO bounds the log-partition, strictly under stochastic dynamics.
      EXPECT_LT(elbo, e.log_partition - 1e-6);
      // Perturbing the policy (inside the prior's support) only lowers the ELBO.
      Rng rng(seed);
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<double> q = var.policy;
        for (std::size_t row = 0; row < q.size(); row += 2) {
          if (q[row] == 0.0 || q[row + 1] == 0.0) continue;  // keep zero-prior actions at zero
          const double eps = 0.2 * (rng.Uniform() - 0.5);
          const double p = std::clamp(q[row] + eps, 1e-6, 1.0 - 1e-6);
          q[row] = p;
          q[row + 1] = 1.0 - p;
        }
        EXPECT_LE(TrajectoryElbo(m, 0, horizon, alpha, prior, q), elbo + 1e-12);
      }
    }
  }
}

TEST(Enumeration, DeterministicDynamicsCloseTheGap) {
  const Mdp m = MakeRandomMdp({4, 3, 1, 0.2, 5});
  const ActionPrior prior = ActionPrior::None();
  const auto var = SolveFiniteHorizon(m, Options(1.0, 4, Backup::kVariational, prior));
  const auto e = EnumerateOptimalityPosterior(m, 0, 4, 1.0, prior);
  EXPECT_NEAR(TrajectoryElbo(m, 0, 4, 1.0, prior, var.policy), e.log_partition, 1e-11);
}

TEST(Enumeration, ElboIsMinusInfinityOutsideThePriorSupport) {
  const Mdp m = MakeTwoActionExample();
  const ActionPrior prior = ActionPrior::Table(1, 2, {1.0, 0.0});
  EXPECT_EQ(TrajectoryElbo(m, 0, 1, 1.0, prior, std::vector<double>{0.5, 0.5}), -INFINITY);
}

TEST(Enumeration, LimitsAndErrors) {
  const Mdp m = MakeRandomMdp({6, 4, 3, 0.0, 1});
  EXPECT_THAT([&] { EnumerateOptimalityPosterior(m, 0, 12, 1.0, ActionPrior::None(), 1000); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("more than 1000 trajectories")));
  EXPECT_THROW(EnumerateOptimalityPosterior(m, 9, 2, 1.0, ActionPrior::None()), Error);
  EXPECT_THROW(EnumerateOptimalityPosterior(m, 0, 2, 0.0, ActionPrior::None()), Error);
}

}  // namespace
}  // namespace cai
