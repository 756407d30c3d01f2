// MdpEnvironment against the MDP it wraps: rewards, terminal (s, a), one-hot observations, and the
// empirical successor and initial-state frequencies against the stored probabilities.
#include "cai/env/mdp_environment.h"

#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/mdp/builtins.h"

namespace cai::env {
namespace {

TEST(MdpEnvironment, SpacesAndOneHotObservations) {
  auto mdp = std::make_shared<const Mdp>(MakeRandomMdp({.num_states = 5, .num_actions = 2, .seed = 3}));
  MdpEnvironment env(mdp, 20);
  EXPECT_EQ(env.observation_dim(), 5);
  EXPECT_TRUE(env.action_space().is_discrete());
  EXPECT_EQ(env.action_space().n(), 2);
  std::vector<float> obs(5);
  env.Reset(7, obs);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(obs[i], i == env.current_state() ? 1.0f : 0.0f);
}

TEST(MdpEnvironment, SuccessorFrequenciesMatchTheTransitionProbabilities) {
  auto mdp = std::make_shared<const Mdp>(MakeRandomMdp({.num_states = 6, .num_actions = 3, .branching = 3, .seed = 11}));
  MdpEnvironment env(mdp, 0);
  std::vector<float> obs(6);
  env.Reset(1, obs);
  const int n = 40000;
  for (int s = 0; s < 6; ++s) {
    for (int a = 0; a < 3; ++a) {
      std::vector<int> counts(6, 0);
      for (int k = 0; k < n; ++k) {
        const double start[] = {static_cast<double>(s)};
        env.SetState(start);
        const double action[] = {static_cast<double>(a)};
        const StepResult r = env.Step(action, obs);
        EXPECT_EQ(r.reward, mdp->reward(s, a));
        EXPECT_FALSE(r.terminated);
        ++counts[env.current_state()];
      }
      std::vector<double> p(6, 0.0);
      const auto next = mdp->NextStates(s, a);
      const auto prob = mdp->NextProbabilities(s, a);
      for (std::size_t j = 0; j < next.size(); ++j) p[next[j]] += prob[j];
      for (int t = 0; t < 6; ++t) {
        const double se = std::sqrt(p[t] * (1 - p[t]) / n) + 1e-12;
        EXPECT_LE(std::abs(counts[t] / static_cast<double>(n) - p[t]), 5 * se) << "s=" << s << " a=" << a << " s'=" << t;
      }
    }
  }
}

TEST(MdpEnvironment, TerminalActionsEndTheEpisodeAndTimeLimitTruncates) {
  auto bandit = std::make_shared<const Mdp>(MakeBandit({1.0, -2.0}));
  MdpEnvironment env(bandit, 0);
  std::vector<float> obs(1);
  env.Reset(0, obs);
  const double a1[] = {1.0};
  const StepResult r = env.Step(a1, obs);
  EXPECT_EQ(r.reward, -2.0);
  EXPECT_TRUE(r.terminated);
  EXPECT_THROW(env.Step(a1, obs), Error);  // the episode ended

  auto chain = std::make_shared<const Mdp>(MakeChain({}));
  MdpEnvironment limited(chain, 3);
  std::vector<float> o(chain->num_states());
  limited.Reset(0, o);
  const double forward[] = {0.0};
  EXPECT_FALSE(limited.Step(forward, o).truncated);
  EXPECT_FALSE(limited.Step(forward, o).truncated);
  EXPECT_TRUE(limited.Step(forward, o).truncated);
}

TEST(MdpEnvironment, InitialStatesFollowTheInitialDistribution) {
  MdpSpec spec = MakeRandomMdp({.num_states = 4, .num_actions = 2, .seed = 5}).ToSpec();
  spec.initial = {{1, 0.25}, {3, 0.75}};
  auto mdp = std::make_shared<const Mdp>(Mdp::FromSpec(spec));
  MdpEnvironment env(mdp, 5);
  std::vector<float> obs(4);
  env.Reset(123, obs);
  int threes = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    env.Reset(std::nullopt, obs);
    ASSERT_TRUE(env.current_state() == 1 || env.current_state() == 3);
    threes += env.current_state() == 3;
  }
  EXPECT_NEAR(threes / static_cast<double>(n), 0.75, 5 * std::sqrt(0.75 * 0.25 / n));
}

TEST(MdpEnvironment, RejectsBadStatesAndLimits) {
  auto mdp = std::make_shared<const Mdp>(MakeChain({}));
  EXPECT_THROW(MdpEnvironment(mdp, -1), Error);
  EXPECT_THROW(MdpEnvironment(nullptr, 5), Error);
  MdpEnvironment env(mdp, 5);
  for (double bad : {-1.0, 0.5, 5.0, 99.0}) {
    const double s[] = {bad};
    EXPECT_THROW(env.SetState(s), Error) << bad;
  }
  try {
    const double s[] = {2.5};
    env.SetState(s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("state[0] = 2.5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cai::env
