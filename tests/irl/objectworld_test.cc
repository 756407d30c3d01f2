// Objectworld (Levine et al. 2011) and feature tables.
#include "cai/mdp/objectworld.h"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/features.h"

namespace cai {
namespace {

TEST(Objectworld, HasTheDocumentedStructure) {
  ObjectworldOptions o;  // 32 x 32, 64 objects, 2 colours, move success 0.7
  const Objectworld w = MakeObjectworld(o);
  const Mdp& mdp = w.mdp;
  EXPECT_EQ(mdp.num_states(), 1024);
  EXPECT_EQ(mdp.num_actions(), 5);
  ASSERT_TRUE(mdp.grid().has_value());
  EXPECT_EQ(mdp.grid()->width, 32);
  EXPECT_EQ(w.objects.size(), 64u);
  // 2 x 2 continuous distances + 2 x 2 x 32 discrete indicators.
  EXPECT_EQ(w.features.num_features, 4 + 128);
  EXPECT_EQ(w.features.kind, FeatureKind::kState);
  ValidateFeatures(w.features, mdp);
  for (int s = 0; s < mdp.num_states(); ++s) {
    for (int a = 0; a < 5; ++a) {
      double total = 0.0;
      for (double p : mdp.NextProbabilities(s, a)) total += p;
      EXPECT_NEAR(total, 1.0, 1e-12);
      EXPECT_FALSE(mdp.IsTerminal(s, a));
    }
  }
  // An interior cell: the intended move has 0.7, each other action 0.3 / 4 = 0.075.
  const int s = 5 * 32 + 5;
  const auto next = mdp.NextStates(s, 3);  // right
  const auto prob = mdp.NextProbabilities(s, 3);
  for (std::size_t k = 0; k < next.size(); ++k) {
    EXPECT_NEAR(prob[k], next[k] == s + 1 ? 0.7 : 0.075, 1e-15) << next[k];
  }
  // A corner: "up" and "left" both stay, so staying has 0.7 + 0.075 + 0.075 under "up".
  const auto corner_next = mdp.NextStates(0, 0);
  const auto corner_prob = mdp.NextProbabilities(0, 0);
  for (std::size_t k = 0; k < corner_next.size(); ++k) {
    if (corner_next[k] == 0) {
      EXPECT_NEAR(corner_prob[k], 0.85, 1e-15);
    }
  }
}

TEST(Objectworld, RewardAndFeaturesFollowTheDefinitionAtEveryCell) {
  ObjectworldOptions o;
  o.size = 12;
  o.num_objects = 14;
  o.seed = 9;
  const Objectworld w = MakeObjectworld(o);
  const int n = o.size;
  const int k = w.features.num_features;
  ASSERT_EQ(k, 4 + 4 * n);
  int counts[3] = {0, 0, 0};
  for (int s = 0; s < n * n; ++s) {
    double nearest[4] = {2.0 * n, 2.0 * n, 2.0 * n, 2.0 * n};  // outer 0, outer 1, inner 0, inner 1
    for (const auto& obj : w.objects) {
      const double d = std::sqrt(double((s % n - obj.x) * (s % n - obj.x) +
                                        (s / n - obj.y) * (s / n - obj.y)));
      nearest[obj.outer_colour] = std::min(nearest[obj.outer_colour], d);
      nearest[2 + obj.inner_colour] = std::min(nearest[2 + obj.inner_colour], d);
    }
    const double expected = nearest[0] <= 3 ? (nearest[1] <= 2 ? 1.0 : -1.0) : 0.0;
    counts[static_cast<int>(expected) + 1]++;
    for (int a = 0; a < 5; ++a) EXPECT_EQ(w.mdp.reward(s, a), expected) << "state " << s;
    const auto f = w.features.Row(s, 0);
    for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(f[static_cast<std::size_t>(j)], nearest[j]);
    for (int j = 0; j < 4; ++j) {
      for (int d = 1; d <= n; ++d) {
        EXPECT_EQ(f[static_cast<std::size_t>(4 + j * n + d - 1)], nearest[j] <= d ? 1.0 : 0.0);
      }
    }
  }
  // This map has cells of all three kinds.
  EXPECT_GT(counts[0], 0);
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[2], 0);
}

TEST(Objectworld, SameSeedSameWorldAndOptionsAreValidated) {
  ObjectworldOptions o;
  o.size = 10;
  o.num_objects = 8;
  o.seed = 4;
  EXPECT_EQ(MakeObjectworld(o).mdp.ToSpec(), MakeObjectworld(o).mdp.ToSpec());
  o.seed = 5;
  ObjectworldOptions p = o;
  p.seed = 4;
  EXPECT_NE(MakeObjectworld(o).mdp.ToSpec(), MakeObjectworld(p).mdp.ToSpec());
  auto message = [](ObjectworldOptions bad) {
    try {
      MakeObjectworld(bad);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  ObjectworldOptions bad = o;
  bad.move_success = 1.5;
  EXPECT_EQ(message(bad), "objectworld: move_success 1.5 is invalid (expected a probability in [0, 1])");
  bad = o;
  bad.num_objects = 101;
  EXPECT_EQ(message(bad), "objectworld: num_objects 101 is invalid (expected 1 to size^2 = 100)");
  bad = o;
  bad.num_colours = 1;
  EXPECT_EQ(message(bad), "objectworld: num_colours 1 is invalid (expected 2 to 64)");
  // Through the built-in registry, with its features.
  const Mdp m = MakeBuiltin("objectworld", {{"size", "6"}, {"objects", "4"}});
  EXPECT_EQ(m.num_states(), 36);
  const FeatureTable f =
      MakeBuiltinFeatures("objectworld", {{"size", "6"}, {"objects", "4"}, {"discrete_features", "0"}});
  EXPECT_EQ(f.num_features, 4);
  EXPECT_THROW(MakeBuiltin("objectworld", {{"colour", "3"}}), Error);
}

TEST(Features, JsonRoundTripAndErrors) {
  const Mdp mdp = MakeBuiltin("objectworld", {{"size", "3"}, {"objects", "2"}, {"discrete_features", "0"}});
  const FeatureTable f = MakeBuiltinFeatures("objectworld", {{"size", "3"}, {"objects", "2"},
                                                             {"discrete_features", "0"}});
  const FeatureTable back = FeaturesFromJson(FeaturesToJson(f));
  EXPECT_EQ(back.values, f.values);
  EXPECT_EQ(back.names, f.names);
  ValidateFeatures(back, mdp);
  auto message = [](const nlohmann::json& doc) {
    try {
      FeaturesFromJson(doc);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  nlohmann::json doc = FeaturesToJson(f);
  doc["values"][2][1] = "x";
  EXPECT_EQ(message(doc), "values[2][1]: \"x\" (expected a number)");
  doc = FeaturesToJson(f);
  doc["values"].erase(0);
  EXPECT_EQ(message(doc), "values: 8 rows (expected 9: one per state)");
  doc = FeaturesToJson(f);
  doc["kind"] = "action";
  EXPECT_EQ(message(doc), "kind: \"action\" (expected \"state\" or \"state_action\")");
  FeatureTable wrong = f;
  wrong.num_actions = 4;
  EXPECT_THROW(ValidateFeatures(wrong, mdp), Error);
  // Linear reward: theta . f(s) for every action.
  std::vector<double> r(9 * 5);
  LinearReward(f, std::vector<double>{1.0, 0.0, 0.0, 0.0}, r);
  EXPECT_EQ(r[4 * 5 + 2], f.Row(4, 0)[0]);
}

}  // namespace
}  // namespace cai
