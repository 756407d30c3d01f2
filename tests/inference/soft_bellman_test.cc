// The soft Bellman backup itself: its blocked, vectorised path (temperature > 0, prior none or
// uniform) against a plain reference written here with std::exp / std::log, against the general
// per-state path (a table prior with uniform entries), across thread counts, and at temperatures
// so large that the naive log-sum-exp would cancel.
#include <algorithm>
#include <cmath>
#include <span>
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

struct Backed {
  std::vector<double> q;
  std::vector<double> v;
};

Backed ApplyBackup(const Mdp& m, const SoftBellmanParams& p, const std::vector<double>& v_next) {
  Backed out{std::vector<double>(static_cast<std::size_t>(m.num_states()) *
                                 static_cast<std::size_t>(m.num_actions())),
             std::vector<double>(static_cast<std::size_t>(m.num_states()))};
  SoftBellmanBackup(m, p, v_next, out.q, out.v);
  return out;
}

// The textbook formulas, one state at a time, nothing shared with the library's kernel:
// Q = r + discount * sum p V' (variational) or r + T log sum p exp(discount V' / T) (exact);
// V = T log sum_a exp(Q / T) + log_prior (log_prior 0 for none, -log|A| for uniform).
Backed Reference(const Mdp& m, double temperature, double discount, Backup backup,
                 double log_prior, const std::vector<double>& v_next) {
  Backed out;
  for (int s = 0; s < m.num_states(); ++s) {
    double qmax = -INFINITY;
    std::vector<double> qs;
    for (int a = 0; a < m.num_actions(); ++a) {
      const auto next = m.NextStates(s, a);
      const auto prob = m.NextProbabilities(s, a);
      double c = 0.0;
      if (!next.empty()) {
        if (backup == Backup::kVariational) {
          for (std::size_t k = 0; k < next.size(); ++k) {
            c += prob[k] * v_next[static_cast<std::size_t>(next[k])];
          }
          c *= discount;
        } else {
          double vmax = -INFINITY;
          for (int n : next) vmax = std::max(vmax, v_next[static_cast<std::size_t>(n)]);
          double sum = 0.0;
          for (std::size_t k = 0; k < next.size(); ++k) {
            sum += prob[k] *
                   std::exp(discount * (v_next[static_cast<std::size_t>(next[k])] - vmax) /
                            temperature);
          }
          c = discount * vmax + temperature * std::log(sum);
        }
      }
      qs.push_back(m.reward(s, a) + c);
      qmax = std::max(qmax, qs.back());
    }
    double sum = 0.0;
    for (double q : qs) sum += std::exp((q - qmax) / temperature);
    out.q.insert(out.q.end(), qs.begin(), qs.end());
    out.v.push_back(qmax + temperature * (std::log(sum) + log_prior));
  }
  return out;
}

std::vector<double> RandomValues(int n, std::uint64_t seed, double scale) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = scale * (2.0 * rng.Uniform() - 1.0);
  return v;
}

// Within a few ulps of max(1, |x|, temperature): the textbook m + T log(sum) is itself only good to
// about T * 1e-16 in absolute terms (which is why the library computes means differently).
void ExpectClose(const std::vector<double>& got, const std::vector<double>& want,
                 double temperature, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double scale = std::max({1.0, std::abs(want[i]), temperature});
    ASSERT_NEAR(got[i], want[i], 1e-15 * 8 * scale) << what << " entry " << i;
  }
}

