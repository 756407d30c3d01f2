#include "cai/inference/trajectory_sampling.h"

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {

double Trajectory::Return(double discount) const {
  double g = 0.0;
  double w = 1.0;
  for (double r : rewards) {
    g += w * r;
    w *= discount;
  }
  return g;
}

Trajectory SampleTrajectory(const Mdp& mdp, std::span<const double> policy, int max_steps,
                            Rng& rng) {
  if (max_steps < 1) throw Error(fmt::format("max_steps: {} is invalid (expected >= 1)", max_steps));
  const auto na = static_cast<std::size_t>(mdp.num_actions());
  const auto nsa = static_cast<std::size_t>(mdp.num_states()) * na;
  const bool stationary = policy.size() == nsa;
  if (!stationary && (policy.size() % nsa != 0 || policy.size() / nsa < static_cast<std::size_t>(max_steps))) {
    throw Error(fmt::format(
        "policy: {} entries is neither S x A = {} nor T x S x A with T >= max_steps = {}",
        policy.size(), nsa, max_steps));
  }
  Trajectory tr;
  int s = static_cast<int>(rng.Categorical(mdp.initial_distribution()));
  for (int t = 0; t < max_steps; ++t) {
    const std::size_t base = (stationary ? 0 : static_cast<std::size_t>(t) * nsa) +
                             static_cast<std::size_t>(s) * na;
    const int a = static_cast<int>(rng.Categorical(policy.subspan(base, na)));
    tr.states.push_back(s);
    tr.actions.push_back(a);
    tr.rewards.push_back(mdp.reward(s, a));
    if (mdp.IsTerminal(s, a)) {
      tr.ended = true;
      break;
    }
    const auto next = mdp.NextStates(s, a);
    s = next[rng.Categorical(mdp.NextProbabilities(s, a))];
  }
  return tr;
}

}  // namespace cai
