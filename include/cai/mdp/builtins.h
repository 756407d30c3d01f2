// Built-in problems: bandits, gridworlds, chains, random MDPs, the lesson's worked examples and the
// stochastic gamble that separates the exact and variational backups.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cai/mdp/features.h"
#include "cai/mdp/mdp.h"

namespace cai {

/// One state, one action per reward, every action ends the episode ("terminal after one step").
Mdp MakeBandit(const std::vector<double>& rewards);

/// The lesson's two-action example: r = (1, 0), terminal after one step.
Mdp MakeTwoActionExample();
/// The lesson's three-action example: r = (2, 1, 0), terminal after one step.
Mdp MakeThreeActionExample();

struct GridworldOptions {
  int width = 5;
  int height = 5;
  /// With probability 1 - slip the agent moves as intended; with slip / 2 each it moves in one of
  /// the two perpendicular directions. A move into the wall leaves it in place.
  double slip = 0.1;
  double step_reward = -0.1;  ///< reward of every action in an ordinary cell
  double goal_reward = 1.0;   ///< reward of any action in a goal cell; the episode then ends
  double trap_reward = -1.0;  ///< reward of any action in a trap cell; the episode then ends
  std::vector<std::pair<int, int>> goals = {};  ///< (x, y); empty means the bottom-right corner
  std::vector<std::pair<int, int>> traps = {};
  std::pair<int, int> start = {0, 0};
};
/// Actions 0..3 are up, down, left, right (y = 0 is the top row). Carries a GridLayout.
Mdp MakeGridworld(const GridworldOptions& options);

struct ChainOptions {
  int length = 5;             ///< number of states
  double slip = 0.2;          ///< probability that an action does the opposite
  double small_reward = 0.2;  ///< reward of "back" (returns to state 0)
  double large_reward = 1.0;  ///< reward of "forward" in the last state (stays there)
};
/// The n-chain (Strens 2000): "forward" moves one state right, "back" returns to the start; a
/// continuing task (no terminal actions), for discounted solving.
Mdp MakeChain(const ChainOptions& options);

struct RandomMdpOptions {
  int num_states = 10;
  int num_actions = 3;
  int branching = 3;              ///< successors per (s, a), distinct states
  double terminal_probability = 0.0;  ///< chance that an (s, a) ends the episode
  std::uint64_t seed = 0;
};
/// Rewards uniform in [-1, 1), successor probabilities from normalised uniform draws.
Mdp MakeRandomMdp(const RandomMdpOptions& options);

struct GambleOptions {
  double win_probability = 0.1;
  double win_reward = 10.0;
  double lose_reward = -10.0;
  double sure_reward = 0.0;
};
/// State "start" with actions "safe" (to "sure", deterministic) and "gamble" (to "win" with
/// win_probability, else "lose"); the three outcome states end the episode with their reward.
/// The exact (optimistic) backup prefers the gamble although its expected reward is lower.
Mdp MakeGamble(const GambleOptions& options);

/// Names of the built-ins for `MakeBuiltin`.
std::vector<std::string> BuiltinNames();
/// Builds a built-in by name from `key=value` parameters (as given on the command line). Unknown
/// names or keys and malformed values throw cai::Error naming them and listing what is accepted.
Mdp MakeBuiltin(const std::string& name, const std::map<std::string, std::string>& params);
/// The feature table of a built-in: objectworld's distance features, one-hot state features
/// (IndicatorFeatures) for the others. Same parameters and errors as MakeBuiltin.
FeatureTable MakeBuiltinFeatures(const std::string& name,
                                 const std::map<std::string, std::string>& params);
/// One line per built-in: its name, parameters and defaults.
std::string DescribeBuiltins();

}  // namespace cai
