#include "cai/align/exact_posterior.h"

#include <cmath>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"

namespace cai::align {
namespace {

// RLHF is control as inference with the pretrained model as the prior: the sequence-level
// posterior pi_ref exp(R / beta) / Z and token-level soft value iteration with pi_ref as the action
// prior are the same distribution.
TEST(ExactPosterior, EnumerationAgreesWithTokenLevelSoftValueIteration) {
  const TokenWorld world({3, 4, 3});
  Rng rng(21);
  const TabularPolicy teacher = RandomPolicy(world, 1.0, rng);
  const TabularPolicy reference = FitMaximumLikelihood(world, SampleCorpus(teacher, 300, rng), 0.5);
  for (const char* reward_name : {"length", "random"}) {
    const std::vector<double> reward = MakeReward(world, reward_name, 7);
    for (double beta : {0.05, 0.5, 3.0}) {
      const SequencePosterior seq = EnumeratedPosterior(world, reference.ResponseLogProbs(), reward, beta);
      const TokenPosterior tok = SoftValueIterationPosterior(world, reference, reward, beta);
      const std::vector<double> tok_lp = ResponseLogProbsFromTokens(world, tok.token_probabilities);
      double worst = 0.0;
      for (std::size_t i = 0; i < tok_lp.size(); ++i) {
        worst = std::max(worst, std::abs(std::exp(tok_lp[i]) - std::exp(seq.log_probs[i])));
      }
      EXPECT_LT(worst, 1e-10) << reward_name << " beta " << beta;
      for (int x = 0; x < world.num_prompts(); ++x) {
        EXPECT_NEAR(tok.log_partition[static_cast<std::size_t>(x)], seq.log_partition[static_cast<std::size_t>(x)],
                    1e-10 * std::max(1.0, std::abs(seq.log_partition[static_cast<std::size_t>(x)])));
      }
    }
  }
}

// The lesson's three-action example with a uniform reference: one token, no continuation.
TEST(ExactPosterior, ThreeActionsWithUniformReferenceIsSoftmaxOfRewardOverBeta) {
  const TokenWorld world({1, 3, 1});
  ASSERT_EQ(world.num_responses(), 3);
  const std::vector<double> reward{1.0, 0.0, -1.0};
  const TabularPolicy uniform(world);
  for (double beta : {0.1, 1.0, 10.0}) {
    std::vector<double> expected(3);
    std::vector<double> scaled{1.0, 0.0, -1.0};
    SoftArgMax(scaled, beta, {}, expected);
    const SequencePosterior seq = EnumeratedPosterior(world, uniform.ResponseLogProbs(), reward, beta);
    const TokenPosterior tok = SoftValueIterationPosterior(world, uniform, reward, beta);
    for (int r = 0; r < 3; ++r) {
      const double direct = std::exp(reward[static_cast<std::size_t>(r)] / beta) /
                            (std::exp(1.0 / beta) + 1.0 + std::exp(-1.0 / beta));
      EXPECT_NEAR(expected[static_cast<std::size_t>(r)], direct, 1e-15);
      EXPECT_NEAR(std::exp(seq.log_probs[static_cast<std::size_t>(r)]), direct, 1e-14);
      EXPECT_NEAR(tok.token_probabilities[static_cast<std::size_t>(world.ResponseToken(r))], direct, 1e-14);
    }
    // Z with a uniform prior: (e^{1/beta} + 1 + e^{-1/beta}) / 3.
    EXPECT_NEAR(seq.log_partition[0], std::log((std::exp(1 / beta) + 1 + std::exp(-1 / beta)) / 3), 1e-12);
  }
  EXPECT_THROW(EnumeratedPosterior(world, uniform.ResponseLogProbs(), reward, 0.0), Error);
}

}  // namespace
}  // namespace cai::align
