#include "cai/align/token_world.h"

#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"

namespace cai::align {
namespace {

TEST(TokenWorld, EnumeratesEveryResponseOnce) {
  const TokenWorld world({1, 3, 3});
  // Nodes: "" (1), "a" "b" (2), "aa" "ab" "ba" "bb" (4). Responses: 1 + 2 ending in "$" at depths 0-1,
  // and every token at depth 2: 1 + 2 + 4 * 3 = 15.
  EXPECT_EQ(world.num_nodes(), 7);
  EXPECT_EQ(world.num_responses(), 15);
  std::set<std::string> texts;
  for (int r = 0; r < world.num_responses(); ++r) {
    const std::string t = world.ResponseText(r);
    EXPECT_LE(t.size(), 3u);
    EXPECT_TRUE(t.back() == '$' || t.size() == 3u) << t;
    EXPECT_EQ(t.find('$'), t.back() == '$' ? t.size() - 1 : std::string::npos) << t;
    texts.insert(t);
  }
  EXPECT_EQ(texts.size(), 15u);
  EXPECT_TRUE(texts.count("$") && texts.count("ab$") && texts.count("bba"));
}

TEST(TokenWorld, InvalidOptionsNameTheField) {
  EXPECT_THROW(TokenWorld({0, 3, 3}), Error);
  try {
    TokenWorld({1, 1, 3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size: 1"), std::string::npos);
  }
  EXPECT_THROW(TokenWorld({1, 3, 0}), Error);
  EXPECT_THROW(TokenWorld({1, 10, 12}), Error);  // too many responses to enumerate
}

TEST(TabularPolicy, ResponseProbabilitiesSumToOneAndMatchSampling) {
  const TokenWorld world({2, 3, 3});
  Rng rng(11);
  const TabularPolicy policy = RandomPolicy(world, 1.0, rng);
  const std::vector<double> lp = policy.ResponseLogProbs();
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  for (int x = 0; x < 2; ++x) {
    EXPECT_NEAR(LogSumExp(std::span<const double>(lp).subspan(x * r_count, r_count)), 0.0, 1e-14);
  }
  // Monte Carlo: 200k samples; each frequency within 5 standard errors of pi(y|x).
  const int n = 200000;
  std::vector<double> freq(r_count, 0.0);
  for (int i = 0; i < n; ++i) freq[static_cast<std::size_t>(policy.Sample(1, rng))] += 1.0 / n;
  for (std::size_t r = 0; r < r_count; ++r) {
    const double p = std::exp(lp[r_count + r]);
    EXPECT_NEAR(freq[r], p, 5.0 * std::sqrt(p * (1 - p) / n) + 1e-12) << world.ResponseText(static_cast<int>(r));
  }
}

TEST(TabularPolicy, BackpropMatchesFiniteDifferences) {
  const TokenWorld world({2, 3, 3});
  Rng rng(3);
  TabularPolicy policy = RandomPolicy(world, 1.0, rng);
  std::vector<double> g(static_cast<std::size_t>(2 * world.num_responses()));
  for (double& v : g) v = rng.Normal();
  auto loss = [&](const TabularPolicy& p) {
    const auto lp = p.ResponseLogProbs();
    double s = 0.0;
    for (std::size_t i = 0; i < lp.size(); ++i) s += g[i] * lp[i];
    return s;
  };
  std::vector<double> grad(policy.logits().size());
  policy.BackpropResponseLogProbs(g, grad);
  const double h = 1e-6;
  for (std::size_t i = 0; i < grad.size(); ++i) {
    const double saved = policy.logits()[i];
    policy.logits()[i] = saved + h;
    const double up = loss(policy);
    policy.logits()[i] = saved - h;
    const double down = loss(policy);
    policy.logits()[i] = saved;
    EXPECT_NEAR(grad[i], (up - down) / (2 * h), 1e-7) << i;  // central difference error O(h^2) + roundoff
  }
}

TEST(Pretraining, MaximumLikelihoodReproducesCorpusFrequencies) {
  const TokenWorld world({2, 3, 3});
  Rng rng(5);
  const TabularPolicy teacher = RandomPolicy(world, 1.5, rng);
  const std::vector<CorpusEntry> corpus = SampleCorpus(teacher, 500, rng);
  const TabularPolicy model = FitMaximumLikelihood(world, corpus, 0.0);
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::vector<double> freq(2 * r_count, 0.0);
  for (const CorpusEntry& e : corpus) freq[static_cast<std::size_t>(e.prompt) * r_count + static_cast<std::size_t>(e.response)] += 1.0 / 500;
  const std::vector<double> lp = model.ResponseLogProbs();
  for (std::size_t i = 0; i < lp.size(); ++i) EXPECT_NEAR(std::exp(lp[i]), freq[i], 1e-12) << i;
  // Smoothing keeps every response possible and still sums to one.
  const std::vector<double> smooth = FitMaximumLikelihood(world, corpus, 0.5).ResponseLogProbs();
  for (double l : smooth) EXPECT_GT(l, kNegInf);
  EXPECT_NEAR(LogSumExp(std::span<const double>(smooth).subspan(0, r_count)), 0.0, 1e-14);
  EXPECT_THROW(FitMaximumLikelihood(world, corpus, -1.0), Error);
  // Same seed, same corpus.
  Rng a(9), b(9);
  const auto ca = SampleCorpus(teacher, 50, a);
  const auto cb = SampleCorpus(teacher, 50, b);
  for (std::size_t i = 0; i < ca.size(); ++i) EXPECT_EQ(ca[i].response, cb[i].response);
}

TEST(Rewards, BuiltinsFollowTheirDefinitions) {
  const TokenWorld world({2, 3, 2});
  const std::vector<double> length = MakeReward(world, "length", 0);
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  for (int r = 0; r < world.num_responses(); ++r) {
    const std::string t = world.ResponseText(r);
    const double words = static_cast<double>(t.size() - (t.back() == '$' ? 1 : 0));
    EXPECT_DOUBLE_EQ(length[static_cast<std::size_t>(r)], words / 2);
    EXPECT_DOUBLE_EQ(length[r_count + static_cast<std::size_t>(r)], -words / 2);
  }
  EXPECT_THROW(MakeReward(world, "fluency", 0), Error);
  EXPECT_EQ(MakeReward(world, "random", 4), MakeReward(world, "random", 4));
}

}  // namespace
}  // namespace cai::align
