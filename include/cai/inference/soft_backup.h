// The per-state soft Bellman backup: the soft maximum over actions (V and pi from one row of Q,
// with any action prior) and the two backups over successors (the variational expectation and the
// exact log E exp, with the tilted dynamics of the latter). It is the one implementation of that
// maths, compiled once without fused multiply-adds (src/CMakeLists.txt) so that every caller gets
// the same bits: the soft Bellman operator (soft_bellman.h) and every solver that backs up one state at a
// time (IRL, tabular soft Q-learning, the policy gradient, soft DQN's target, the solver
// comparison) call it. The vectorised sweep of soft_bellman.cc computes the same operations in
// blocks of states, to the same bits (docs/exact-vs-variational.md).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "cai/core/numerics.h"
#include "cai/mdp/action_prior.h"

namespace cai {

/// Which backup over next states. Both use the soft maximum over actions.
enum class Backup {
  /// Q = r + discount * E_{s'}[V(s')]: the variational (SAC) backup, risk-neutral in s'.
  kVariational,
  /// Q = r + temperature * log E_{s'}[exp(discount * V(s') / temperature)]: exact message passing,
  /// optimistic under stochastic dynamics (temperature 0: max over reachable s').
  kExact,
  /// Inverse RL's names for the same two backups (irl/maxent_irl.h: IrlMethod is Backup).
  /// Maximum causal entropy IRL (Ziebart 2010) explains the expert with the variational backup...
  kMaxCausalEnt = kVariational,
  /// ... and maximum entropy IRL (Ziebart et al. 2008) with the exact one.
  kMaxEnt = kExact,
};

/// "variational" or "exact".
std::string BackupName(Backup backup);
/// Parses "variational" / "exact"; throws cai::Error naming the value otherwise.
Backup ParseBackup(const std::string& name);

/// log p(a|s) of one state as the backup reads it: the counting measure (none: 0 for every
/// action), a constant (uniform: -log |A|), or one row of a normalised table (-inf where p = 0).
struct StateLogPrior {
  const double* row = nullptr;  ///< the table's row (one entry per action), or nullptr
  double constant = 0.0;        ///< log p(a|s) of every action when `row` is nullptr

  static StateLogPrior None() { return {}; }
  static StateLogPrior Uniform(int num_actions) {
    return {nullptr, -std::log(static_cast<double>(num_actions))};
  }
  static StateLogPrior Row(std::span<const double> log_row) { return {log_row.data(), 0.0}; }
  /// State s of `prior` (any kind) for an MDP with `num_actions` actions.
  static StateLogPrior Of(const ActionPrior& prior, int s, int num_actions);

