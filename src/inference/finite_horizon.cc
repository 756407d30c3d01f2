#include "cai/inference/finite_horizon.h"

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {

std::span<const double> FiniteHorizonSolution::ValuesAt(int t) const {
  const auto n = static_cast<std::size_t>(num_states);
  return std::span<const double>(values).subspan(static_cast<std::size_t>(t) * n, n);
}

std::span<const double> FiniteHorizonSolution::QAt(int t) const {
  const auto n = static_cast<std::size_t>(num_states) * static_cast<std::size_t>(num_actions);
  return std::span<const double>(q_values).subspan(static_cast<std::size_t>(t) * n, n);
}

std::span<const double> FiniteHorizonSolution::PolicyAt(int t) const {
  const auto n = static_cast<std::size_t>(num_states) * static_cast<std::size_t>(num_actions);
  return std::span<const double>(policy).subspan(static_cast<std::size_t>(t) * n, n);
}

FiniteHorizonSolution SolveFiniteHorizon(const Mdp& mdp, const FiniteHorizonOptions& options) {
  ValidateSoftBellmanParams(options, mdp);
  if (options.horizon < 1) {
    throw Error(fmt::format("horizon: {} is invalid (expected an integer >= 1)", options.horizon));
  }
  const auto ns = static_cast<std::size_t>(mdp.num_states());
  const auto nsa = ns * static_cast<std::size_t>(mdp.num_actions());
  const auto horizon = static_cast<std::size_t>(options.horizon);
  if (horizon > (std::size_t{1} << 34) / nsa) {
    throw Error(fmt::format("horizon: {} x {} state-actions is too large to store", horizon, nsa));
  }
  FiniteHorizonSolution sol;
  sol.horizon = options.horizon;
  sol.num_states = mdp.num_states();
  sol.num_actions = mdp.num_actions();
  sol.values.assign(horizon * ns, 0.0);
  sol.q_values.assign(horizon * nsa, 0.0);
  sol.policy.assign(horizon * nsa, 0.0);
  const std::vector<double> zeros(ns, 0.0);
  for (std::size_t t = horizon; t-- > 0;) {
    std::span<const double> v_next =
        (t + 1 == horizon) ? std::span<const double>(zeros)
                           : std::span<const double>(sol.values).subspan((t + 1) * ns, ns);
    std::span<double> q = std::span<double>(sol.q_values).subspan(t * nsa, nsa);
    SoftBellmanBackup(mdp, options, v_next, q, std::span<double>(sol.values).subspan(t * ns, ns));
    SoftPolicy(mdp, options, q, std::span<double>(sol.policy).subspan(t * nsa, nsa));
  }
  sol.summary.iterations = options.horizon;
  sol.summary.final_residual = 0.0;
  sol.summary.error_bound = 0.0;
  sol.summary.Finish(TerminationType::kConverged,
                     fmt::format("exact after {} backward step{}", options.horizon, options.horizon == 1 ? "" : "s"));
  return sol;
}

}  // namespace cai
