#include "cai/inference/forward_messages.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/inference/finite_horizon.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/inference/trajectory_sampling.h"
#include "cai/mdp/builtins.h"

namespace cai {
namespace {

FiniteHorizonSolution Solve(const Mdp& m, double alpha, int horizon) {
  FiniteHorizonOptions o;
  o.temperature = alpha;
  o.horizon = horizon;
  return SolveFiniteHorizon(m, o);
}

TEST(ForwardMessages, TotalsAndFlowEquations) {
  const Mdp m = MakeRandomMdp({8, 3, 3, 0.2, 4});
  const int horizon = 6;
  const auto sol = Solve(m, 0.7, horizon);
  const auto fm = ComputeForwardMessages(m, sol.policy, horizon);
  const int ns = 8, na = 3;
  double alive = 1.0;
  for (int t = 0; t < horizon; ++t) {
    double total = 0.0, total_sa = 0.0;
    for (int s = 0; s < ns; ++s) {
      const double d = fm.state_marginals[static_cast<std::size_t>(t * ns + s)];
      total += d;
      for (int a = 0; a < na; ++a) {
        const double dsa = fm.state_action_marginals[static_cast<std::size_t>((t * ns + s) * na + a)];
        EXPECT_NEAR(dsa, d * sol.Pi(t, s, a), 1e-15);
        total_sa += dsa;
      }
    }
    EXPECT_NEAR(total, alive, 1e-12) << "t=" << t;
    EXPECT_NEAR(total_sa, alive, 1e-12);
    alive -= fm.ended[static_cast<std::size_t>(t)];
    if (t + 1 < horizon) {
      // Flow: d_{t+1}(s') = sum_{s,a} d_t(s,a) p(s'|s,a), recomputed here from the MDP.
      std::vector<double> flow(static_cast<std::size_t>(ns), 0.0);
      for (int s = 0; s < ns; ++s) {
        for (int a = 0; a < na; ++a) {
          const auto next = m.NextStates(s, a);
          const auto prob = m.NextProbabilities(s, a);
          for (std::size_t k = 0; k < next.size(); ++k) {
            flow[static_cast<std::size_t>(next[k])] +=
                fm.state_action_marginals[static_cast<std::size_t>((t * ns + s) * na + a)] * prob[k];
          }
        }
      }
      for (int s = 0; s < ns; ++s) {
        EXPECT_NEAR(fm.state_marginals[static_cast<std::size_t>((t + 1) * ns + s)], flow[static_cast<std::size_t>(s)], 1e-15);
      }
    }
  }
}

TEST(ForwardMessages, MatchMonteCarloVisitFrequencies) {
  const Mdp m = MakeRandomMdp({5, 2, 2, 0.15, 6});
  const int horizon = 5;
  const auto sol = Solve(m, 1.0, horizon);
  const auto fm = ComputeForwardMessages(m, sol.policy, horizon);
  Rng rng(99);
  const int n = 40000;
  std::vector<double> counts(static_cast<std::size_t>(horizon * 5 * 2), 0.0);
  for (int i = 0; i < n; ++i) {
    const Trajectory tr = SampleTrajectory(m, sol.policy, horizon, rng);
    for (std::size_t t = 0; t < tr.states.size(); ++t) {
      counts[(t * 5 + static_cast<std::size_t>(tr.states[t])) * 2 + static_cast<std::size_t>(tr.actions[t])] += 1.0;
    }
  }
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double p = fm.state_action_marginals[i];
    const double sd = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(counts[i] / n, p, 5 * sd + 1e-12) << "index " << i;
  }
}

TEST(DiscountedOccupancy, FlowEquationTotalAndMonteCarlo) {
  const Mdp m = MakeRandomMdp({6, 3, 2, 0.0, 2});
  SoftValueIterationOptions o;
  o.temperature = 0.5;
  o.discount = 0.8;
  const auto [sol, summary] = SolveSoftValueIteration(m, o);
  const auto occ = DiscountedOccupancy(m, sol.policy, 0.8);
  ASSERT_TRUE(occ.summary.converged);
  double total = 0.0;
  for (double r : occ.state) total += r;
  EXPECT_NEAR(total, 1.0 / (1.0 - 0.8), 1e-10);  // no terminal actions: sum_t gamma^t
  // rho(s') = d0(s') + gamma sum_{s,a} rho(s,a) p(s'|s,a).
  std::vector<double> rhs(m.initial_distribution().begin(), m.initial_distribution().end());
  for (int s = 0; s < 6; ++s) {
    for (int a = 0; a < 3; ++a) {
      const auto next = m.NextStates(s, a);
      const auto prob = m.NextProbabilities(s, a);
      for (std::size_t k = 0; k < next.size(); ++k) {
        rhs[static_cast<std::size_t>(next[k])] += 0.8 * occ.state_action[static_cast<std::size_t>(s * 3 + a)] * prob[k];
      }
    }
  }
  for (int s = 0; s < 6; ++s) EXPECT_NEAR(occ.state[static_cast<std::size_t>(s)], rhs[static_cast<std::size_t>(s)], 1e-11);
  // Monte Carlo: discounted visit counts of sampled trajectories (truncated at 0.8^150 ~ 3e-15).
  Rng rng(5);
  const int n = 20000;
  std::vector<double> mc(6, 0.0);
  for (int i = 0; i < n; ++i) {
    const Trajectory tr = SampleTrajectory(m, sol.policy, 150, rng);
    double w = 1.0;
    for (int s : tr.states) {
      mc[static_cast<std::size_t>(s)] += w / n;
      w *= 0.8;
    }
  }
  // The discounted count per trajectory lies in [0, 5]; sd of the mean <= 5 / (2 sqrt(n)).
  for (int s = 0; s < 6; ++s) EXPECT_NEAR(mc[static_cast<std::size_t>(s)], occ.state[static_cast<std::size_t>(s)], 5 * 2.5 / std::sqrt(n));
}

TEST(DiscountedOccupancy, DiscountOneCountsExpectedVisitsOnAcyclicProblems) {
  const Mdp m = MakeGamble({});
  SoftValueIterationOptions o;
  o.temperature = 1.0;
  o.discount = 1.0;
  const auto [sol, summary] = SolveSoftValueIteration(m, o);
  const auto occ = DiscountedOccupancy(m, sol.policy, 1.0);
  EXPECT_TRUE(occ.summary.converged);
  EXPECT_NEAR(occ.state[0], 1.0, 1e-15);
  EXPECT_NEAR(occ.state[1], sol.Pi(0, 0), 1e-15);
  EXPECT_NEAR(occ.state[2], 0.1 * sol.Pi(0, 1), 1e-15);
  EXPECT_NEAR(occ.state[3], 0.9 * sol.Pi(0, 1), 1e-15);
  EXPECT_THROW(DiscountedOccupancy(MakeChain({}), std::vector<double>(10, 0.5), 1.0), Error);
}

TEST(ForwardMessages, InvalidPoliciesAreErrors) {
  const Mdp m = MakeChain({});
  EXPECT_THAT([&] { DiscountedOccupancy(m, std::vector<double>(10, 0.4), 0.9); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("policy: row 0 sums to 0.8")));
  EXPECT_THAT([&] { ComputeForwardMessages(m, std::vector<double>(3, 0.5), 2); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("policy: expected 20 entries")));
}

TEST(TrajectorySampling, DeterministicInTheSeedAndRespectsTerminals) {
  const Mdp m = MakeGridworld({});
  SoftValueIterationOptions o;
  o.temperature = 0.1;
  o.discount = 0.95;
  const auto [sol, summary] = SolveSoftValueIteration(m, o);
  Rng a(3), b(3);
  for (int i = 0; i < 20; ++i) {
    const Trajectory x = SampleTrajectory(m, sol.policy, 200, a);
    const Trajectory y = SampleTrajectory(m, sol.policy, 200, b);
    EXPECT_EQ(x.states, y.states);
    EXPECT_EQ(x.actions, y.actions);
    if (x.ended) {
      EXPECT_TRUE(m.IsTerminal(x.states.back(), x.actions.back()));
      EXPECT_EQ(x.states.back(), 24);  // the goal
    }
  }
  EXPECT_THROW(SampleTrajectory(m, sol.policy, 0, a), Error);
  EXPECT_THROW(SampleTrajectory(m, std::vector<double>(7, 0.1), 5, a), Error);
}

}  // namespace
}  // namespace cai
