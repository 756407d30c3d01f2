#include "cai/mdp/mdp.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/mdp/action_prior.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/mdp_json.h"

namespace cai {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json IssueExample() {
  return json::parse(R"({"format": "cai.mdp/1",
   "num_states": 2, "num_actions": 2,
   "rewards": [[1.0, 0.0], [0.0, -1.0]],
   "transitions": [{"s": 0, "a": 0, "next": [[1, 0.9], [0, 0.1]]},
                   {"s": 1, "a": 1, "next": [[1, 1.0]]}],
   "initial": [[0, 1.0]],
   "state_names": ["start", "goal"], "action_names": ["left", "right"]})");
}

// Expects MdpFromJson(doc) to throw cai::Error whose message contains `expected`.
void ExpectError(const json& doc, const std::string& expected) {
  try {
    MdpFromJson(doc);
    FAIL() << "no error; expected: " << expected;
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(expected));
  }
}

TEST(MdpJson, LoadsTheIssueExample) {
  const Mdp m = LoadMdp(std::string(CAI_TEST_DATA_DIR) + "/issue_example.json");
  EXPECT_EQ(m.num_states(), 2);
  EXPECT_EQ(m.num_actions(), 2);
  EXPECT_EQ(m.reward(1, 1), -1.0);
  EXPECT_FALSE(m.IsTerminal(0, 0));
  EXPECT_TRUE(m.IsTerminal(0, 1));  // absent from transitions: ends the episode
  EXPECT_TRUE(m.IsTerminal(1, 0));
  ASSERT_EQ(m.NextStates(0, 0).size(), 2u);
  EXPECT_EQ(m.NextStates(0, 0)[0], 1);
  EXPECT_EQ(m.NextProbabilities(0, 0)[0], 0.9);
  EXPECT_EQ(m.initial_distribution()[0], 1.0);
  EXPECT_EQ(m.StateName(1), "goal");
  EXPECT_EQ(m.ActionName(0), "left");
}

TEST(MdpJson, RoundTripIsLossless) {
  // Awkward doubles (not exactly representable in decimal) must survive save and load bit for bit.
  for (const Mdp& m : {MdpFromJson(IssueExample()), MakeRandomMdp({7, 3, 4, 0.2, 11}),
                       MakeGridworld({}), MakeGamble({})}) {
    const std::string path = ::testing::TempDir() + "/roundtrip.json";
    SaveMdp(m, path);
    const Mdp back = LoadMdp(path);
    EXPECT_EQ(back.ToSpec(), m.ToSpec());
    EXPECT_EQ(MdpToJson(back), MdpToJson(m));
  }
}

TEST(MdpJson, InitialDefaultsToStateZero) {
  json doc = IssueExample();
  doc.erase("initial");
  const Mdp m = MdpFromJson(doc);
  EXPECT_EQ(m.initial_distribution()[0], 1.0);
  EXPECT_EQ(m.initial_distribution()[1], 0.0);
}

TEST(MdpJson, EmptyNextListIsATerminalAction) {
  json doc = IssueExample();
  doc["transitions"][0]["next"] = json::array();
  EXPECT_TRUE(MdpFromJson(doc).IsTerminal(0, 0));
}

TEST(MdpValidation, NegativeProbabilityNamesThePlace) {
  // Thirteen transitions so that the error is at transitions[12], as in the issue's example.
  json doc = {{"format", "cai.mdp/1"}, {"num_states", 4}, {"num_actions", 4}};
  doc["rewards"] = json::array();
  for (int s = 0; s < 4; ++s) doc["rewards"].push_back({0.0, 0.0, 0.0, 0.0});
  doc["transitions"] = json::array();
  for (int k = 0; k < 13; ++k) {
    doc["transitions"].push_back({{"s", k / 4}, {"a", k % 4}, {"next", {{0, 0.5}, {1, 0.5}}}});
  }
  doc["transitions"][12]["next"] = {{0, 0.7}, {1, -0.2}, {2, 0.5}};
  ExpectError(doc, "transitions[12].next[1]: probability -0.2 is negative");
}

