#include "cai/rl/maxent_policy_gradient.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/inference/forward_messages.h"
#include "cai/inference/soft_backup.h"

namespace cai::rl {
namespace {

void CheckProblem(const Mdp& mdp, const SoftBellmanParams& p, std::size_t logits_size) {
  ValidateSoftBellmanParams(p, mdp);
  if (!(p.temperature > 0)) {
    throw Error(fmt::format("temperature: {} is invalid for the policy gradient (expected > 0)", p.temperature));
  }
  if (!(p.discount < 1)) {
    throw Error(fmt::format("discount: {} is invalid for the policy gradient (expected < 1)", p.discount));
  }
  const std::size_t n = static_cast<std::size_t>(mdp.num_states()) * mdp.num_actions();
  if (logits_size != n) throw Error(fmt::format("logits: {} values (expected S x A = {})", logits_size, n));
}

// -T log(pi / p): the per-step regulariser (entropy bonus or minus the KL to the prior).
double Regulariser(const SoftBellmanParams& p, const Mdp& mdp, int s, int a, double pi) {
  if (pi <= 0) return 0.0;  // never taken
  return -p.temperature * (std::log(pi) - p.prior.LogProb(s, a, mdp.num_actions()));
}

}  // namespace

std::vector<double> SoftmaxPolicy(const Mdp& mdp, std::span<const double> logits) {
  const int S = mdp.num_states(), A = mdp.num_actions();
  const auto na = static_cast<std::size_t>(A);
  std::vector<double> pi(logits.size());
  for (int s = 0; s < S; ++s) {
    const std::size_t row = static_cast<std::size_t>(s) * na;
    // The soft policy of the logits at temperature 1 (inference's per-state soft backup).
    SoftStatePolicy(logits.subspan(row, na), 1.0, StateLogPrior::None(),
                    std::span<double>(pi).subspan(row, na));
  }
  return pi;
}

SoftPolicyEvaluation EvaluateSoftPolicy(const Mdp& mdp, const SoftBellmanParams& p, std::span<const double> pi) {
  CheckProblem(mdp, p, pi.size());
  const int S = mdp.num_states(), A = mdp.num_actions();
  SoftPolicyEvaluation e;
  e.values.assign(S, 0.0);
  e.q_values.assign(static_cast<std::size_t>(S) * A, 0.0);
  std::vector<double> next(S);
  for (int it = 0; it < 1000000; ++it) {
    double change = 0;
    for (int s = 0; s < S; ++s) {
      double v = 0;
      for (int a = 0; a < A; ++a) {
        double q = mdp.reward(s, a);
        const auto states = mdp.NextStates(s, a);
        const auto probs = mdp.NextProbabilities(s, a);
        double ev = 0;
        for (std::size_t k = 0; k < states.size(); ++k) ev += probs[k] * e.values[states[k]];
        q += p.discount * ev;
        e.q_values[static_cast<std::size_t>(s) * A + a] = q;
        const double w = pi[static_cast<std::size_t>(s) * A + a];
        if (w > 0) v += w * (q + Regulariser(p, mdp, s, a, w));
      }
      next[s] = v;
      change = std::max(change, std::abs(v - e.values[s]));
    }
    e.values.swap(next);
    if (change <= 1e-13 * (1 - p.discount)) break;
  }
  const auto d0 = mdp.initial_distribution();
  for (int s = 0; s < S; ++s) e.objective += d0[s] * e.values[s];
  return e;
}

PolicyGradient ExactMaxEntGradient(const Mdp& mdp, const SoftBellmanParams& p, std::span<const double> logits) {
  CheckProblem(mdp, p, logits.size());
  const int S = mdp.num_states(), A = mdp.num_actions();
  const std::vector<double> pi = SoftmaxPolicy(mdp, logits);
  const SoftPolicyEvaluation e = EvaluateSoftPolicy(mdp, p, pi);
  const Occupancy rho = DiscountedOccupancy(mdp, pi, p.discount, {.tolerance = 1e-14});
  PolicyGradient g;
  g.objective = e.objective;
  g.gradient.assign(pi.size(), 0.0);
  for (int s = 0; s < S; ++s) {
    for (int a = 0; a < A; ++a) {
      const std::size_t i = static_cast<std::size_t>(s) * A + a;
      const double advantage = e.q_values[i] + Regulariser(p, mdp, s, a, pi[i]) - e.values[s];
      g.gradient[i] = rho.state[s] * pi[i] * advantage;
    }
  }
  return g;
}

PolicyGradient ReinforceMaxEntGradient(const Mdp& mdp, const SoftBellmanParams& p, std::span<const double> logits,
                                       int episodes, int horizon, bool baseline, Rng& rng) {
  CheckProblem(mdp, p, logits.size());
  if (episodes < 2) throw Error(fmt::format("episodes: {} is invalid (expected >= 2)", episodes));
  if (horizon < 1) throw Error(fmt::format("horizon: {} is invalid (expected >= 1)", horizon));
  const int S = mdp.num_states(), A = mdp.num_actions();
  const std::vector<double> pi = SoftmaxPolicy(mdp, logits);
  std::vector<double> b(S, 0.0);
  if (baseline) b = EvaluateSoftPolicy(mdp, p, pi).values;
  const std::size_t n = pi.size();
  PolicyGradient g;
  g.gradient.assign(n, 0.0);
  g.variance.assign(n, 0.0);
  std::vector<double> sample(n), sum2(n, 0.0);
  std::vector<int> states, actions;
  std::vector<double> rewards;
  double objective = 0;
  for (int ep = 0; ep < episodes; ++ep) {
    states.clear();
    actions.clear();
    rewards.clear();
    int s = static_cast<int>(rng.Categorical(mdp.initial_distribution()));
    for (int t = 0; t < horizon; ++t) {
      const std::span<const double> row(pi.data() + static_cast<std::size_t>(s) * A, static_cast<std::size_t>(A));
      const int a = static_cast<int>(rng.Categorical(row));
      states.push_back(s);
      actions.push_back(a);
      rewards.push_back(mdp.reward(s, a) + Regulariser(p, mdp, s, a, row[a]));
      if (mdp.IsTerminal(s, a)) break;
      s = mdp.NextStates(s, a)[rng.Categorical(mdp.NextProbabilities(s, a))];
    }
    std::fill(sample.begin(), sample.end(), 0.0);
    double ret = 0;  // G_t, built backwards
    for (int t = static_cast<int>(states.size()) - 1; t >= 0; --t) {
      ret = rewards[t] + p.discount * ret;
      const double weight = std::pow(p.discount, t) * (ret - b[states[t]]);
      const std::size_t row = static_cast<std::size_t>(states[t]) * A;
      for (int c = 0; c < A; ++c) sample[row + c] -= weight * pi[row + c];  // d log pi(a|s) / d theta(s, c)
      sample[row + actions[t]] += weight;
    }
    objective += ret;
    for (std::size_t i = 0; i < n; ++i) {
      g.gradient[i] += sample[i];
      sum2[i] += sample[i] * sample[i];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double mean = g.gradient[i] / episodes;
    g.variance[i] = (sum2[i] - episodes * mean * mean) / (episodes - 1);
    g.gradient[i] = mean;
  }
  g.objective = objective / episodes;
  return g;
}

MaxEntPolicyGradientResult MaxEntPolicyGradient(const Mdp& mdp, const MaxEntPolicyGradientOptions& o) {
  const std::size_t n = static_cast<std::size_t>(mdp.num_states()) * mdp.num_actions();
  CheckProblem(mdp, o.problem, n);
  if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0)) {
    throw Error(fmt::format("learning_rate: {} is invalid (expected a finite number > 0)", o.learning_rate));
  }
  if (o.max_iterations < 1) throw Error(fmt::format("max_iterations: {} is invalid (expected >= 1)", o.max_iterations));
  if (!(o.tolerance > 0)) throw Error(fmt::format("tolerance: {} is invalid (expected > 0)", o.tolerance));
  MaxEntPolicyGradientResult r;
  r.logits.assign(n, 0.0);
  for (int it = 1; it <= o.max_iterations; ++it) {
    const PolicyGradient g = ExactMaxEntGradient(mdp, o.problem, r.logits);
    double norm = 0;
    for (double v : g.gradient) norm = std::max(norm, std::abs(v));
    r.objective = g.objective;
    r.summary.iterations = it;
    r.summary.final_residual = norm;
    if (norm <= o.tolerance) {
      r.summary.converged = true;
      break;
    }
    for (std::size_t i = 0; i < n; ++i) r.logits[i] += o.learning_rate * g.gradient[i];
  }
  if (r.summary.converged) {
    r.summary.Finish(TerminationType::kConverged, "gradient below tolerance");
  } else {
    r.summary.Finish(TerminationType::kNoConvergence, "max_iterations reached");
  }
  r.policy = SoftmaxPolicy(mdp, r.logits);
  return r;
}

}  // namespace cai::rl
