// The value-iteration sweep's savings, each against the plain backup it replaces: row and state
// patterns (rewards and probabilities read through a small table), Q left unstored, and the vector
// levels (portable, AVX2, AVX-512). All of them promise the same values, Q and residual to the last
// bit, so the comparisons here are exact.
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/inference/soft_bellman.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/action_prior.h"
#include "cai/mdp/builtins.h"

namespace cai {
namespace {

// Bit-for-bit equality (EXPECT_EQ on doubles would call -0.0 and +0.0 equal and NaN unequal).
void ExpectSameBits(const std::vector<double>& got, const std::vector<double>& want,
                    const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(double)), 0)
        << what << " entry " << i << ": " << got[i] << " vs " << want[i];
  }
}

std::vector<double> RandomValues(int n, std::uint64_t seed, double scale) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = scale * (2.0 * rng.Uniform() - 1.0);
  return v;
}

// A random MDP whose rows come from a small palette: rewards from 3 values (one of them -0.0),
// successor counts 0-4 (a count of 0 ends the episode), probabilities from fixed splits, random
// distinct successors. `uniform_counts` gives every row of a state the same count, so that the
// four-action state patterns take their vector path; otherwise counts vary within states.
Mdp MakePalettedMdp(int num_states, int num_actions, bool uniform_counts, std::uint64_t seed) {
  static const std::vector<std::vector<double>> kSplits = {
      {}, {1.0}, {0.75, 0.25}, {0.5, 0.3, 0.2}, {0.4, 0.3, 0.2, 0.1}};
  static const double kRewards[] = {-0.1, -0.0, 2.5};
  Rng rng(seed);
  MdpSpec spec;
  spec.num_states = num_states;
  spec.num_actions = num_actions;
  for (int s = 0; s < num_states; ++s) {
    std::vector<double> row;
    const int state_count = static_cast<int>(rng.Uniform() * 5.0);
    for (int a = 0; a < num_actions; ++a) {
      row.push_back(kRewards[static_cast<int>(rng.Uniform() * 3.0)]);
      const int count = uniform_counts ? state_count : static_cast<int>(rng.Uniform() * 5.0);
      if (count == 0) continue;
      TransitionSpec t{s, a, {}};
      for (int u = 0; u < count; ++u) {
        int next = 0;
        bool fresh = false;
        while (!fresh) {
          next = static_cast<int>(rng.Uniform() * num_states);
          fresh = true;
          for (const auto& [n, p] : t.next) fresh = fresh && n != next;
        }
        t.next.emplace_back(next, kSplits[static_cast<std::size_t>(count)][static_cast<std::size_t>(u)]);
      }
      spec.transitions.push_back(std::move(t));
    }
    spec.rewards.push_back(std::move(row));
  }
  return Mdp::FromSpec(spec);
}

struct Backed {
  std::vector<double> q;
  std::vector<double> v;
  double residual = 0.0;
};

Backed Plain(const Mdp& m, const SoftBellmanParams& p, const std::vector<double>& v_next) {
  Backed out{std::vector<double>(static_cast<std::size_t>(m.num_states()) *
                                 static_cast<std::size_t>(m.num_actions())),
             std::vector<double>(static_cast<std::size_t>(m.num_states())), 0.0};
  SoftBellmanBackup(m, p, v_next, out.q, out.v, &out.residual);
  return out;
}

Backed WithPatterns(const Mdp& m, const SoftBellmanParams& p, const RowPatterns* patterns,
                    const std::vector<double>& v_next, bool store_q) {
  Backed out{std::vector<double>(store_q ? static_cast<std::size_t>(m.num_states()) *
                                               static_cast<std::size_t>(m.num_actions())
                                         : 0),
             std::vector<double>(static_cast<std::size_t>(m.num_states())), 0.0};
  SoftBellmanBackup(m, p, patterns, v_next, out.q, out.v, &out.residual);
  return out;
}

// Restores the vector level chosen before the test.
class SimdGuard {
 public:
  SimdGuard() : before_(SoftBellmanSimd()) {}
  ~SimdGuard() { SetSoftBellmanSimd(before_); }

 private:
  SimdLevel before_;
};

