// MaxEnt policy gradient on tabular MDPs with a softmax policy pi(a|s) = softmax(theta_s)(a): the
// "maximise the ELBO by gradient ascent" route of the lecture. The objective (discounted, from the
// MDP's initial distribution d0) is
//   J(theta) = E[ sum_t discount^t ( r(s_t, a_t) - temperature * log(pi(a_t|s_t) / p(a_t|s_t)) ) ],
// i.e. reward plus temperature times entropy (counting measure) or minus the KL to an action prior.
// Its maximiser is the soft-optimal policy of the variational backup, pi* ∝ p exp(Q* / temperature).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cai/core/rng.h"
#include "cai/core/solver_summary.h"
#include "cai/inference/soft_bellman.h"
#include "cai/mdp/mdp.h"

namespace cai::rl {

/// pi(a|s) = exp(theta(s, a)) / sum_b exp(theta(s, b)), S x A row-major.
std::vector<double> SoftmaxPolicy(const Mdp& mdp, std::span<const double> logits);

/// The policy's own soft values: V(s) = sum_a pi(a|s) [Q(s, a) - T log(pi(a|s) / p(a|s))],
/// Q(s, a) = r(s, a) + discount * E[V(s')] (0 after a terminal (s, a)), solved by fixed-point
/// iteration to 1e-13; objective = sum_s d0(s) V(s). Requires discount < 1.
struct SoftPolicyEvaluation {
  std::vector<double> values, q_values;
  double objective = 0;
};
SoftPolicyEvaluation EvaluateSoftPolicy(const Mdp& mdp, const SoftBellmanParams& params,
                                        std::span<const double> policy);

/// dJ/dtheta(s, b) = rho(s) pi(b|s) [Q(s, b) - T log(pi(b|s) / p(b|s)) - V(s)], with rho the
/// discounted occupancy from d0 (the policy gradient theorem for the regularised objective).
struct PolicyGradient {
  std::vector<double> gradient;  ///< S x A
  std::vector<double> variance;  ///< per-component sample variance of the estimator (Monte Carlo only)
  double objective = 0;          ///< J (exact) or its Monte Carlo estimate
};
PolicyGradient ExactMaxEntGradient(const Mdp& mdp, const SoftBellmanParams& params, std::span<const double> logits);

/// REINFORCE: the mean over `episodes` sampled episodes (truncated at `horizon` steps) of
///   sum_t discount^t grad log pi(a_t|s_t) (G_t - b(s_t)),   G_t = sum_{k>=t} discount^(k-t) (r_k - T log(pi_k / p_k)),
/// with b = the policy's exact soft value when `baseline` (any state-dependent baseline keeps it
/// unbiased), else 0. Also reports the per-component sample variance.
PolicyGradient ReinforceMaxEntGradient(const Mdp& mdp, const SoftBellmanParams& params, std::span<const double> logits,
                                       int episodes, int horizon, bool baseline, Rng& rng);

struct MaxEntPolicyGradientOptions {
  SoftBellmanParams problem;  ///< temperature > 0, discount < 1, prior (backup is ignored: this is the variational objective)
  double learning_rate = 1.0;
  int max_iterations = 100000;
  double tolerance = 1e-10;   ///< stop when max |gradient| is below this
};
struct MaxEntPolicyGradientResult {
  std::vector<double> logits, policy;
  double objective = 0;
  SolverSummary summary;  ///< final_residual = max |gradient|
};
/// Gradient ascent on J with the exact gradient from theta = 0. Throws cai::Error for invalid options.
MaxEntPolicyGradientResult MaxEntPolicyGradient(const Mdp& mdp, const MaxEntPolicyGradientOptions& options);

}  // namespace cai::rl
