// The per-state soft backup (soft_backup.h), checked two ways: against plain formulas and
// brute-force enumeration of one-step trajectories in long double, and against the soft Bellman
// operator, which must agree with it on one-state problems. Temperature 0, huge temperatures and a
// table prior with zeros included.
#include "cai/inference/soft_backup.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "cai/core/rng.h"
#include "cai/inference/soft_bellman.h"
#include "cai/mdp/action_prior.h"
#include "cai/mdp/mdp.h"

namespace cai {
namespace {

using Long = long double;

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// log sum_a p_a exp(q_a / t), shifted, in long double; p_a = 0 excluded.
Long PlainSoftMax(const std::vector<double>& q, const std::vector<double>& p, Long t) {
  Long m = -std::numeric_limits<Long>::infinity();
  for (std::size_t a = 0; a < q.size(); ++a) {
    if (p[a] > 0) m = std::max(m, static_cast<Long>(q[a]));
  }
  Long s = 0;
  for (std::size_t a = 0; a < q.size(); ++a) {
    if (p[a] > 0) s += static_cast<Long>(p[a]) * std::exp((static_cast<Long>(q[a]) - m) / t);
  }
  return m + t * std::log(s);
}

struct PriorCase {
  const char* name;
  std::vector<double> p;  // probabilities (1 for none)
  StateLogPrior prior;
  std::vector<double> log_row;
};

std::vector<PriorCase> Priors(int n) {
  std::vector<PriorCase> out;
  out.push_back({"none", std::vector<double>(static_cast<std::size_t>(n), 1.0), StateLogPrior::None(), {}});
  out.push_back({"uniform", std::vector<double>(static_cast<std::size_t>(n), 1.0 / n),
                 StateLogPrior::Uniform(n), {}});
  // A table with zeros: every other action has p = 0, the rest share the mass unevenly.
  std::vector<double> p(static_cast<std::size_t>(n), 0.0);
  double total = 0.0;
  for (int a = 0; a < n; a += 2) total += a + 1.0;
  for (int a = 0; a < n; a += 2) p[static_cast<std::size_t>(a)] = (a + 1.0) / total;
  PriorCase table{"table", p, {}, {}};
  for (double x : p) table.log_row.push_back(x > 0 ? std::log(x) : kNegInf);
  out.push_back(table);
  return out;
}

std::vector<double> RandomRow(Rng& rng, int n, double scale) {
  std::vector<double> q(static_cast<std::size_t>(n));
  for (double& x : q) x = scale * (2.0 * rng.Uniform() - 1.0);
  return q;
}

TEST(SoftBackup, ValueAndPolicyMatchThePlainFormulaInLongDouble) {
  Rng rng(7);
  for (int n : {1, 3, 4, 7, 70}) {
    for (PriorCase& c : Priors(n)) {
      if (!c.log_row.empty()) c.prior = StateLogPrior::Row(c.log_row);
      for (double t : {0.05, 1.0, 30.0}) {
        const std::vector<double> q = RandomRow(rng, n, 5.0);
        const Long want = PlainSoftMax(q, c.p, t);
        const double v = SoftStateValue(q, t, c.prior);
        EXPECT_NEAR(v, static_cast<double>(want), 4e-16 * (std::abs(static_cast<double>(want)) + t))
            << c.name << " n " << n << " t " << t;
        std::vector<double> pi(q.size()), pi2(q.size());
        SoftStatePolicy(q, t, c.prior, pi);
        const double v2 = SoftStateBackup(q, t, c.prior, pi2);
        EXPECT_TRUE(SameBits(v, v2)) << c.name;
        for (std::size_t a = 0; a < q.size(); ++a) {
          const Long want_pi =
              c.p[a] > 0 ? c.p[a] * std::exp((static_cast<Long>(q[a]) - want) / t) : 0.0L;
          EXPECT_NEAR(pi[a], static_cast<double>(want_pi), 1e-15) << c.name << " a " << a;
          EXPECT_TRUE(SameBits(pi[a], pi2[a])) << c.name << " a " << a;
          if (c.p[a] == 0) {
            EXPECT_EQ(pi[a], 0.0);
          }
        }
      }
    }
  }
}

TEST(SoftBackup, TemperatureZeroIsTheMaxOverTheSupportWithTiesSplitByThePrior) {
  const std::vector<double> q = {2.0, 9.0, 2.0, 1.0, 2.0};  // action 1 has p = 0 in the table
  const std::vector<double> log_row = {std::log(0.2), kNegInf, std::log(0.6), std::log(0.1),
                                       std::log(0.1)};
  EXPECT_EQ(SoftStateValue(q, 0.0), 9.0);
  EXPECT_EQ(SoftStateValue(q, 0.0, StateLogPrior::Uniform(5)), 9.0);
  EXPECT_EQ(SoftStateValue(q, 0.0, StateLogPrior::Row(log_row)), 2.0);
  std::vector<double> pi(5);
  SoftStatePolicy(q, 0.0, StateLogPrior::Row(log_row), pi);
  EXPECT_NEAR(pi[0], 0.2 / 0.9, 1e-15);
  EXPECT_EQ(pi[1], 0.0);
  EXPECT_NEAR(pi[2], 0.6 / 0.9, 1e-15);
  EXPECT_EQ(pi[3], 0.0);
  EXPECT_NEAR(pi[4], 0.1 / 0.9, 1e-15);
  SoftStatePolicy(q, 0.0, StateLogPrior::None(), pi);
  EXPECT_EQ(pi[1], 1.0);
  const std::vector<double> ties = {3.0, 3.0, 1.0, 3.0};
  std::vector<double> even(4);
  SoftStatePolicy(ties, 0.0, StateLogPrior::Uniform(4), even);
  for (int a : {0, 1, 3}) EXPECT_DOUBLE_EQ(even[static_cast<std::size_t>(a)], 1.0 / 3.0);
  EXPECT_EQ(even[2], 0.0);
}

// The first three cumulants of q under p (p = 0 excluded), in long double.
struct Cumulants {
  Long k1 = 0, k2 = 0, k3 = 0;
};
Cumulants CumulantsOf(const std::vector<double>& q, const std::vector<double>& p) {
  Cumulants c;
  for (std::size_t a = 0; a < q.size(); ++a) c.k1 += p[a] * static_cast<Long>(q[a]);
  for (std::size_t a = 0; a < q.size(); ++a) {
    const Long d = q[a] - c.k1;
    c.k2 += p[a] * d * d;
    c.k3 += p[a] * d * d * d;
  }
  return c;
}
// t log E_p exp(u q / t) for huge t by its cumulant series, u k1 + u^2 k2 / (2 t) + u^3 k3 / (6 t^2)
// (the next term is below 1e-18 for the t used here).
Long CumulantSeries(const Cumulants& c, Long u, Long t) {
  return u * c.k1 + u * u * c.k2 / (2 * t) + u * u * u * c.k3 / (6 * t * t);
}

TEST(SoftBackup, HugeTemperaturesNeitherOverflowNorLosePrecision) {
  // With a normalised prior, V = E_p[q] + Var_p[q] / (2 t) + ..., here to a few ulps: the plain
  // m + t * log(sum) would lose t * 1e-16 (10^-4 at t = 10^12), the mean form keeps the ulps.
  const std::vector<double> q = {1.0, 2.0, 4.0, -3.0};
  const std::vector<double> uniform = {0.25, 0.25, 0.25, 0.25};
  const std::vector<double> table = {0.5, 0.0, 0.25, 0.25};
  const std::vector<double> log_row = {std::log(0.5), kNegInf, std::log(0.25), std::log(0.25)};
  const Cumulants cu = CumulantsOf(q, uniform);
  const Cumulants ct = CumulantsOf(q, table);
  for (double t : {1e8, 1e12, 1e200, 1e300}) {
    const Long lt = t;
    EXPECT_NEAR(SoftStateValue(q, t, StateLogPrior::Uniform(4)),
                static_cast<double>(CumulantSeries(cu, 1, lt)), 1e-15)
        << t;
    EXPECT_NEAR(SoftStateValue(q, t, StateLogPrior::Row(log_row)),
                static_cast<double>(CumulantSeries(ct, 1, lt)), 1e-15)
        << t;
    // None: t log |A| + the uniform mean, accurate relative to the result.
    const double v = SoftStateValue(q, t);
    EXPECT_TRUE(std::isfinite(v));
    const Long want = lt * std::log(4.0L) + CumulantSeries(cu, 1, lt);
    EXPECT_NEAR(v, static_cast<double>(want), 1e-15 * std::abs(v)) << t;
    // pi = p exp((q - max) / t) / sum, each term by expm1 in long double.
    std::vector<double> pi(4);
    SoftStatePolicy(q, t, StateLogPrior::Row(log_row), pi);
    Long total = 0;
    std::vector<Long> w(4);
    for (std::size_t a = 0; a < 4; ++a) {
      w[a] = table[a] * (1 + std::expm1((static_cast<Long>(q[a]) - 4) / lt));
      total += w[a];
    }
    for (std::size_t a = 0; a < 4; ++a) EXPECT_NEAR(pi[a], static_cast<double>(w[a] / total), 2e-16);
    EXPECT_EQ(pi[1], 0.0);
  }
  // Tiny temperatures stay finite: the max, up to the ties.
  EXPECT_EQ(SoftStateValue(q, 1e-300), 4.0);
  EXPECT_EQ(SoftStateValue(q, 1e-300, StateLogPrior::Row(log_row)), 4.0 + 1e-300 * std::log(0.25));
}

// One state s0 with `actions` actions into successors 1..n (absorbing with reward 0 and values
// v_next), and the continuation/backups computed by enumerating the one-step trajectories
// (a, s') in long double.
struct OneStep {
  std::vector<double> reward;                 // per action
  std::vector<std::vector<int>> next;         // per action: successors
  std::vector<std::vector<double>> prob;      // per action
  std::vector<double> v_next;                 // per state (state 0 unused)
};

OneStep MakeOneStep(Rng& rng, int actions, int states, double scale) {
  OneStep o;
  o.v_next = RandomRow(rng, states, scale);
  for (int a = 0; a < actions; ++a) {
    o.reward.push_back(scale * (rng.Uniform() - 0.5));
    std::vector<int> nx;
    std::vector<double> pr;
    double total = 0.0;
    for (int s = 1; s < states; ++s) {
      if (rng.Uniform() < 0.6 || nx.empty()) {
        nx.push_back(s);
        pr.push_back(0.1 + rng.Uniform());
        total += pr.back();
      }
    }
    for (double& p : pr) p /= total;
    o.next.push_back(nx);
    o.prob.push_back(pr);
  }
  return o;
}

TEST(SoftBackup, BackupsOverSuccessorsMatchEnumerationOfOneStepTrajectories) {
  Rng rng(11);
  for (double t : {0.3, 1.0, 7.0}) {
    for (double discount : {0.0, 0.5, 0.95, 1.0}) {
      const OneStep o = MakeOneStep(rng, 3, 6, 4.0);
      const auto na = o.reward.size();
      std::vector<double> qv(na), qe(na), p(na, 1.0);
      Long z_exact = 0;   // sum over (a, s') of exp((r + discount v') / t) p(s'|a)
      std::vector<double> q_exact_long(na);
      for (std::size_t a = 0; a < na; ++a) {
        const std::int64_t n = static_cast<std::int64_t>(o.next[a].size());
        qv[a] = o.reward[a] + SoftContinuation<Backup::kVariational>(o.next[a].data(), o.prob[a].data(), n,
                                                                     o.v_next.data(), t, discount);
        qe[a] = o.reward[a] + SoftContinuation(Backup::kExact, o.next[a].data(), o.prob[a].data(), n,
                                               o.v_next.data(), t, discount);
        Long ev = 0;
        Long za = 0;
        for (std::size_t k = 0; k < o.next[a].size(); ++k) {
          const Long vk = o.v_next[static_cast<std::size_t>(o.next[a][k])];
          ev += o.prob[a][k] * vk;
          za += o.prob[a][k] * std::exp((o.reward[a] + discount * vk) / t);
        }
        EXPECT_NEAR(qv[a], static_cast<double>(o.reward[a] + discount * ev), 1e-14);
        EXPECT_NEAR(qe[a], static_cast<double>(t * std::log(za)), 1e-14);
        z_exact += za;
        // The tilted dynamics: the posterior over s' given (s, a), by enumeration.
        if (discount > 0) {
          const TiltedDynamics tilted =
              ExactTiltedDynamics(o.next[a].data(), o.prob[a].data(), n, o.v_next.data(), t, discount);
          double sum = 0.0;
          for (std::size_t k = 0; k < o.next[a].size(); ++k) {
            const Long vk = o.v_next[static_cast<std::size_t>(o.next[a][k])];
            const double q = tilted.Probability(o.prob[a][k], static_cast<double>(vk));
            EXPECT_NEAR(q, static_cast<double>(o.prob[a][k] * std::exp((o.reward[a] + discount * vk) / t) / za),
                        1e-14);
            sum += q;
          }
          EXPECT_NEAR(sum, 1.0, 1e-14);
        }
      }
      // Exact: V(s0) = t log sum over all one-step trajectories.
      EXPECT_NEAR(SoftStateValue(qe, t), static_cast<double>(t * std::log(z_exact)), 1e-13)
          << t << " " << discount;
      EXPECT_NEAR(SoftStateValue(qv, t), static_cast<double>(PlainSoftMax(qv, p, t)), 1e-14);
    }
  }
}

TEST(SoftBackup, HugeTemperatureExactContinuationKeepsItsPrecision) {
  // t log E_p exp(discount v / t) by its cumulant series at huge t.
  const std::vector<std::int32_t> next = {0, 1, 2};
  const std::vector<double> prob = {0.5, 0.25, 0.25};
  const std::vector<double> v = {1.0, 3.0, -2.0};
  const Cumulants cv = CumulantsOf(v, prob);
  for (double t : {1e6, 1e10, 1e14}) {
    const double c = SoftContinuation<Backup::kExact>(next.data(), prob.data(), 3, v.data(), t, 0.9);
    EXPECT_NEAR(c, static_cast<double>(CumulantSeries(cv, 0.9L, t)), 1e-15) << t;
  }
  // Temperature 0: the max over reachable successors.
  EXPECT_EQ(SoftContinuation<Backup::kExact>(next.data(), prob.data(), 3, v.data(), 0.0, 0.5), 1.5);
  EXPECT_EQ(SoftContinuation<Backup::kExact>(next.data(), prob.data(), 0, v.data(), 1.0, 0.5), 0.0);
}

TEST(SoftBackup, TheOperatorIsThePerStateBackup) {
  // A one-state-with-successors MDP: the operator's V(s0) and policy are the per-state functions
  // of its Q row, to the last bit, for every backup, temperature and prior.
  Rng rng(3);
  const OneStep o = MakeOneStep(rng, 4, 5, 3.0);
  MdpSpec spec;
  spec.num_states = 5;
  spec.num_actions = 4;
  spec.rewards.assign(5, std::vector<double>(4, 0.0));
  for (int a = 0; a < 4; ++a) {
    spec.rewards[0][static_cast<std::size_t>(a)] = o.reward[static_cast<std::size_t>(a)];
    TransitionSpec tr{0, a, {}};
    for (std::size_t k = 0; k < o.next[static_cast<std::size_t>(a)].size(); ++k) {
      tr.next.push_back({o.next[static_cast<std::size_t>(a)][k], o.prob[static_cast<std::size_t>(a)][k]});
    }
    spec.transitions.push_back(tr);
  }
  spec.initial = {{0, 1.0}};
  const Mdp mdp = Mdp::FromSpec(spec);
  std::vector<double> table(20, 0.25);
  table[1] = 0.0;
  table[2] = 0.5;
  for (const ActionPrior& prior : {ActionPrior::None(), ActionPrior::Uniform(), ActionPrior::Table(5, 4, table)}) {
    for (Backup backup : {Backup::kVariational, Backup::kExact}) {
      for (double t : {0.0, 0.5, 2.0, 1e9}) {
        SoftBellmanParams params;
        params.temperature = t;
        params.discount = 0.9;
        params.backup = backup;
        params.prior = prior;
        std::vector<double> q(20), v(5), pi(20);
        SoftBellmanBackup(mdp, params, o.v_next, q, v);
        std::vector<double> q0(4);
        for (std::size_t a = 0; a < 4; ++a) {
          q0[a] = o.reward[a] + SoftContinuation(backup, o.next[a].data(), o.prob[a].data(),
                                                 static_cast<std::int64_t>(o.next[a].size()),
                                                 o.v_next.data(), t, 0.9);
          EXPECT_TRUE(SameBits(q[a], q0[a])) << a;
        }
        const StateLogPrior sp = StateLogPrior::Of(prior, 0, 4);
        EXPECT_TRUE(SameBits(v[0], SoftStateValue(q0, t, sp))) << prior.Describe() << " " << t;
        SoftPolicy(mdp, params, q, pi);
        std::vector<double> pi0(4);
        SoftStatePolicy(q0, t, sp, pi0, 1e-9 * (1.0 + std::max({std::abs(q0[0]), std::abs(q0[1]),
                                                               std::abs(q0[2]), std::abs(q0[3])})));
        for (std::size_t a = 0; a < 4; ++a) EXPECT_TRUE(SameBits(pi[a], pi0[a])) << a;
      }
    }
  }
}

TEST(SoftBackup, NetworkOutputsInFloatAccumulateInDouble) {
  // Prior none: the network form is SoftStateValue to the last bit.
  Rng rng(5);
  for (int n : {2, 5, 9}) {
    std::vector<float> qf(static_cast<std::size_t>(n));
    for (float& x : qf) x = static_cast<float>(4.0 * rng.Uniform() - 2.0);
    const std::vector<double> qd(qf.begin(), qf.end());
    const std::vector<double> zeros(static_cast<std::size_t>(n), 0.0);
    for (double t : {0.01, 0.7, 50.0}) {
      std::vector<double> pi(static_cast<std::size_t>(n));
      const double v = SoftStateValueOfOutputs([&](std::size_t a) { return qf[a]; }, zeros, t, pi);
      EXPECT_TRUE(SameBits(v, SoftStateValue(qd, t)));
      std::vector<double> want(static_cast<std::size_t>(n));
      SoftStatePolicy(qd, t, StateLogPrior::None(), want);
      // pi by its own formula exp((z - V) / t): the same probabilities to rounding.
      for (std::size_t a = 0; a < pi.size(); ++a) EXPECT_NEAR(pi[a], want[a], 1e-13);
    }
  }
  // A prior folded into the logits: V = t log sum p exp(q / t).
  const std::vector<float> q = {1.0f, -0.5f, 2.0f};
  const std::vector<double> p = {0.2, 0.3, 0.5};
  const std::vector<double> lp = {std::log(0.2), std::log(0.3), std::log(0.5)};
  const std::vector<double> qd(q.begin(), q.end());
  EXPECT_NEAR(SoftStateValueOfOutputs([&](std::size_t a) { return q[a]; }, lp, 0.8),
              static_cast<double>(PlainSoftMax(qd, p, 0.8)), 1e-15);
}

TEST(SoftBackup, IrlMethodsAreTheTwoBackups) {
  EXPECT_EQ(Backup::kMaxEnt, Backup::kExact);
  EXPECT_EQ(Backup::kMaxCausalEnt, Backup::kVariational);
  EXPECT_EQ(BackupName(Backup::kMaxEnt), "exact");
  EXPECT_EQ(ParseBackup("variational"), Backup::kMaxCausalEnt);
}

}  // namespace
}  // namespace cai
