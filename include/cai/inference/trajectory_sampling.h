// Sampling trajectories from a (soft) policy with a seeded generator.
#pragma once

#include <span>
#include <vector>

#include "cai/core/rng.h"
#include "cai/mdp/mdp.h"

namespace cai {

struct Trajectory {
  std::vector<int> states;      ///< s_0, ..., s_{n-1}
  std::vector<int> actions;     ///< a_0, ..., a_{n-1}
  std::vector<double> rewards;  ///< r(s_t, a_t)
  bool ended = false;           ///< true when the last action was terminal
  double Return(double discount = 1.0) const;
};

/// Samples s_0 from the initial distribution, then a_t ~ pi(.|s_t) and s_{t+1} ~ p(.|s_t, a_t),
/// until a terminal (s, a) or `max_steps` actions. `policy` is S x A (stationary) or
/// T x S x A with T >= max_steps (time-indexed, as FiniteHorizonSolution::policy).
Trajectory SampleTrajectory(const Mdp& mdp, std::span<const double> policy, int max_steps,
                            Rng& rng);

}  // namespace cai
