#include "cai/inference/enumeration.h"

#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"

namespace cai {
namespace {

void CheckArgs(const Mdp& mdp, int start_state, int horizon, double temperature,
               const ActionPrior& prior) {
  if (start_state < 0 || start_state >= mdp.num_states()) {
    throw Error(fmt::format("start_state: {} is out of range [0, {})", start_state,
                            mdp.num_states()));
  }
  if (horizon < 1) throw Error(fmt::format("horizon: {} is invalid (expected >= 1)", horizon));
  if (!(temperature > 0.0) || !std::isfinite(temperature)) {
    throw Error(fmt::format("temperature: {} is invalid (enumeration needs a finite temperature > 0)",
                            temperature));
  }
  prior.CheckFits(mdp.num_states(), mdp.num_actions());
}

class Enumerator {
 public:
  Enumerator(const Mdp& mdp, int horizon, double temperature, const ActionPrior& prior,
             std::span<const double> q_policy, std::int64_t max_trajectories)
      : mdp_(mdp),
        horizon_(horizon),
        temperature_(temperature),
        prior_(prior),
        q_(q_policy),
        max_(max_trajectories) {}

  // Log-weights of complete trajectories starting with each first action, collected into
  // `leaves_by_first_action`; for the ELBO, also accumulates q(tau) * log-ratio.
  void Run(int s, std::vector<std::vector<double>>& leaves_by_first_action, double& elbo) {
    leaves_ = &leaves_by_first_action;
    elbo_ = &elbo;
    Visit(0, s, 0.0, 0.0, 0.0, -1);
  }
  std::int64_t count() const { return count_; }

 private:
  // log_w: log of p(tau) prod p(a|s) exp(sum r / temperature) so far (dynamics and prior included).
  // log_q, ratio: log q(tau) and sum (r / temperature + log p - log q) so far (ELBO mode).
  void Visit(int t, int s, double log_w, double log_q, double ratio, int first_action) {
    const int na = mdp_.num_actions();
    const auto nsa = static_cast<std::size_t>(mdp_.num_states()) * static_cast<std::size_t>(na);
    for (int a = 0; a < na; ++a) {
      const double lp = prior_.LogProb(s, a, na);
      double lq = 0.0;
      if (!q_.empty()) {
        const double qa = q_[static_cast<std::size_t>(t) * nsa + mdp_.Index(s, a)];
        if (qa <= 0.0) continue;  // q never takes a: contributes nothing to E_q
        if (lp == kNegInf) {
          *elbo_ = kNegInf;  // q puts mass where the prior has none: KL is infinite
          continue;
        }
        lq = std::log(qa);
      }
      if (lp == kNegInf) continue;
      const double r = mdp_.reward(s, a) / temperature_;
      const double w = log_w + lp + r;
      const double lq_next = log_q + lq;
      const double ratio_next = ratio + r + lp - lq;
      const int fa = (t == 0) ? a : first_action;
      if (mdp_.IsTerminal(s, a) || t + 1 == horizon_) {
        Leaf(fa, w, lq_next, ratio_next);
        continue;
      }
      const auto next = mdp_.NextStates(s, a);
      const auto prob = mdp_.NextProbabilities(s, a);
      for (std::size_t k = 0; k < next.size(); ++k) {
        if (prob[k] <= 0.0) continue;
        const double lpk = std::log(prob[k]);
        Visit(t + 1, next[k], w + lpk, lq_next + lpk, ratio_next, fa);
      }
    }
  }

  void Leaf(int first_action, double log_w, double log_q, double ratio) {
    if (++count_ > max_) {
      throw Error(fmt::format("enumeration: more than {} trajectories; use a smaller problem",
                              max_));
    }
    (*leaves_)[static_cast<std::size_t>(first_action)].push_back(log_w);
    if (!q_.empty() && *elbo_ != kNegInf) *elbo_ += std::exp(log_q) * ratio;
  }

  const Mdp& mdp_;
  int horizon_;
  double temperature_;
  const ActionPrior& prior_;
  std::span<const double> q_;
  std::int64_t max_;
  std::int64_t count_ = 0;
  std::vector<std::vector<double>>* leaves_ = nullptr;
  double* elbo_ = nullptr;
};

}  // namespace

EnumerationResult EnumerateOptimalityPosterior(const Mdp& mdp, int start_state, int horizon,
                                               double temperature, const ActionPrior& prior,
                                               std::int64_t max_trajectories) {
  CheckArgs(mdp, start_state, horizon, temperature, prior);
  Enumerator e(mdp, horizon, temperature, prior, {}, max_trajectories);
  std::vector<std::vector<double>> leaves(static_cast<std::size_t>(mdp.num_actions()));
  double unused = 0.0;
  e.Run(start_state, leaves, unused);
  EnumerationResult result;
  result.num_trajectories = e.count();
  std::vector<double> per_action;
  for (const auto& l : leaves) per_action.push_back(LogSumExp(l));
  result.log_partition = LogSumExp(per_action);
  for (double lz : per_action) {
    result.first_action_posterior.push_back(std::exp(lz - result.log_partition));
  }
  return result;
}

double TrajectoryElbo(const Mdp& mdp, int start_state, int horizon, double temperature,
                      const ActionPrior& prior, std::span<const double> policy,
                      std::int64_t max_trajectories) {
  CheckArgs(mdp, start_state, horizon, temperature, prior);
  const auto nsa = static_cast<std::size_t>(mdp.num_states()) * mdp.num_actions();
  if (policy.size() != static_cast<std::size_t>(horizon) * nsa) {
    throw Error(fmt::format("policy: expected T x S x A = {} entries, got {}",
                            static_cast<std::size_t>(horizon) * nsa, policy.size()));
  }
  Enumerator e(mdp, horizon, temperature, prior, policy, max_trajectories);
  std::vector<std::vector<double>> leaves(static_cast<std::size_t>(mdp.num_actions()));
  double elbo = 0.0;
  e.Run(start_state, leaves, elbo);
  return elbo;
}

}  // namespace cai