TEST(MdpValidation, ProbabilitiesMustSumToOne) {
  json doc = IssueExample();
  doc["transitions"][0]["next"] = {{1, 0.9}, {0, 0.2}};
  ExpectError(doc, "transitions[0].next: probabilities sum to 1.1");
  // Within the 1e-9 tolerance is accepted, outside is not.
  doc["transitions"][0]["next"] = {{1, 0.9}, {0, 0.1 + 5e-10}};
  EXPECT_NO_THROW(MdpFromJson(doc));
  doc["transitions"][0]["next"] = {{1, 0.9}, {0, 0.1 + 5e-9}};
  ExpectError(doc, "expected 1 (tolerance 1e-09)");
}

TEST(MdpValidation, IndicesOutOfRange) {
  json doc = IssueExample();
  doc["transitions"][1]["s"] = 2;
  ExpectError(doc, "transitions[1].s: state 2 is out of range [0, 2)");
  doc = IssueExample();
  doc["transitions"][1]["a"] = -1;
  ExpectError(doc, "transitions[1].a: action -1 is out of range [0, 2)");
  doc = IssueExample();
  doc["transitions"][0]["next"][0][0] = 5;
  ExpectError(doc, "transitions[0].next[0]: next state 5 is out of range [0, 2)");
  doc = IssueExample();
  doc["initial"] = {{3, 1.0}};
  ExpectError(doc, "initial[0]: state 3 is out of range [0, 2)");
}

TEST(MdpValidation, DuplicatesAreErrorsNotMerges) {
  json doc = IssueExample();
  doc["transitions"].push_back({{"s", 0}, {"a", 0}, {"next", {{0, 1.0}}}});
  ExpectError(doc, "transitions[2]: duplicate (s=0, a=0), first given at transitions[0]");
  doc = IssueExample();
  doc["transitions"][0]["next"] = {{1, 0.5}, {1, 0.5}};
  ExpectError(doc, "transitions[0].next[1]: next state 1 is repeated");
}

