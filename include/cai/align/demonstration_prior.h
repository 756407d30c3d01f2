// Priors built from behaviour: behaviour cloning of demonstrations (imitation-bootstrapped RL) and
// a solved task's policy reused as the prior of a related task (transfer).
#pragma once

#include <span>

#include "cai/inference/trajectory_sampling.h"
#include "cai/mdp/action_prior.h"

namespace cai::align {

/// Behaviour cloning with add-smoothing: p(a|s) = (n(s, a) + smoothing) / (n(s) + A smoothing), from
/// the (state, action) pairs of the demonstrations; a state never visited with smoothing 0 gets the
/// uniform row. Throws cai::Error for smoothing < 0 or not finite, or a state / action out of range.
ActionPrior BehaviourCloningPrior(int num_states, int num_actions, std::span<const Trajectory> demonstrations,
                                  double smoothing);

/// Transfer: the policy pi(a|s) (S x A) of a solved task as the prior of another, mixed with the
/// uniform distribution, p = (1 - uniform_mix) pi + uniform_mix / A, so that no action is ruled out
/// when uniform_mix > 0. With soft-optimal pi_1 = softmax(r_1 / alpha) on a one-step problem,
/// solving r_2 under this prior (uniform_mix 0) gives softmax((r_1 + r_2) / alpha): rewards compose.
/// Throws cai::Error unless uniform_mix is in [0, 1] and pi's rows are distributions.
ActionPrior PolicyPrior(int num_states, int num_actions, std::span<const double> policy, double uniform_mix);

}  // namespace cai::align
