#include "cai/mdp/builtins.h"

#include <cmath>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"

namespace cai {
namespace {

using ::testing::HasSubstr;

double ProbabilityOf(const Mdp& m, int s, int a, int next) {
  const auto states = m.NextStates(s, a);
  const auto probs = m.NextProbabilities(s, a);
  for (std::size_t k = 0; k < states.size(); ++k) {
    if (states[k] == next) return probs[k];
  }
  return 0.0;
}

TEST(Builtins, BanditIsOneStateTerminalAfterOneStep) {
  const Mdp m = MakeBandit({2.0, 1.0, 0.0});
  EXPECT_EQ(m.num_states(), 1);
  EXPECT_EQ(m.num_actions(), 3);
  for (int a = 0; a < 3; ++a) EXPECT_TRUE(m.IsTerminal(0, a));
  EXPECT_EQ(m.reward(0, 0), 2.0);
  EXPECT_EQ(MakeTwoActionExample().reward(0, 0), 1.0);
  EXPECT_EQ(MakeThreeActionExample().num_actions(), 3);
}

TEST(Builtins, GridworldSlipsToThePerpendicularDirections) {
  GridworldOptions o;
  o.width = 3;
  o.height = 3;
  o.slip = 0.2;
  const Mdp m = MakeGridworld(o);
  ASSERT_TRUE(m.grid());
  const int centre = 1 * 3 + 1;
  // up from the centre: 0.8 to (1,0), 0.1 to (0,1), 0.1 to (2,1).
  EXPECT_NEAR(ProbabilityOf(m, centre, 0, 1), 0.8, 1e-15);
  EXPECT_NEAR(ProbabilityOf(m, centre, 0, 3), 0.1, 1e-15);
  EXPECT_NEAR(ProbabilityOf(m, centre, 0, 5), 0.1, 1e-15);
  // left from the top-left corner: the wall keeps it in place (0.8), slips up (wall, 0.1) or down.
  EXPECT_NEAR(ProbabilityOf(m, 0, 2, 0), 0.9, 1e-15);
  EXPECT_NEAR(ProbabilityOf(m, 0, 2, 3), 0.1, 1e-15);
  // The default goal is the bottom-right corner: every action there ends the episode.
  for (int a = 0; a < 4; ++a) {
    EXPECT_TRUE(m.IsTerminal(8, a));
    EXPECT_EQ(m.reward(8, a), 1.0);
    EXPECT_EQ(m.reward(0, a), -0.1);
  }
}

TEST(Builtins, GridworldParametersAndErrors) {
  const Mdp m = MakeBuiltin("gridworld", {{"width", "4"}, {"height", "2"}, {"goal", "3,0"},
                                          {"trap", "1,1;2,1"}, {"trap_reward", "-5"}});
  EXPECT_EQ(m.num_states(), 8);
  EXPECT_TRUE(m.IsTerminal(3, 0));
  EXPECT_EQ(m.reward(5, 0), -5.0);
  EXPECT_THAT([] { MakeBuiltin("gridworld", {{"goal", "9,9"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("goal cell (9,9) is outside the 5 x 5 grid")));
  EXPECT_THAT([] { MakeBuiltin("gridworld", {{"slip", "1.5"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("slip: 1.5 is not in [0, 1]")));
  EXPECT_THAT([] { MakeBuiltin("gridworld", {{"width", "abc"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("parameter width=\"abc\" is not a finite number")));
  EXPECT_THAT([] { MakeBuiltin("gridworld", {{"width", "2.5"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("width=2.5 is not an integer")));
  EXPECT_THAT([] { MakeBuiltin("gridworld", {{"goal", "1,1"}, {"trap", "1,1"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("both a goal and a trap")));
}

TEST(Builtins, UnknownNamesAndParametersAreListed) {
  EXPECT_THAT([] { MakeBuiltin("maze", {}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("unknown built-in \"maze\" (expected one of: bandit")));
  EXPECT_THAT([] { MakeBuiltin("chain", {{"lenght", "3"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("chain: unknown parameter \"lenght\" (known: large_reward, length")));
  EXPECT_THAT([] { MakeBuiltin("two_action", {{"x", "1"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("unknown parameter \"x\" (known: none)")));
}

TEST(Builtins, ChainIsContinuing) {
  const Mdp m = MakeChain({});
  for (int s = 0; s < m.num_states(); ++s) {
    for (int a = 0; a < 2; ++a) EXPECT_FALSE(m.IsTerminal(s, a));
  }
  EXPECT_NEAR(ProbabilityOf(m, 0, 0, 1), 0.8, 1e-15);
  EXPECT_NEAR(ProbabilityOf(m, 2, 1, 0), 0.8, 1e-15);
}

TEST(Builtins, RandomMdpIsDeterministicInTheSeed) {
  const RandomMdpOptions o{20, 4, 3, 0.1, 9};
  EXPECT_EQ(MakeRandomMdp(o).ToSpec(), MakeRandomMdp(o).ToSpec());
  RandomMdpOptions other = o;
  other.seed = 10;
  EXPECT_NE(MakeRandomMdp(o).ToSpec(), MakeRandomMdp(other).ToSpec());
  const Mdp m = MakeRandomMdp(o);
  for (int s = 0; s < 20; ++s) {
    for (int a = 0; a < 4; ++a) {
      if (!m.IsTerminal(s, a)) {
        EXPECT_EQ(m.NextStates(s, a).size(), 3u);
      }
    }
  }
  EXPECT_THAT([] { MakeBuiltin("random", {{"branching", "30"}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("branching 30 must be in [1, states = 10]")));
}

TEST(Builtins, GambleStructure) {
  const Mdp m = MakeGamble({});
  EXPECT_EQ(m.StateName(0), "start");
  EXPECT_NEAR(ProbabilityOf(m, 0, 1, 2), 0.1, 1e-15);
  EXPECT_NEAR(ProbabilityOf(m, 0, 1, 3), 0.9, 1e-15);
  EXPECT_TRUE(m.IsTerminal(2, 0));
}

}  // namespace
}  // namespace cai