// Action counts that take every branch of the kernel (1 action; the 4-action path; odd counts;
// more than one vector; a count that does not divide the block), on problems of several blocks.
TEST(SoftBellmanBackup, FastPathMatchesTextbookFormulas) {
  for (int na : {1, 2, 3, 4, 5, 8, 17}) {
    for (int branching : {1, 3, 4}) {
      const Mdp m = MakeRandomMdp({1500, na, branching, 0.2, static_cast<std::uint64_t>(na * 10 + branching)});
      const auto v_next = RandomValues(m.num_states(), 7 + static_cast<std::uint64_t>(na), 5.0);
      for (Backup backup : {Backup::kVariational, Backup::kExact}) {
        for (double t : {0.01, 1.0, 37.0}) {
          for (bool uniform : {false, true}) {
            SCOPED_TRACE(testing::Message() << "actions " << na << " branching " << branching
                                            << " " << BackupName(backup) << " T " << t
                                            << (uniform ? " uniform" : " none"));
            SoftBellmanParams p;
            p.temperature = t;
            p.discount = 0.9;
            p.backup = backup;
            p.prior = uniform ? ActionPrior::Uniform() : ActionPrior::None();
            const Backed got = ApplyBackup(m, p, v_next);
            const Backed want = Reference(m, t, 0.9, backup,
                                          uniform ? -std::log(static_cast<double>(na)) : 0.0,
                                          v_next);
            ExpectClose(got.q, want.q, t, "Q");
            ExpectClose(got.v, want.v, t, "V");
          }
        }
      }
    }
  }
}

// The general path (a table prior, here with equal entries) against the fast path (uniform prior).
TEST(SoftBellmanBackup, UniformPriorEqualsUniformTable) {
  for (int na : {2, 4, 7}) {
    const Mdp m = MakeRandomMdp({2100, na, 3, 0.1, static_cast<std::uint64_t>(na)});
    const auto v_next = RandomValues(m.num_states(), 99, 3.0);
    const ActionPrior table = ActionPrior::Table(
        m.num_states(), na,
        std::vector<double>(static_cast<std::size_t>(m.num_states()) * static_cast<std::size_t>(na),
                            1.0 / na));
    for (Backup backup : {Backup::kVariational, Backup::kExact}) {
      for (double t : {0.05, 1.0, 1e3, 1e12}) {
        SCOPED_TRACE(testing::Message() << "actions " << na << " " << BackupName(backup) << " T " << t);
        SoftBellmanParams p;
        p.temperature = t;
        p.discount = 0.95;
        p.backup = backup;
        p.prior = ActionPrior::Uniform();
        const Backed fast = ApplyBackup(m, p, v_next);
        p.prior = table;
        const Backed general = ApplyBackup(m, p, v_next);
        // Both paths compute means accurately: agreement to a few ulps of the values, not of T.
        ExpectClose(fast.q, general.q, 1.0, "Q");
        ExpectClose(fast.v, general.v, 1.0, "V");
      }
    }
  }
}

TEST(SoftBellmanBackup, ThreadsGiveIdenticalResults) {
  // 2^18 states x 4 actions x 3 successors: above the size from which backups are split.
  const Mdp m = MakeRandomMdp({1 << 18, 4, 3, 0.05, 3});
  const auto v_next = RandomValues(m.num_states(), 5, 2.0);
  for (Backup backup : {Backup::kVariational, Backup::kExact}) {
    for (double t : {0.0, 0.7}) {
      SoftBellmanParams p;
      p.temperature = t;
      p.backup = backup;
      const Backed one = ApplyBackup(m, p, v_next);
      for (int threads : {2, 3}) {
        p.threads = threads;
        const Backed many = ApplyBackup(m, p, v_next);
        EXPECT_EQ(one.q, many.q) << threads << " threads";
        EXPECT_EQ(one.v, many.v) << threads << " threads";
      }
    }
  }
}