std::vector<SimdLevel> AvailableLevels() {
  SimdGuard guard;
  std::vector<SimdLevel> levels;
  for (SimdLevel l : {SimdLevel::kPortable, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    try {
      SetSoftBellmanSimd(l);
      levels.push_back(l);
    } catch (const Error&) {
    }
  }
  return levels;
}

TEST(RowPatterns, GridworldHasAFewPatternsAndStatePatterns) {
  const Mdp m = MakeGridworld({.width = 30, .height = 20, .slip = 0.1});
  const std::optional<RowPatterns> p = RowPatterns::Build(m);
  ASSERT_TRUE(p.has_value());
  EXPECT_LE(p->num_patterns(), 16);
  ASSERT_EQ(p->row_pattern().size(), m.rewards().size());
  ASSERT_EQ(p->state_pattern().size(), static_cast<std::size_t>(m.num_states()));
  // Every row's pattern reproduces the row: its reward and probabilities, bit for bit.
  for (std::size_t sa = 0; sa < m.rewards().size(); ++sa) {
    const RowPatterns::Pattern& pat = p->patterns()[p->row_pattern()[sa]];
    ASSERT_EQ(std::memcmp(&pat.reward, &m.rewards()[sa], sizeof(double)), 0) << sa;
    const std::int64_t begin = m.row_offsets()[sa];
    ASSERT_EQ(pat.count, m.row_offsets()[sa + 1] - begin) << sa;
    for (int u = 0; u < pat.count; ++u) {
      ASSERT_EQ(p->probs()[static_cast<std::size_t>(pat.prob_begin + u)],
                m.next_probabilities()[static_cast<std::size_t>(begin + u)]);
    }
  }
  // Interior cells: one state pattern, three successors per action.
  const int interior = 10 * 30 + 10;
  const RowPatterns::StatePattern4& sp = p->state_patterns()[p->state_pattern()[interior]];
  EXPECT_EQ(sp.count, 3);
  for (int a = 0; a < 4; ++a) {
    EXPECT_EQ(sp.reward[a], -0.1);
    EXPECT_EQ(sp.prob[0][a] + sp.prob[1][a] + sp.prob[2][a], 1.0);
  }
}

TEST(RowPatterns, TooManyDistinctRowsGiveNone) {
  // Random probabilities: every row differs.
  EXPECT_FALSE(RowPatterns::Build(MakeRandomMdp({300, 4, 3, 0.0, 5})).has_value());
  // 257 distinct rewards with identical transitions: one pattern too many; 256 fit.
  for (int n : {256, 257}) {
    MdpSpec spec;
    spec.num_states = n;
    spec.num_actions = 1;
    for (int s = 0; s < n; ++s) spec.rewards.push_back({static_cast<double>(s)});
    const std::optional<RowPatterns> p = RowPatterns::Build(Mdp::FromSpec(spec));
    EXPECT_EQ(p.has_value(), n <= RowPatterns::kMaxPatterns) << n;
  }
  // Signed zeros are different patterns (the sign can reach Q).
  MdpSpec spec;
  spec.num_states = 2;
  spec.num_actions = 1;
  spec.rewards = {{0.0}, {-0.0}};
  const std::optional<RowPatterns> p = RowPatterns::Build(Mdp::FromSpec(spec));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->num_patterns(), 2);
  // Other action counts: row patterns only.
  const std::optional<RowPatterns> five = RowPatterns::Build(MakePalettedMdp(50, 5, false, 1));
  ASSERT_TRUE(five.has_value());
  EXPECT_TRUE(five->state_pattern().empty());
}

TEST(RowPatterns, AMismatchedMdpIsAnError) {
  const Mdp a = MakeGridworld({.width = 4, .height = 4});
  const Mdp b = MakeGridworld({.width = 5, .height = 4});
  const std::optional<RowPatterns> p = RowPatterns::Build(a);
  ASSERT_TRUE(p.has_value());
  std::vector<double> v_next(static_cast<std::size_t>(b.num_states()), 0.0);
  std::vector<double> v(v_next.size());
  try {
    SoftBellmanBackup(b, SoftBellmanParams{}, &*p, v_next, {}, v);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row patterns: built for 16 states x 4 actions"),
              std::string::npos)
        << e.what();
  }
}

