#include "cai/core/rng.h"
#include "cai/core/error.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace cai {
namespace {

TEST(SplitMix64, ReproducesThePublishedOutputsForSeedZero) {
  // The first outputs of the reference splitmix64.c from state 0 (they also seed xoshiro256**).
  std::uint64_t state = 0;
  EXPECT_EQ(SplitMix64(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(SplitMix64(state), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(SplitMix64(state), 0x06c45d188009454fULL);
  EXPECT_EQ(SplitMix64(state), 0xf88bb8a8724c81ecULL);
  EXPECT_EQ(state, 4 * 0x9e3779b97f4a7c15ULL);  // the state advances by the golden gamma
}

TEST(Rng, SameSeedSameStreamDifferentSeedDifferentStream) {
  Rng a(42), b(42), c(43);
  bool any_difference = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    any_difference = any_difference || (x != c.NextU64());
  }
  EXPECT_TRUE(any_difference);
}

TEST(Rng, UniformMomentsAndRange) {
  Rng rng(1);
  const int n = 200000;
  double sum = 0.0, sum2 = 0.0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
  }
  // Mean 1/2 (sd of the mean sqrt(1/12/n) = 6.5e-4), second moment 1/3: 5-sigma bounds.
  EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12.0 / n));
  EXPECT_NEAR(sum2 / n, 1.0 / 3.0, 5 * std::sqrt(4.0 / 45.0 / n));
}

TEST(Rng, NormalMoments) {
  Rng rng(7);
  const int n = 200000;
  double sum = 0.0, sum2 = 0.0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.Normal();
    sum += z;
    sum2 += z * z;
  }
  EXPECT_NEAR(sum / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(sum2 / n, 1.0, 5 * std::sqrt(2.0 / n));
}

TEST(Rng, CategoricalFrequenciesMatchProbabilities) {
  Rng rng(3);
  const std::vector<double> p = {0.1, 0.0, 0.6, 0.3};
  std::vector<int> counts(4, 0);
  const int n = 100000;
  for (int i = 0; i < n; ++i) ++counts[rng.Categorical(p)];
  EXPECT_EQ(counts[1], 0);  // zero-probability outcomes never drawn
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double sd = std::sqrt(p[k] * (1 - p[k]) / n);
    EXPECT_NEAR(counts[k] / static_cast<double>(n), p[k], 5 * sd + 1e-12) << "k=" << k;
  }
}

TEST(Rng, UniformIntCoversTheRangeEvenly) {
  Rng rng(5);
  std::vector<int> counts(7, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) {
    const auto k = rng.UniformInt(7);
    ASSERT_LT(k, 7u);
    ++counts[k];
  }
  const double sd = std::sqrt((1.0 / 7) * (6.0 / 7) / n);
  for (int c : counts) EXPECT_NEAR(c / static_cast<double>(n), 1.0 / 7, 5 * sd);
}

}  // namespace
}  // namespace cai

TEST(Rng, SavedStateContinuesTheSameStream) {
  cai::Rng a(17);
  a.Normal();  // leaves a cached normal behind, which the state must carry
  const cai::RngState saved = a.SaveState();
  std::vector<double> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(a.Normal());
  cai::Rng b(99);
  b.RestoreState(saved);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.Normal(), expected[i]);
  EXPECT_THROW(b.RestoreState(cai::RngState{}), cai::Error);
}