// The residual computed in the backup's pass equals max |V - v_next| computed afterwards, on every
// kernel path (fast, general, temperature 0, several threads); a NaN difference reports +inf.
TEST(SoftBellmanBackup, FusedResidualEqualsTheSeparateMaximum) {
  const Mdp small = MakeRandomMdp({3000, 4, 3, 0.1, 21});
  const Mdp large = MakeRandomMdp({1 << 18, 4, 3, 0.05, 22});
  for (const Mdp* m : {&small, &large}) {
    const auto v_next = RandomValues(m->num_states(), 23, 4.0);
    for (double t : {0.0, 0.5}) {
      for (bool table : {false, true}) {
        for (int threads : {1, 2}) {
          SoftBellmanParams p;
          p.temperature = t;
          p.threads = threads;
          if (table) {
            p.prior = ActionPrior::Table(m->num_states(), 4,
                                         std::vector<double>(static_cast<std::size_t>(m->num_states()) * 4, 0.25));
          }
          std::vector<double> q(static_cast<std::size_t>(m->num_states()) * 4);
          std::vector<double> v(static_cast<std::size_t>(m->num_states()));
          double residual = -1.0;
          SoftBellmanBackup(*m, p, v_next, q, v, &residual);
          double want = 0.0;
          for (std::size_t i = 0; i < v.size(); ++i) want = std::max(want, std::abs(v[i] - v_next[i]));
          EXPECT_EQ(residual, want) << "T " << t << " table " << table << " threads " << threads;
        }
      }
    }
  }
  // NaN in the values (here from a NaN v_next) is reported as +inf, never as 0.
  std::vector<double> v_next(static_cast<std::size_t>(small.num_states()), 0.0);
  v_next[7] = NAN;
  std::vector<double> q(static_cast<std::size_t>(small.num_states()) * 4);
  std::vector<double> v(static_cast<std::size_t>(small.num_states()));
  double residual = 0.0;
  SoftBellmanBackup(small, SoftBellmanParams{}, v_next, q, v, &residual);
  EXPECT_EQ(residual, INFINITY);
}

TEST(SoftBellmanBackup, ThreadsAreValidated) {
  const Mdp m = MakeTwoActionExample();
  SoftBellmanParams p;
  for (int bad : {0, -3, 1025}) {
    p.threads = bad;
    try {
      ValidateSoftBellmanParams(p, m);
      FAIL() << "threads " << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("threads: " + std::to_string(bad)), std::string::npos)
          << e.what();
    }
  }
}

// r = (2, 1, 0), one step. With a uniform or table prior V -> the prior mean of r as the
// temperature grows: V = mean + variance / (2 T) + O(1 / T^2) and pi(a) = p(a) (1 + (r_a - mean) / T)
// + O(1 / T^2): mean 1, variance 2/3 for the uniform prior; for the table (0.2, 0.3, 0.5) mean 0.7,
// variance 0.61. The naive temperature * (log sum - log |A|) would be off by about T * 1e-16.
TEST(SoftBellmanBackup, HugeTemperatureKeepsThePriorMean) {
  const Mdp m = MakeThreeActionExample();
  const ActionPrior table = ActionPrior::Table(1, 3, {0.2, 0.3, 0.5});
  for (double t : {1e8, 1e13, 1e16, 1e100, 1e300}) {
    SoftValueIterationOptions o;
    o.temperature = t;
    o.discount = 0.9;
    o.prior = ActionPrior::Uniform();
    const SoftSolution u = SolveSoftValueIteration(m, o).solution;
    EXPECT_NEAR(u.V(0), 1.0 + (2.0 / 3.0) / (2.0 * t), 1e-15) << "uniform, T " << t;
    EXPECT_NEAR(u.Pi(0, 0), (1.0 + 1.0 / t) / 3.0, 1e-15);
    o.prior = table;
    const SoftSolution w = SolveSoftValueIteration(m, o).solution;
    EXPECT_NEAR(w.V(0), 0.7 + 0.61 / (2.0 * t), 1e-15) << "table, T " << t;
    EXPECT_NEAR(w.Pi(0, 2), 0.5 * (1.0 - 0.7 / t), 1e-15);
  }
}

// The exact backup's log E exp(discount V' / T) also tends to the expectation: on the gamble
// (win 10 with probability 0.1, else -10) Q(start, gamble) -> discount * (-8).
TEST(SoftBellmanBackup, HugeTemperatureExactBackupTendsToTheExpectation) {
  const Mdp m = MakeGamble({});
  const int start = 0;
  const int gamble = 1;
  ASSERT_EQ(m.state_names()[start], "start");
  ASSERT_EQ(m.action_names()[gamble], "gamble");
  for (double t : {1e13, 1e16, 1e300}) {
    SoftValueIterationOptions o;
    o.temperature = t;
    o.discount = 0.9;
    o.backup = Backup::kExact;
    o.prior = ActionPrior::Uniform();
    const auto result = SolveSoftValueIteration(m, o);
    EXPECT_NEAR(result.solution.Q(start, gamble), 0.9 * -8.0, 1e-9) << "T " << t;
  }
}

}  // namespace
}  // namespace cai