// Patterns, unstored Q and every vector level against the plain backup, on MDPs that take every
// branch: gridworlds (state patterns, vector path; corners and the goal row by row), paletted MDPs
// with 4 actions (uniform counts 0-4 per state, or mixed counts), 5 actions (row patterns in the
// generic path), both backups (the exact one ignores patterns), temperature 0 and a table prior
// (general path), temperatures whose inverse is not normal (logits divided), 1 and 2 threads.
TEST(SweepKernel, PatternsUnstoredQAndVectorLevelsChangeNoBit) {
  SimdGuard guard;
  const std::vector<SimdLevel> levels = AvailableLevels();
  ASSERT_FALSE(levels.empty());
  ASSERT_EQ(levels.front(), SimdLevel::kPortable);
  struct Case {
    std::string name;
    Mdp mdp;
  };
  std::vector<Case> cases;
  cases.push_back({"gridworld 37x29", MakeGridworld({.width = 37, .height = 29, .slip = 0.1})});
  cases.push_back({"gridworld 300x300 (threads split it)",
                   MakeGridworld({.width = 300, .height = 300, .slip = 0.2})});
  cases.push_back({"paletted, 4 actions, uniform counts", MakePalettedMdp(2003, 4, true, 11)});
  cases.push_back({"paletted, 4 actions, mixed counts", MakePalettedMdp(2003, 4, false, 12)});
  cases.push_back({"paletted, 5 actions", MakePalettedMdp(1001, 5, false, 13)});
  cases.push_back({"paletted, 1 action", MakePalettedMdp(999, 1, false, 14)});
  for (const Case& c : cases) {
    const std::optional<RowPatterns> patterns = RowPatterns::Build(c.mdp);
    ASSERT_TRUE(patterns.has_value()) << c.name;
    const auto v_next = RandomValues(c.mdp.num_states(), 3, 4.0);
    for (Backup backup : {Backup::kVariational, Backup::kExact}) {
      for (double t : {0.0, 0.1, 1.0, 3.7, 1e-310, 1e308}) {
        for (bool uniform : {false, true}) {
          for (int threads : {1, 2}) {
            SoftBellmanParams p;
            p.temperature = t;
            p.discount = 0.95;
            p.backup = backup;
            p.prior = uniform ? ActionPrior::Uniform() : ActionPrior::None();
            p.threads = threads;
            SetSoftBellmanSimd(SimdLevel::kPortable);
            const Backed want = Plain(c.mdp, p, v_next);
            for (SimdLevel level : levels) {
              SetSoftBellmanSimd(level);
              const std::string what = c.name + ", " + BackupName(backup) + ", T " +
                                       std::to_string(t) + (uniform ? ", uniform" : ", none") +
                                       ", threads " + std::to_string(threads) + ", " +
                                       SimdLevelName(level);
              const Backed plain = Plain(c.mdp, p, v_next);
              ExpectSameBits(plain.q, want.q, what + ": Q");
              ExpectSameBits(plain.v, want.v, what + ": V");
              EXPECT_EQ(plain.residual, want.residual) << what;
              for (bool store_q : {false, true}) {
                const Backed fast = WithPatterns(c.mdp, p, &*patterns, v_next, store_q);
                if (store_q) ExpectSameBits(fast.q, want.q, what + ", patterns: Q");
                ExpectSameBits(fast.v, want.v, what + ", patterns: V");
                EXPECT_EQ(fast.residual, want.residual) << what;
              }
              if (::testing::Test::HasFatalFailure()) return;
            }
          }
        }
      }
    }
  }
  // A table prior takes the general path; patterns and an empty q change nothing there either.
  const Mdp& m = cases.front().mdp;
  const std::optional<RowPatterns> patterns = RowPatterns::Build(m);
  SoftBellmanParams p;
  p.prior = ActionPrior::Table(m.num_states(), 4,
                               std::vector<double>(static_cast<std::size_t>(m.num_states()) * 4, 0.25));
  const auto v_next = RandomValues(m.num_states(), 4, 2.0);
  const Backed want = Plain(m, p, v_next);
  const Backed fast = WithPatterns(m, p, &*patterns, v_next, false);
  ExpectSameBits(fast.v, want.v, "table prior: V");
  EXPECT_EQ(fast.residual, want.residual);
}

// Value iteration stores only V; q_values() and Solution() recompute the last sweep's Q, which must
// be exactly the Q that the plain backup of the previous values gives.
TEST(SweepKernel, ValueIterationRecomputesTheLastSweepsQ) {
  const Mdp m = MakeGridworld({.width = 23, .height = 17, .slip = 0.1});
  SoftValueIterationOptions o;
  o.temperature = 0.3;
  o.discount = 0.9;
  SoftValueIteration solver(m, o);
  std::vector<double> previous(static_cast<std::size_t>(m.num_states()), 0.0);
  for (int sweep = 0; sweep < 5; ++sweep) {
    previous.assign(solver.values().begin(), solver.values().end());
    const double residual = solver.Sweep();
    const Backed want = Plain(m, o, previous);
    ExpectSameBits(std::vector<double>(solver.values().begin(), solver.values().end()), want.v,
                   "V after sweep " + std::to_string(sweep));
    EXPECT_EQ(residual, want.residual);
    ExpectSameBits(std::vector<double>(solver.q_values().begin(), solver.q_values().end()), want.q,
                   "Q after sweep " + std::to_string(sweep));
  }
  const SoftSolution sol = solver.Solution();
  const Backed want = Plain(m, o, previous);
  ExpectSameBits(sol.q_values, want.q, "Solution().q_values");
  // The policy is the softmax of that Q: sums to 1 per state.
  for (int s = 0; s < m.num_states(); ++s) {
    double total = 0.0;
    for (int a = 0; a < 4; ++a) total += sol.Pi(s, a);
    EXPECT_NEAR(total, 1.0, 1e-12);
  }
}

TEST(SweepKernel, SimdLevelsAreValidated) {
  SimdGuard guard;
  EXPECT_EQ(SimdLevelName(SimdLevel::kAvx512), "avx512");
  // The best level is what kAuto picks; asking for more is an error naming both.
  SetSoftBellmanSimd(SimdLevel::kAuto);
  const SimdLevel best = SoftBellmanSimd();
  EXPECT_EQ(SetSoftBellmanSimd(SimdLevel::kPortable), best);
  EXPECT_EQ(SoftBellmanSimd(), SimdLevel::kPortable);
  if (best != SimdLevel::kAvx512) {
    try {
      SetSoftBellmanSimd(SimdLevel::kAvx512);
      FAIL() << "avx512 accepted on a " << SimdLevelName(best) << " machine";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("simd: avx512 is not available here (best: " +
                                           SimdLevelName(best) + ")"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace cai