  /// The counting measure (a uniform prior over one action, -log 1 = -0, counts as none).
  bool none() const { return row == nullptr && constant == 0.0; }
  double at(std::size_t a) const { return row == nullptr ? constant : row[a]; }
  bool in_support(std::size_t a) const { return row == nullptr || row[a] != kNegInf; }
};

/// V = temperature * log sum_a p(a) exp(q_a / temperature), the soft maximum of one row of Q.
/// temperature 0 gives the max over the prior's support exactly. Prior none is computed as
/// m + temperature * log sum_a exp((q_a - m) / temperature) with m the max, accurate relative to
/// the result; a uniform or table prior gives a mean, m + temperature * LogMeanExp, which stays
/// accurate when the temperature dwarfs the spread of q (huge temperatures: the result tends to the
/// prior mean of q with no overflow and no cancellation). `scratch` holds at least q.size()
/// doubles for the priors other than none (empty: 64 on the stack, allocated for more actions).
double SoftStateValue(std::span<const double> q, double temperature, StateLogPrior prior = {},
                      std::span<double> scratch = {});

/// pi(a) = p(a) exp((q_a - V) / temperature), computed as a max-shifted softmax of q (SoftArgMax)
/// so that huge temperatures lose no precision. temperature 0 is the limit: the maximisers (those
/// within tie_tolerance of the max over the support) share the mass in proportion to the prior.
void SoftStatePolicy(std::span<const double> q, double temperature, StateLogPrior prior,
                     std::span<double> pi, double tie_tolerance = 0.0);

/// Both at once, from the same exponentials where the prior is none (one pass): returns
/// SoftStateValue(q, temperature, prior) and writes SoftStatePolicy(q, temperature, prior, pi),
/// each to the same bits as the separate calls.
double SoftStateBackup(std::span<const double> q, double temperature, StateLogPrior prior,
                       std::span<double> pi);

/// Soft maximum of network outputs (soft DQN): q_a read as q(a) in any floating type (float network
/// outputs) and accumulated in double, with the prior folded into the logits z_a = q_a +
/// temperature * log_prior[a] (log_prior holds one entry per action; zeros for none):
/// V = max z + temperature * log sum_a exp((z_a - max z) / temperature), and, when `pi` is not
/// empty, pi_a = exp((z_a - V) / temperature). temperature > 0. Inline, so that it rounds as the
/// network code around it; for prior none (log_prior all 0) V is SoftStateValue's to the last bit
/// wherever no multiply-add is fused (the default build).
template <class QAt>
double SoftStateValueOfOutputs(const QAt& q, std::span<const double> log_prior, double temperature,
                               std::span<double> pi = {}) {
  const std::size_t n = log_prior.size();
  double m = kNegInf;
  for (std::size_t a = 0; a < n; ++a) {
    m = std::max(m, static_cast<double>(q(a)) + temperature * log_prior[a]);
  }
  double sum = 0.0;
  for (std::size_t a = 0; a < n; ++a) {
    sum += std::exp((static_cast<double>(q(a)) + temperature * log_prior[a] - m) / temperature);
  }
  const double v = m + temperature * std::log(sum);
  if (!pi.empty()) {
    for (std::size_t a = 0; a < n; ++a) {
      pi[a] = std::exp((static_cast<double>(q(a)) + temperature * log_prior[a] - v) / temperature);
    }
  }
  return v;
}

/// The continuation of one (s, a) from next-step values `v`: its n successors are v[next[k]] with
/// probabilities prob[k]. Variational: discount * sum_k prob_k v[next_k]. Exact:
/// temperature * log(sum_k p_k exp(discount v_k / temperature) / sum_k p_k) over p_k > 0 (the sum
/// is 1 only to the loader's tolerance), computed as discount * M + temperature * log E_p[exp(z)]
/// with M the max and z = discount (v_k - M) / temperature <= 0; when every z >= -1 the mean is
/// taken as log1p(E_p[expm1(z)]), which keeps full precision at huge temperatures where log(sum)
/// would lose temperature * 1e-16 (see LogMeanExp). Temperature or discount 0: discount * M.
/// No successors (an action that ends the episode): 0.
template <Backup kBackup>
double SoftContinuation(const std::int32_t* next, const double* prob, std::int64_t n,
                        const double* v, double temperature, double discount);
double SoftContinuation(Backup backup, const std::int32_t* next, const double* prob,
                        std::int64_t n, const double* v, double temperature, double discount);

/// The exact backup's posterior (tilted) dynamics of one (s, a), temperature > 0:
/// q(s'_k) = p_k exp(discount (v_k - shift) / temperature) / norm over the successors with
/// p_k > 0, the forward dynamics of maximum entropy IRL and of exact message passing.
struct TiltedDynamics {
  double shift = 0.0;  ///< max of v over the successors with p > 0
  double norm = 1.0;   ///< sum_k p_k exp(discount (v_k - shift) / temperature) over p_k > 0
  double temperature = 1.0;
  double discount = 1.0;
  /// exp(discount (v - shift) / temperature): q(s') = p * Tilt(v(s')) / norm.
  double Tilt(double v) const { return std::exp(discount * (v - shift) / temperature); }
  /// q(s') for a successor of probability p and value v (0 where p = 0).
  double Probability(double p, double v) const { return p > 0.0 ? p * Tilt(v) / norm : 0.0; }
};
/// The tilted dynamics of the n successors v[next[k]], prob[k] (n >= 1).
TiltedDynamics ExactTiltedDynamics(const std::int32_t* next, const double* prob, std::int64_t n,
                                   const double* v, double temperature, double discount);

}  // namespace cai
