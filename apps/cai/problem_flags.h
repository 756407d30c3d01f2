// The choice every tabular command makes: --horizon T (finite horizon, the backward recursion) or
// --discount G (discounted, soft value iteration), exactly one of the two.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cai/inference/soft_bellman.h"
#include "cai/mdp/mdp.h"

namespace cai::cli {

struct HorizonOrDiscount {
  int horizon = 0;         ///< T >= 1 with --horizon, else 0
  double discount = -1.0;  ///< G with --discount
  CLI::Option* horizon_flag = nullptr;
  CLI::Option* discount_flag = nullptr;

  /// Adds --discount and --horizon to `cmd`, excluding each other (CLI11 reports both given).
  void AddFlags(CLI::App& cmd, const std::string& discount_help, const std::string& horizon_help);
  bool finite() const { return horizon > 0; }
  /// For the command's callback: throws cai::Error `missing` when neither flag was given, and
  /// "--horizon: T is invalid (expected an integer >= 1)"; with `discount_below_one`, also
  /// "--discount: G is invalid (expected a number in [0, 1))".
  void Check(const std::string& missing, bool discount_below_one = false) const;
  /// The same checks with what was given said by the caller (a resumed run's stored choice).
  void CheckGiven(bool horizon_given, bool discount_given, const std::string& missing,
                  bool discount_below_one = false) const;
};

/// The soft-optimal policy under `params` (its discount is ignored): T x S x A from the backward
/// recursion with a horizon, else S x A from soft value iteration, which must converge (else
/// cai::Error "soft value iteration: " + its brief report).
std::vector<double> SoftOptimalPolicy(const Mdp& mdp, const SoftBellmanParams& params, const HorizonOrDiscount& h);

}  // namespace cai::cli
