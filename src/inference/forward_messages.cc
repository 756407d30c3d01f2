#include "cai/inference/forward_messages.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/inference/soft_value_iteration.h"

namespace cai {
namespace {

void CheckPolicy(const Mdp& mdp, std::span<const double> policy, std::size_t expected,
                 const char* what) {
  if (policy.size() != expected) {
    throw Error(fmt::format("policy: expected {} entries ({}), got {}", expected, what,
                            policy.size()));
  }
  const auto na = static_cast<std::size_t>(mdp.num_actions());
  for (std::size_t row = 0; row * na < policy.size(); ++row) {
    double total = 0.0;
    for (std::size_t a = 0; a < na; ++a) {
      const double p = policy[row * na + a];
      if (!std::isfinite(p) || p < 0.0) {
        throw Error(fmt::format("policy: entry {} is {} (expected a probability)", row * na + a, p));
      }
      total += p;
    }
    if (std::abs(total - 1.0) > 1e-9) {
      throw Error(fmt::format("policy: row {} sums to {:.17g} (expected 1)", row, total));
    }
  }
}

std::vector<double> InitialOrDefault(const Mdp& mdp, std::span<const double> initial) {
  if (initial.empty()) {
    return {mdp.initial_distribution().begin(), mdp.initial_distribution().end()};
  }
  if (initial.size() != static_cast<std::size_t>(mdp.num_states())) {
    throw Error(fmt::format("initial: expected {} entries (num_states), got {}", mdp.num_states(),
                            initial.size()));
  }
  return {initial.begin(), initial.end()};
}

// out(s') += sum_{s,a} d(s) pi(a|s) p(s'|s,a) * scale, and d(s,a) into `sa` if given.
// Returns the mass that took a terminal action.
double Propagate(const Mdp& mdp, std::span<const double> d, std::span<const double> pi,
                 double scale, std::span<double> out, std::span<double> sa) {
  const auto offsets = mdp.row_offsets();
  const auto next = mdp.next_states();
  const auto prob = mdp.next_probabilities();
  const auto na = static_cast<std::size_t>(mdp.num_actions());
  double ended = 0.0;
  for (std::size_t s = 0; s < d.size(); ++s) {
    for (std::size_t a = 0; a < na; ++a) {
      const std::size_t i = s * na + a;
      const double m = d[s] * pi[i];
      if (!sa.empty()) sa[i] = m;
      if (m == 0.0) continue;
      const auto begin = static_cast<std::size_t>(offsets[i]);
      const auto end = static_cast<std::size_t>(offsets[i + 1]);
      if (begin == end) ended += m;
      for (std::size_t k = begin; k < end; ++k) {
        out[static_cast<std::size_t>(next[k])] += scale * m * prob[k];
      }
    }
  }
  return ended;
}

}  // namespace

ForwardMessages ComputeForwardMessages(const Mdp& mdp, std::span<const double> policy, int horizon,
                                       std::span<const double> initial) {
  if (horizon < 1) throw Error(fmt::format("horizon: {} is invalid (expected >= 1)", horizon));
  const auto ns = static_cast<std::size_t>(mdp.num_states());
  const auto nsa = ns * static_cast<std::size_t>(mdp.num_actions());
  CheckPolicy(mdp, policy, static_cast<std::size_t>(horizon) * nsa, "horizon x states x actions");
  ForwardMessages fm;
  fm.horizon = horizon;
  fm.num_states = mdp.num_states();
  fm.num_actions = mdp.num_actions();
  fm.state_marginals.assign(static_cast<std::size_t>(horizon) * ns, 0.0);
  fm.state_action_marginals.assign(static_cast<std::size_t>(horizon) * nsa, 0.0);
  fm.ended.assign(static_cast<std::size_t>(horizon), 0.0);
  const std::vector<double> d0 = InitialOrDefault(mdp, initial);
  std::copy(d0.begin(), d0.end(), fm.state_marginals.begin());
  std::vector<double> scratch(ns);
  for (int t = 0; t < horizon; ++t) {
    const auto tt = static_cast<std::size_t>(t);
    std::span<const double> d(fm.state_marginals.data() + tt * ns, ns);
    std::span<double> out = (t + 1 < horizon)
                                ? std::span<double>(fm.state_marginals.data() + (tt + 1) * ns, ns)
                                : std::span<double>(scratch);
    fm.ended[tt] = Propagate(mdp, d, policy.subspan(tt * nsa, nsa), 1.0, out,
                             std::span<double>(fm.state_action_marginals.data() + tt * nsa, nsa));
  }
  return fm;
}

Occupancy DiscountedOccupancy(const Mdp& mdp, std::span<const double> policy, double discount,
                              const OccupancyOptions& options, std::span<const double> initial) {
  if (!(discount >= 0.0 && discount <= 1.0)) {
    throw Error(fmt::format("discount: {} is invalid (expected a number in [0, 1])", discount));
  }
  if (!(options.tolerance > 0.0) || options.max_iterations < 1) {
    throw Error(fmt::format("occupancy options: tolerance {} must be > 0 and max_iterations {} >= 1",
                            options.tolerance, options.max_iterations));
  }
  const auto ns = static_cast<std::size_t>(mdp.num_states());
  const auto nsa = ns * static_cast<std::size_t>(mdp.num_actions());
  CheckPolicy(mdp, policy, nsa, "states x actions");
  if (discount == 1.0 && FindStateOnCycle(mdp) >= 0) {
    throw Error("discount: 1 needs an acyclic MDP for a finite occupancy (expected visit counts)");
  }
  const std::vector<double> d0 = InitialOrDefault(mdp, initial);
  Occupancy occ;
  occ.state = d0;
  std::vector<double> next(ns);
  const double factor = discount < 1.0 ? 1.0 / (1.0 - discount) : 1.0;
  for (int k = 0; k < options.max_iterations; ++k) {
    std::copy(d0.begin(), d0.end(), next.begin());
    Propagate(mdp, occ.state, policy, discount, next, {});
    double residual = 0.0;
    for (std::size_t s = 0; s < ns; ++s) residual += std::abs(next[s] - occ.state[s]);
    occ.state.swap(next);
    occ.summary.iterations = k + 1;
    occ.summary.final_residual = residual;
    // rho_k - rho* = discount P^T (rho_{k-1} - rho*): l1 error <= discount / (1 - discount) * change.
    occ.summary.error_bound = residual == 0.0 ? 0.0 : discount * factor * residual;
    if (occ.summary.error_bound <= options.tolerance) {
      occ.summary.converged = true;
      break;
    }
  }
  if (occ.summary.converged) {
    occ.summary.Finish(TerminationType::kConverged,
                       fmt::format("converged after {} iterations", occ.summary.iterations));
  } else {
    occ.summary.Finish(TerminationType::kNoConvergence,
                       fmt::format("not converged after {} iterations (l1 change {:.3g})",
                                   occ.summary.iterations, occ.summary.final_residual));
  }
  occ.state_action.assign(nsa, 0.0);
  const auto na = static_cast<std::size_t>(mdp.num_actions());
  for (std::size_t s = 0; s < ns; ++s) {
    for (std::size_t a = 0; a < na; ++a) occ.state_action[s * na + a] = occ.state[s] * policy[s * na + a];
  }
  return occ;
}

}  // namespace cai
