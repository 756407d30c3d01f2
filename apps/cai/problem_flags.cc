#include "problem_flags.h"

#include <utility>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/inference/finite_horizon.h"
#include "cai/inference/soft_value_iteration.h"

namespace cai::cli {

void HorizonOrDiscount::AddFlags(CLI::App& cmd, const std::string& discount_help, const std::string& horizon_help) {
  discount_flag = cmd.add_option("--discount", discount, discount_help);
  horizon_flag = cmd.add_option("--horizon", horizon, horizon_help);
  discount_flag->excludes(horizon_flag);
}

void HorizonOrDiscount::Check(const std::string& missing, bool discount_below_one) const {
  CheckGiven(horizon_flag->count() > 0, discount_flag->count() > 0, missing, discount_below_one);
}

void HorizonOrDiscount::CheckGiven(bool horizon_given, bool discount_given, const std::string& missing,
                                   bool discount_below_one) const {
  if (!horizon_given && !discount_given) throw Error(missing);
  if (horizon_given && horizon < 1) {
    throw Error(fmt::format("--horizon: {} is invalid (expected an integer >= 1)", horizon));
  }
  if (discount_given && discount_below_one && !(discount >= 0.0 && discount < 1.0)) {
    throw Error(fmt::format("--discount: {} is invalid (expected a number in [0, 1))", discount));
  }
}

std::vector<double> SoftOptimalPolicy(const Mdp& mdp, const SoftBellmanParams& params, const HorizonOrDiscount& h) {
  if (h.finite()) {
    FiniteHorizonOptions o;
    static_cast<SoftBellmanParams&>(o) = params;
    o.discount = 1.0;
    o.horizon = h.horizon;
    return SolveFiniteHorizon(mdp, o).policy;
  }
  SoftValueIterationOptions o;
  static_cast<SoftBellmanParams&>(o) = params;
  o.discount = h.discount;
  auto result = SolveSoftValueIteration(mdp, o);
  if (!result.summary.converged) throw Error("soft value iteration: " + result.summary.BriefReport());
  return std::move(result.solution.policy);
}

}  // namespace cai::cli
