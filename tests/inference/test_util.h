// Independent reference computations for the inference tests (written without the library's
// soft Bellman code so that they are a second path).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "cai/mdp/action_prior.h"
#include "cai/mdp/mdp.h"

namespace cai::testing {

/// Entropy-regularised value of a fixed stationary policy by a dense linear solve:
/// V(s) = sum_a pi(a|s) [r(s,a) - temperature * log(pi(a|s) / p(a|s)) + discount E_{s'} V(s')].
inline std::vector<double> EvaluatePolicyLinearSolve(const Mdp& m, const std::vector<double>& pi,
                                                      double temperature, double discount,
                                                      const ActionPrior& prior) {
  const int n = m.num_states();
  const int na = m.num_actions();
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  for (int s = 0; s < n; ++s) {
    for (int act = 0; act < na; ++act) {
      const double p = pi[static_cast<std::size_t>(s * na + act)];
      if (p <= 0.0) continue;
      b(s) += p * (m.reward(s, act) - temperature * (std::log(p) - prior.LogProb(s, act, na)));
      const auto next = m.NextStates(s, act);
      const auto prob = m.NextProbabilities(s, act);
      for (std::size_t k = 0; k < next.size(); ++k) a(s, next[k]) -= discount * p * prob[k];
    }
  }
  const Eigen::VectorXd v = a.partialPivLu().solve(b);
  return {v.data(), v.data() + n};
}

/// Plain hard value iteration (temperature 0, variational backup, counting measure), iterated to
/// the floating-point fixed point.
inline std::vector<double> HardValueIteration(const Mdp& m, double discount) {
  const int n = m.num_states();
  std::vector<double> v(static_cast<std::size_t>(n), 0.0), next(v);
  for (int it = 0; it < 100000; ++it) {
    for (int s = 0; s < n; ++s) {
      double best = -1e300;
      for (int a = 0; a < m.num_actions(); ++a) {
        double q = m.reward(s, a);
        const auto ns = m.NextStates(s, a);
        const auto ps = m.NextProbabilities(s, a);
        for (std::size_t k = 0; k < ns.size(); ++k) q += discount * ps[k] * v[static_cast<std::size_t>(ns[k])];
        best = std::max(best, q);
      }
      next[static_cast<std::size_t>(s)] = best;
    }
    if (next == v) break;
    v.swap(next);
  }
  return v;
}

inline double MaxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

}  // namespace cai::testing