TEST(MdpValidation, NonFiniteNumbers) {
  // JSON has no NaN; the API path must reject it, and so must numbers too large for a double.
  MdpSpec spec = MdpFromJson(IssueExample()).ToSpec();
  spec.rewards[1][0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT([&] { Mdp::FromSpec(spec); },
              ::testing::ThrowsMessage<Error>(HasSubstr("rewards[1][0]: nan is not finite")));
  spec = MdpFromJson(IssueExample()).ToSpec();
  spec.transitions[0].next[0].second = std::numeric_limits<double>::infinity();
  EXPECT_THAT([&] { Mdp::FromSpec(spec); },
              ::testing::ThrowsMessage<Error>(HasSubstr("transitions[0].next[0]: probability inf")));
  const std::string path = ::testing::TempDir() + "/huge.json";
  std::ofstream(path) << R"({"format":"cai.mdp/1","num_states":1,"num_actions":1,"rewards":[[1e999]]})";
  EXPECT_THROW(LoadMdp(path), Error);
}

TEST(MdpValidation, WrongShapesAndTypes) {
  json doc = IssueExample();
  doc["rewards"] = {{1.0, 0.0}};
  ExpectError(doc, "rewards: expected 2 rows (num_states), got 1");
  doc = IssueExample();
  doc["rewards"][1] = {0.0, -1.0, 3.0};
  ExpectError(doc, "rewards[1]: expected 2 entries (num_actions), got 3");
  doc = IssueExample();
  doc["rewards"][0][1] = "zero";
  ExpectError(doc, "rewards[0][1]: expected a number, got \"zero\"");
  doc = IssueExample();
  doc["num_states"] = 0;
  ExpectError(doc, "num_states: 0 is not a positive integer");
  doc = IssueExample();
  doc["num_actions"] = 1.5;
  ExpectError(doc, "num_actions: expected an integer, got 1.5");
  doc = IssueExample();
  doc["transitions"][0]["next"][0] = {1, 0.5, 7};
  ExpectError(doc, "transitions[0].next[0]: expected [state, probability]");
  doc = IssueExample();
  doc["state_names"] = {"only-one"};
  ExpectError(doc, "state_names: expected 2 names (num_states), got 1");
  doc = IssueExample();
  doc["grid"] = {{"width", 3}, {"height", 1}};
  ExpectError(doc, "grid: width 3 x height 1 does not match num_states 2");
  doc = IssueExample();
  doc["transitions"][0].erase("next");
  ExpectError(doc, "transitions[0].next: missing");
  doc = IssueExample();
  doc["initial"] = json::array();
  ExpectError(doc, "initial: empty list");
}

TEST(MdpValidation, FormatAndUnknownFields) {
  json doc = IssueExample();
  doc["format"] = "cai.mdp/2";
  ExpectError(doc, "format: unknown format \"cai.mdp/2\" (expected \"cai.mdp/1\")");
  doc.erase("format");
  ExpectError(doc, "format: missing");
  doc = IssueExample();
  doc["reward"] = 1;  // a typo must not be silently ignored
  ExpectError(doc, "unknown field \"reward\"");
  doc = IssueExample();
  doc["transitions"][0]["prob"] = 1;
  ExpectError(doc, "transitions[0]: unknown field \"prob\"");
  ExpectError(json::array(), "expected a JSON object");
}

TEST(MdpFiles, MissingFileAndBadJsonAreClearErrors) {
  EXPECT_THAT([] { LoadMdp("/nonexistent/mdp.json"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("/nonexistent/mdp.json: cannot open")));
  const std::string path = ::testing::TempDir() + "/bad.json";
  std::ofstream(path) << "{\"format\": \"cai.mdp/1\", ";
  EXPECT_THAT([&] { LoadMdp(path); },
              ::testing::ThrowsMessage<Error>(HasSubstr("invalid JSON at byte")));
  // Validation errors carry the file name.
  std::ofstream(path, std::ios::trunc) << R"({"format":"cai.mdp/1","num_states":1,"num_actions":1,"rewards":[[0]],"initial":[[0,0.5]]})";
  EXPECT_THAT([&] { LoadMdp(path); },
              ::testing::ThrowsMessage<Error>(HasSubstr(path + ": initial: probabilities sum to 0.5")));
}

TEST(MdpFiles, SaveIsAtomicAndLeavesNoTemporary) {
  const std::string path = ::testing::TempDir() + "/atomic.json";
  SaveMdp(MakeGamble({}), path);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_THROW(SaveMdp(MakeGamble({}), "/nonexistent-dir/x.json"), Error);
}

TEST(ActionPrior, TableValidation) {
  EXPECT_NO_THROW(ActionPrior::Table(1, 2, {0.25, 0.75}));
  EXPECT_THAT([] { ActionPrior::Table(1, 2, {0.5, 0.6}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("probabilities[0]: sums to 1.1")));
  EXPECT_THAT([] { ActionPrior::Table(1, 2, {1.5, -0.5}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("probabilities[0][1]: -0.5 is not a probability")));
  EXPECT_THAT([] { ActionPrior::Table(2, 2, {0.5, 0.5}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("expected 2 x 2 = 4 probabilities, got 2")));
  const ActionPrior p = ActionPrior::Table(1, 2, {0.0, 1.0});
  EXPECT_EQ(p.LogProb(0, 0, 2), -std::numeric_limits<double>::infinity());
  EXPECT_THAT([&] { p.CheckFits(2, 2); },
              ::testing::ThrowsMessage<Error>(HasSubstr("table is 1 x 2 but the MDP has 2 states")));
}

TEST(ActionPrior, JsonRoundTripAndErrors) {
  const ActionPrior p = ActionPrior::Table(2, 3, {0.2, 0.3, 0.5, 1.0, 0.0, 0.0});
  const ActionPrior back = ActionPriorFromJson(ActionPriorToJson(p));
  EXPECT_EQ(back.table(), p.table());
  json bad = ActionPriorToJson(p);
  bad["probabilities"][1][2] = "x";
  EXPECT_THAT([&] { ActionPriorFromJson(bad); },
              ::testing::ThrowsMessage<Error>(HasSubstr("probabilities[1][2]: expected a number")));
  bad = ActionPriorToJson(p);
  bad["format"] = "cai.mdp/1";
  EXPECT_THROW(ActionPriorFromJson(bad), Error);
}

}  // namespace
}  // namespace cai
