// Demonstration files: parsing, the errors users see, validation against an MDP, sampling.
#include "cai/irl/demonstrations.h"

#include <string>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/mdp/builtins.h"

namespace cai {
namespace {

std::string ParseError(const std::string& text) {
  try {
    ParseDemonstrations(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string ValidateError(const std::vector<Demonstration>& demos, const Mdp& mdp) {
  try {
    ValidateDemonstrations(demos, mdp);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Demonstrations, RoundTripThroughJsonLines) {
  const std::vector<Demonstration> demos = {{{0, 1, 2}, {3, 3, 1}}, {{4}, {0}}};
  const std::string text = DemonstrationsToJsonLines(demos);
  EXPECT_EQ(text, "{\"actions\":[3,3,1],\"states\":[0,1,2]}\n{\"actions\":[0],\"states\":[4]}\n");
  EXPECT_EQ(ParseDemonstrations(text), demos);
  // Blank lines are skipped; key order does not matter.
  EXPECT_EQ(ParseDemonstrations("\n{\"states\": [4], \"actions\": [0]}\n\n").size(), 1u);
}

TEST(Demonstrations, ParseErrorsNameTheLineAndTheField) {
  EXPECT_EQ(ParseError("{\"states\": [], \"actions\": []}"),
            "line 1: empty trajectory (expected at least one state and action)");
  EXPECT_EQ(ParseError("{\"states\": [0], \"actions\": [0]}\n{\"states\": [0, 1], \"actions\": [2]}"),
            "line 2: 2 states but 1 actions (expected the same number: the pairs (s_t, a_t))");
  EXPECT_EQ(ParseError("{\"states\": [0, 1.5], \"actions\": [0, 0]}"),
            "line 1: states[1]: 1.5 (expected an integer index)");
  EXPECT_EQ(ParseError("{\"states\": [0]}"),
            "line 1: \"actions\" is missing (expected an array of integers)");
  EXPECT_EQ(ParseError("{\"states\": [0], \"actions\": [0], \"reward\": 1}"),
            "line 1: unknown key \"reward\" (expected states, actions)");
  EXPECT_NE(ParseError("{\"states\": [0], ").find("line 1: invalid JSON"), std::string::npos);
  EXPECT_EQ(ParseError("[1, 2]"),
            "line 1: expected a JSON object {\"states\": [...], \"actions\": [...]}");
}

TEST(Demonstrations, ValidationAgainstTheMdpNamesDemoStepAndValue) {
  GridworldOptions o;
  o.width = 3;
  o.height = 1;
  o.slip = 0.0;
  o.goals = {{2, 0}};
  const Mdp mdp = MakeGridworld(o);  // states 0 1 2; actions up down left right; 2 ends
  EXPECT_EQ(ValidateError({{{0, 1, 2}, {3, 3, 0}}}, mdp), "(no error)");
  EXPECT_EQ(ValidateError({}, mdp), "demos: no demonstrations (expected at least one trajectory)");
  EXPECT_EQ(ValidateError({{{0, 7}, {3, 3}}}, mdp),
            "demos[0]: states[1] = 7 is out of range (expected 0 to 2)");
  EXPECT_EQ(ValidateError({{{0}, {0}}, {{0, 1}, {3, -1}}}, mdp),
            "demos[1]: actions[1] = -1 is out of range (expected 0 to 3)");
  EXPECT_EQ(ValidateError({{{0, 2}, {3, 0}}}, mdp),
            "demos[0]: step 1: state 2 cannot follow state 0 and action 3 (p(s'|s,a) = 0 in the MDP)");
  EXPECT_EQ(ValidateError({{{0, 1, 2, 2}, {3, 3, 0, 0}}}, mdp),
            "demos[0]: step 2 takes action 0 in state 2, which ends the episode, but the "
            "trajectory goes on");
}

TEST(Demonstrations, SamplingIsDeterministicGivenTheSeedAndValid) {
  GridworldOptions o;
  const Mdp mdp = MakeGridworld(o);
  const std::vector<double> uniform(static_cast<std::size_t>(mdp.num_states()) * 4, 0.25);
  const auto a = SampleDemonstrations(mdp, uniform, 20, 15, 7);
  const auto b = SampleDemonstrations(mdp, uniform, 20, 15, 7);
  const auto c = SampleDemonstrations(mdp, uniform, 20, 15, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(ValidateError(a, mdp), "(no error)");
  for (const auto& d : a) {
    EXPECT_LE(d.states.size(), 15u);
    EXPECT_EQ(d.states.size(), d.actions.size());
  }
}

}  // namespace
}  // namespace cai
