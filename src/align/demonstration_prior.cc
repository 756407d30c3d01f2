#include "cai/align/demonstration_prior.h"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::align {

ActionPrior BehaviourCloningPrior(int num_states, int num_actions, std::span<const Trajectory> demonstrations,
                                  double smoothing) {
  if (!(std::isfinite(smoothing) && smoothing >= 0.0)) {
    throw Error(fmt::format("smoothing: {} is invalid (expected a finite number >= 0)", smoothing));
  }
  if (num_states < 1 || num_actions < 1) {
    throw Error(fmt::format("prior size: {} states x {} actions (expected both >= 1)", num_states, num_actions));
  }
  const auto a_count = static_cast<std::size_t>(num_actions);
  std::vector<double> counts(static_cast<std::size_t>(num_states) * a_count, 0.0);
  for (std::size_t d = 0; d < demonstrations.size(); ++d) {
    const Trajectory& t = demonstrations[d];
    for (std::size_t i = 0; i < t.states.size() && i < t.actions.size(); ++i) {
      if (t.states[i] < 0 || t.states[i] >= num_states || t.actions[i] < 0 || t.actions[i] >= num_actions) {
        throw Error(fmt::format("demonstrations[{}] step {}: (state {}, action {}) is outside {} states x {} actions",
                                d, i, t.states[i], t.actions[i], num_states, num_actions));
      }
      counts[static_cast<std::size_t>(t.states[i]) * a_count + static_cast<std::size_t>(t.actions[i])] += 1.0;
    }
  }
  for (std::size_t s = 0; s < static_cast<std::size_t>(num_states); ++s) {
    double total = 0.0;
    for (std::size_t a = 0; a < a_count; ++a) total += counts[s * a_count + a] + smoothing;
    for (std::size_t a = 0; a < a_count; ++a) {
      counts[s * a_count + a] = total > 0.0 ? (counts[s * a_count + a] + smoothing) / total : 1.0 / num_actions;
    }
  }
  return ActionPrior::Table(num_states, num_actions, std::move(counts));
}

ActionPrior PolicyPrior(int num_states, int num_actions, std::span<const double> policy, double uniform_mix) {
  if (!(uniform_mix >= 0.0 && uniform_mix <= 1.0)) {
    throw Error(fmt::format("uniform_mix: {} is invalid (expected a number in [0, 1])", uniform_mix));
  }
  if (policy.size() != static_cast<std::size_t>(num_states) * static_cast<std::size_t>(num_actions)) {
    throw Error(fmt::format("policy: {} entries (expected {} states x {} actions)", policy.size(), num_states,
                            num_actions));
  }
  std::vector<double> p(policy.size());
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = (1.0 - uniform_mix) * policy[i] + uniform_mix / num_actions;
  return ActionPrior::Table(num_states, num_actions, std::move(p));  // validates the rows
}

}  // namespace cai::align
