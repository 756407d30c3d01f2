// MaxEnt and maximum-causal-entropy IRL: the objective against independent paths (enumeration,
// causal log-likelihood, forward messages of the inference module), gradients against finite
// differences, L-BFGS monotonicity and recovery of a known linear reward.
#include "cai/irl/maxent_irl.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/inference/enumeration.h"
#include "cai/inference/finite_horizon.h"
#include "cai/inference/forward_messages.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/objectworld.h"

namespace cai {
namespace {

FeatureTable RandomFeatures(const Mdp& mdp, int k, FeatureKind kind, std::uint64_t seed) {
  FeatureTable f;
  f.kind = kind;
  f.num_states = mdp.num_states();
  f.num_actions = mdp.num_actions();
  f.num_features = k;
  Rng rng(seed);
  f.values.resize(f.num_rows() * static_cast<std::size_t>(k));
  for (double& v : f.values) v = 2.0 * rng.Uniform() - 1.0;
  return f;
}

std::vector<double> RandomTheta(int k, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> theta(static_cast<std::size_t>(k));
  for (double& v : theta) v = 2.0 * rng.Uniform() - 1.0;
  return theta;
}

std::vector<double> Rewards(const FeatureTable& f, std::span<const double> theta) {
  std::vector<double> r(static_cast<std::size_t>(f.num_states) * f.num_actions);
  LinearReward(f, theta, r);
  return r;
}

// Demonstrations from the soft-optimal finite-horizon policy of some reward (any valid
// demonstrations would do for the identities below).
std::vector<Demonstration> SampleFiniteHorizonDemos(const Mdp& mdp, int horizon, int count,
                                                    std::uint64_t seed) {
  FiniteHorizonOptions o;
  o.temperature = 1.0;
  o.horizon = horizon;
  const auto sol = SolveFiniteHorizon(mdp, o);
  return SampleDemonstrations(mdp, sol.policy, count, horizon, seed);
}

Mdp StochasticMdp(int states, int actions, std::uint64_t seed) {
  RandomMdpOptions o;
  o.num_states = states;
  o.num_actions = actions;
  o.branching = 3;
  o.seed = seed;
  return MakeRandomMdp(o);
}

Mdp DeterministicMdp(int states, int actions, std::uint64_t seed) {
  RandomMdpOptions o;
  o.num_states = states;
  o.num_actions = actions;
  o.branching = 1;
  o.seed = seed;
  return MakeRandomMdp(o);
}

struct Case {
  IrlMethod method;
  int horizon;
  double discount;
  FeatureKind kind;
  double l2;
};

// Central differences with h = 1e-5 have truncation error ~h^2 * |L'''| ~ 1e-10 and round-off
// ~1e-16 |L| / h ~ 1e-11 here: 1e-7 leaves a wide margin and still catches any wrong term.
TEST(IrlObjective, GradientMatchesFiniteDifferencesForEveryVariant) {
  const Mdp mdp = StochasticMdp(6, 3, 11);
  const std::vector<Case> cases = {
      {IrlMethod::kMaxEnt, 5, 1.0, FeatureKind::kStateAction, 0.0},
      {IrlMethod::kMaxCausalEnt, 5, 1.0, FeatureKind::kStateAction, 0.0},
      {IrlMethod::kMaxEnt, 5, 0.9, FeatureKind::kState, 0.3},
      {IrlMethod::kMaxCausalEnt, 5, 0.9, FeatureKind::kState, 0.3},
      {IrlMethod::kMaxEnt, 0, 0.8, FeatureKind::kStateAction, 0.0},
      {IrlMethod::kMaxCausalEnt, 0, 0.8, FeatureKind::kStateAction, 0.1},
  };
  const auto demos = SampleFiniteHorizonDemos(mdp, 5, 20, 3);
  for (const Case& c : cases) {
    SCOPED_TRACE(IrlMethodName(c.method) + " horizon " + std::to_string(c.horizon) + " discount " +
                 std::to_string(c.discount));
    const FeatureTable f = RandomFeatures(mdp, 4, c.kind, 5);
    IrlObjectiveOptions o;
    o.method = c.method;
    o.horizon = c.horizon;
    o.discount = c.discount;
    o.temperature = 0.7;
    o.l2 = c.l2;
    o.tolerance = 1e-14;
    IrlObjective objective(mdp, f, demos, o);
    const std::vector<double> theta = RandomTheta(4, 9);
    std::vector<double> grad(4);
    objective.Evaluate(theta, grad);
    const double h = 1e-5;
    for (std::size_t j = 0; j < 4; ++j) {
      std::vector<double> plus = theta, minus = theta;
      plus[j] += h;
      minus[j] -= h;
      const double fd = (objective.Evaluate(plus, {}) - objective.Evaluate(minus, {})) / (2 * h);
      EXPECT_NEAR(grad[j], fd, 1e-7) << "component " << j;
    }
  }
}

// MaxEnt (exact backup), discount 1: L + mean log p(dynamics) is the mean log-likelihood
// log p(tau | s_0) = sum_t r_t / alpha + sum_t log p(s_{t+1}|s_t,a_t) - log Z(s_0), with log Z
// computed by enumerating every trajectory: the dual path for the whole objective.
TEST(IrlObjective, MaxEntObjectiveIsTheTrajectoryLogLikelihoodByEnumeration) {
  const Mdp mdp = StochasticMdp(4, 2, 21);
  const int horizon = 4;
  const double alpha = 0.8;
  const FeatureTable f = RandomFeatures(mdp, 3, FeatureKind::kStateAction, 2);
  const auto demos = SampleFiniteHorizonDemos(mdp, horizon, 7, 4);
  const std::vector<double> theta = RandomTheta(3, 6);
  const Mdp rewarded = WithRewards(mdp, Rewards(f, theta));
  double expected = 0.0;
  for (const auto& d : demos) {
    const auto e = EnumerateOptimalityPosterior(rewarded, d.states[0], horizon, alpha, ActionPrior());
    double ll = -e.log_partition;
    for (std::size_t t = 0; t < d.states.size(); ++t) {
      ll += rewarded.reward(d.states[t], d.actions[t]) / alpha;
      if (t + 1 < d.states.size()) {
        const auto next = mdp.NextStates(d.states[t], d.actions[t]);
        const auto prob = mdp.NextProbabilities(d.states[t], d.actions[t]);
        for (std::size_t k = 0; k < next.size(); ++k) {
          if (next[k] == d.states[t + 1]) ll += std::log(prob[k]);
        }
      }
    }
    expected += ll / static_cast<double>(demos.size());
  }
  IrlObjectiveOptions o;
  o.method = IrlMethod::kMaxEnt;
  o.horizon = horizon;
  o.temperature = alpha;
  IrlObjective objective(mdp, f, demos, o);
  const double l = objective.Evaluate(theta, {});
  EXPECT_NEAR(l + objective.dynamics_log_likelihood(), expected, 1e-10);
}

// Mean causal log-likelihood sum_t log pi_t(a_t|s_t) under the variational finite-horizon policy
// of the inference module.
double CausalLogLikelihood(const Mdp& rewarded, std::span<const Demonstration> demos, int horizon,
                           double alpha, Backup backup) {
  FiniteHorizonOptions o;
  o.temperature = alpha;
  o.horizon = horizon;
  o.backup = backup;
  const auto sol = SolveFiniteHorizon(rewarded, o);
  double ll = 0.0;
  for (const auto& d : demos) {
    for (std::size_t t = 0; t < d.states.size(); ++t) {
      ll += std::log(sol.Pi(static_cast<int>(t), d.states[t], d.actions[t]));
    }
  }
  return ll / static_cast<double>(demos.size());
}

// MCE's objective is the feature-matching dual. With deterministic dynamics it telescopes into
// the causal log-likelihood exactly (and MaxEnt's equals it too: the backups coincide); with
// stochastic dynamics it does not, while MaxEnt's stays the trajectory likelihood (test above).
TEST(IrlObjective, MceObjectiveIsTheCausalLogLikelihoodUnderDeterministicDynamics) {
  const int horizon = 6;
  const double alpha = 1.3;
  {
    const Mdp mdp = DeterministicMdp(7, 3, 8);
    const FeatureTable f = RandomFeatures(mdp, 3, FeatureKind::kState, 1);
    const auto demos = SampleFiniteHorizonDemos(mdp, horizon, 15, 2);
    const std::vector<double> theta = RandomTheta(3, 3);
    const Mdp rewarded = WithRewards(mdp, Rewards(f, theta));
    IrlObjectiveOptions o;
    o.horizon = horizon;
    o.temperature = alpha;
    o.method = IrlMethod::kMaxCausalEnt;
    IrlObjective mce(mdp, f, demos, o);
    o.method = IrlMethod::kMaxEnt;
    IrlObjective maxent(mdp, f, demos, o);
    const double causal = CausalLogLikelihood(rewarded, demos, horizon, alpha, Backup::kVariational);
    EXPECT_NEAR(mce.Evaluate(theta, {}), causal, 1e-10);
    EXPECT_NEAR(maxent.Evaluate(theta, {}), causal, 1e-10);
    EXPECT_EQ(mce.dynamics_log_likelihood(), 0.0);
  }
  {
    const Mdp mdp = StochasticMdp(7, 3, 8);
    const FeatureTable f = RandomFeatures(mdp, 3, FeatureKind::kState, 1);
    const auto demos = SampleFiniteHorizonDemos(mdp, horizon, 15, 2);
    const std::vector<double> theta = RandomTheta(3, 3);
    const Mdp rewarded = WithRewards(mdp, Rewards(f, theta));
    IrlObjectiveOptions o;
    o.horizon = horizon;
    o.temperature = alpha;
    o.method = IrlMethod::kMaxCausalEnt;
    IrlObjective mce(mdp, f, demos, o);
    o.method = IrlMethod::kMaxEnt;
    IrlObjective maxent(mdp, f, demos, o);
    const double causal = CausalLogLikelihood(rewarded, demos, horizon, alpha, Backup::kVariational);
    const double l_mce = mce.Evaluate(theta, {});
    const double l_maxent = maxent.Evaluate(theta, {});
    // The differences are O(1) here; 1e-3 only asserts that they are not round-off.
    EXPECT_GT(std::abs(l_mce - causal), 1e-3);
    EXPECT_GT(std::abs(l_maxent - l_mce), 1e-3);
  }
}

// The expected feature counts against the inference module's own forward messages and occupancy
// (the soft policies of SolveFiniteHorizon / SolveSoftValueIteration, variational backup).
TEST(IrlObjective, MceExpectedFeaturesMatchTheInferenceModulesForwardMessages) {
  const Mdp mdp = StochasticMdp(8, 3, 31);
  const FeatureTable f = RandomFeatures(mdp, 3, FeatureKind::kStateAction, 4);
  const std::vector<double> theta = RandomTheta(3, 5);
  const Mdp rewarded = WithRewards(mdp, Rewards(f, theta));
  const auto demos = SampleFiniteHorizonDemos(mdp, 5, 12, 6);
  const double alpha = 0.9;
  {
    const double gamma = 0.95;
    IrlObjectiveOptions o;
    o.horizon = 5;
    o.discount = gamma;
    o.temperature = alpha;
    IrlObjective objective(mdp, f, demos, o);
    objective.Evaluate(theta, {});
    FiniteHorizonOptions fo;
    fo.temperature = alpha;
    fo.discount = gamma;
    fo.horizon = 5;
    const auto sol = SolveFiniteHorizon(rewarded, fo);
    const auto fm = ComputeForwardMessages(rewarded, sol.policy, 5, objective.start_distribution());
    std::vector<double> mu(3, 0.0);
    const std::size_t nsa = 8 * 3;
    for (int t = 0; t < 5; ++t) {
      for (std::size_t i = 0; i < nsa; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
          mu[j] += std::pow(gamma, t) * fm.state_action_marginals[t * nsa + i] * f.values[i * 3 + j];
        }
      }
    }
    for (std::size_t j = 0; j < 3; ++j) EXPECT_NEAR(objective.expected_features()[j], mu[j], 1e-12);
  }
  {
    const double gamma = 0.9;
    IrlObjectiveOptions o;
    o.horizon = 0;
    o.discount = gamma;
    o.temperature = alpha;
    o.tolerance = 1e-13;
    IrlObjective objective(mdp, f, demos, o);
    objective.Evaluate(theta, {});
    SoftValueIterationOptions vo;
    vo.temperature = alpha;
    vo.discount = gamma;
    vo.tolerance = 1e-13;
    const auto sol = SolveSoftValueIteration(rewarded, vo);
    OccupancyOptions oo;
    oo.tolerance = 1e-13;
    const Occupancy occ =
        DiscountedOccupancy(rewarded, sol.solution.policy, gamma, oo, objective.start_distribution());
    std::vector<double> mu(3, 0.0);
    for (std::size_t i = 0; i < occ.state_action.size(); ++i) {
      for (std::size_t j = 0; j < 3; ++j) mu[j] += occ.state_action[i] * f.values[i * 3 + j];
    }
    // Both iterations stop within 1e-13 of their fixed points (times |f| <= 1, and S = 8).
    for (std::size_t j = 0; j < 3; ++j) EXPECT_NEAR(objective.expected_features()[j], mu[j], 1e-10);
  }
}

// Discounted: unfinished demonstrations are rescaled to the occupancy's mass 1 / (1 - gamma), so a
// constant feature's empirical and expected counts agree for every theta (its gradient is 0) and
// the objective stays bounded along it.
TEST(IrlObjective, DiscountedCountsOfAConstantFeatureMatchForEveryTheta) {
  const Mdp mdp = StochasticMdp(6, 3, 12);
  FeatureTable f = RandomFeatures(mdp, 2, FeatureKind::kState, 3);
  for (std::size_t s = 0; s < 6; ++s) f.values[s * 2 + 1] = 1.0;  // feature 1 is constant
  const auto demos = SampleFiniteHorizonDemos(mdp, 7, 10, 2);
  for (IrlMethod method : {IrlMethod::kMaxEnt, IrlMethod::kMaxCausalEnt}) {
    IrlObjectiveOptions o;
    o.method = method;
    o.discount = 0.9;
    o.tolerance = 1e-13;
    IrlObjective objective(mdp, f, demos, o);
    EXPECT_NEAR(objective.empirical_features()[1], 10.0, 1e-12);  // 1 / (1 - 0.9)
    for (std::uint64_t seed : {1u, 2u}) {
      std::vector<double> g(2);
      objective.Evaluate(RandomTheta(2, seed), g);
      EXPECT_NEAR(g[1], 0.0, 1e-10);
    }
  }
}

// Keeping V every B steps and recomputing the segments, and recomputing the policies in the forward
// pass instead of keeping them, give the same numbers (bit for bit: the same arithmetic).
TEST(IrlObjective, CheckpointingDoesNotChangeTheResult) {
  const Mdp mdp = StochasticMdp(9, 3, 41);
  const FeatureTable f = RandomFeatures(mdp, 3, FeatureKind::kState, 4);
  const auto demos = SampleFiniteHorizonDemos(mdp, 10, 10, 6);
  const std::vector<double> theta = RandomTheta(3, 5);
  for (IrlMethod method : {IrlMethod::kMaxEnt, IrlMethod::kMaxCausalEnt}) {
    IrlObjectiveOptions o;
    o.method = method;
    o.horizon = 10;
    o.discount = 0.97;
    std::vector<double> ref(3);
    IrlObjective all(mdp, f, demos, o);
    EXPECT_EQ(all.checkpoint_interval(), 10);
    const double l_ref = all.Evaluate(theta, ref);
    for (bool keep : {true, false}) {
      for (int b : {1, 3, 4, 9, 10}) {
        o.checkpoint_interval = b;
        o.keep_policies = keep;
        IrlObjective objective(mdp, f, demos, o);
        std::vector<double> g(3);
        EXPECT_EQ(objective.Evaluate(theta, g), l_ref) << "interval " << b << " keep " << keep;
        for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(g[j], ref[j]);
      }
    }
  }
}

TEST(IrlObjective, LbfgsRaisesTheObjectiveMonotonicallyToAStationaryPoint) {
  const Mdp mdp = StochasticMdp(10, 3, 51);
  const FeatureTable f = RandomFeatures(mdp, 4, FeatureKind::kStateAction, 7);
  const auto demos = SampleFiniteHorizonDemos(mdp, 8, 30, 8);
  for (IrlMethod method : {IrlMethod::kMaxEnt, IrlMethod::kMaxCausalEnt}) {
    for (int horizon : {8, 0}) {
      IrlObjectiveOptions o;
      o.method = method;
      o.horizon = horizon;
      o.discount = horizon > 0 ? 1.0 : 0.9;
      o.l2 = 0.01;  // keeps the maximiser finite whatever the demonstrations
      IrlObjective objective(mdp, f, demos, o);
      IrlFitOptions fo;
      fo.gradient_tolerance = 1e-8;
      const IrlFitResult r = FitIrl(objective, fo);
      EXPECT_TRUE(r.summary.converged) << r.summary.message;
      ASSERT_GE(r.trace.size(), 3u);
      for (std::size_t i = 1; i < r.trace.size(); ++i) {
        EXPECT_GT(r.trace[i].objective, r.trace[i - 1].objective) << "iteration " << i;
      }
      std::vector<double> g(4);
      objective.Evaluate(r.theta, g);
      for (double x : g) EXPECT_LT(std::abs(x), 1e-6);
      // Adam from the same start ends at (nearly) the same concave maximum.
      fo.optimizer = IrlOptimizer::kAdam;
      fo.max_iterations = 3000;
      fo.learning_rate = 0.05;
      fo.gradient_tolerance = 1e-6;
      const IrlFitResult adam = FitIrl(objective, fo);
      EXPECT_NEAR(adam.trace.back().objective, r.trace.back().objective, 1e-6);
    }
  }
}

// Many demonstrations of the soft-optimal policy for a known linear reward on a small objectworld
// (stochastic moves): the recovered reward gives the expert's policy back. With N = 4000
// trajectories of 10 steps the empirical feature counts have relative sampling error about
// 1 / sqrt(N) ~ 1.6%, so policies agree to a few percent in total variation.
TEST(IrlFit, RecoversTheExpertPolicyFromManyDemonstrations) {
  ObjectworldOptions wo;
  wo.size = 6;
  wo.num_objects = 6;
  wo.discrete_features = false;
  wo.seed = 3;
  const Objectworld world = MakeObjectworld(wo);
  const int k = world.features.num_features;  // 4 distances
  const std::vector<double> theta_true = {-0.5, 0.4, 0.2, -0.3};
  ASSERT_EQ(k, 4);
  const Mdp expert_mdp = WithRewards(world.mdp, Rewards(world.features, theta_true));
  const int horizon = 10;
  FiniteHorizonOptions fo;
  fo.temperature = 1.0;
  fo.horizon = horizon;
  const auto expert = SolveFiniteHorizon(expert_mdp, fo);
  const auto demos = SampleDemonstrations(world.mdp, expert.policy, 4000, horizon, 17);

  IrlObjectiveOptions o;
  o.method = IrlMethod::kMaxCausalEnt;
  o.horizon = horizon;
  IrlObjective objective(world.mdp, world.features, demos, o);
  const IrlFitResult r = FitIrl(objective, IrlFitOptions{});
  ASSERT_TRUE(r.summary.converged) << r.summary.message;
  const auto learned = SolveFiniteHorizon(WithRewards(world.mdp, Rewards(world.features, r.theta)), fo);
  double worst_tv = 0.0;
  for (int t = 0; t < horizon; ++t) {
    for (int s = 0; s < world.mdp.num_states(); ++s) {
      double tv = 0.0;
      for (int a = 0; a < 5; ++a) tv += 0.5 * std::abs(learned.Pi(t, s, a) - expert.Pi(t, s, a));
      worst_tv = std::max(worst_tv, tv);
    }
  }
  EXPECT_LT(worst_tv, 0.05);
  // The four distances are not collinear on this map, so theta itself is identifiable; the
  // estimate is within the same few-percent sampling error (relative to |theta|).
  double err = 0.0, norm = 0.0;
  for (int j = 0; j < k; ++j) {
    err += (r.theta[static_cast<std::size_t>(j)] - theta_true[static_cast<std::size_t>(j)]) *
           (r.theta[static_cast<std::size_t>(j)] - theta_true[static_cast<std::size_t>(j)]);
    norm += theta_true[static_cast<std::size_t>(j)] * theta_true[static_cast<std::size_t>(j)];
  }
  EXPECT_LT(std::sqrt(err / norm), 0.1);
  std::printf("recovery: worst TV %.4f, relative theta error %.4f\n", worst_tv, std::sqrt(err / norm));
}

TEST(IrlObjective, RejectsBadOptionsAndDemonstrations) {
  const Mdp mdp = StochasticMdp(5, 2, 1);
  const FeatureTable f = RandomFeatures(mdp, 2, FeatureKind::kState, 1);
  const auto demos = SampleFiniteHorizonDemos(mdp, 4, 3, 1);
  IrlObjectiveOptions o;
  o.horizon = 4;
  o.temperature = 0.0;
  EXPECT_THROW(IrlObjective(mdp, f, demos, o), Error);
  o.temperature = 1.0;
  o.horizon = 0;
  o.discount = 1.0;
  try {
    IrlObjective objective(mdp, f, demos, o);
    FAIL() << "discount 1 without a horizon accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("discount: 1"), std::string::npos) << e.what();
  }
  o.horizon = 5;  // demonstrations have 4 steps and no terminal action
  try {
    IrlObjective objective(mdp, f, demos, o);
    FAIL() << "short demonstrations accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("demos[0]: 4 steps with horizon 5"), std::string::npos)
        << e.what();
  }
  o.horizon = 4;
  IrlObjective objective(mdp, f, demos, o);
  EXPECT_THROW(objective.Evaluate(std::vector<double>(3, 0.0), {}), Error);
  IrlFitOptions fo;
  fo.lbfgs_memory = 0;
  EXPECT_THROW(FitIrl(objective, fo), Error);
}

TEST(ExpectedValueDifference, IsZeroForTheTrueRewardAndPositiveForAWrongOne) {
  ObjectworldOptions wo;
  wo.size = 8;
  wo.num_objects = 10;
  wo.seed = 5;
  const Objectworld world = MakeObjectworld(wo);
  const auto r = world.mdp.rewards();
  EXPECT_NEAR(ExpectedValueDifference(world.mdp, {r.begin(), r.end()}, 0.9), 0.0, 1e-9);
  std::vector<double> negated(r.begin(), r.end());
  for (double& x : negated) x = -x;
  EXPECT_GT(ExpectedValueDifference(world.mdp, negated, 0.9), 0.1);
}

}  // namespace
}  // namespace cai
