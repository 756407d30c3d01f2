// The soft Bellman backup shared by every exact solver (discounted and finite horizon).
#pragma once

#include <span>
#include <string>

#include "cai/mdp/action_prior.h"
#include "cai/mdp/mdp.h"

namespace cai {

/// Which backup over next states. Both use the soft maximum over actions.
enum class Backup {
  /// Q = r + discount * E_{s'}[V(s')]: the variational (SAC) backup, risk-neutral in s'.
  kVariational,
  /// Q = r + temperature * log E_{s'}[exp(discount * V(s') / temperature)]: exact message passing,
  /// optimistic under stochastic dynamics (temperature 0: max over reachable s').
  kExact,
};

/// "variational" or "exact".
std::string BackupName(Backup backup);
/// Parses "variational" / "exact"; throws cai::Error naming the value otherwise.
Backup ParseBackup(const std::string& name);

/// Everything that defines the soft Bellman operator apart from the MDP.
struct SoftBellmanParams {
  double temperature = 1.0;  ///< alpha >= 0; 0 is the hard Bellman backup
  double discount = 0.99;    ///< gamma in [0, 1]
  Backup backup = Backup::kVariational;
  ActionPrior prior;         ///< p(a|s); default: counting measure
  /// Threads for one backup, 1 to 1024. Problems with fewer than about 10^6 Q entries plus
  /// transitions always use one; larger ones split the states into contiguous blocks, each
  /// computed exactly as on one thread (the result does not depend on the thread count).
  int threads = 1;
};

/// Throws cai::Error naming the field and value when params are invalid for `mdp`
/// (temperature negative or not finite, discount outside [0, 1], prior of the wrong size,
/// threads outside [1, 1024]).
void ValidateSoftBellmanParams(const SoftBellmanParams& params, const Mdp& mdp);

/// One application of the soft Bellman operator: from next-step values `v_next` (size S), writes
/// Q (S x A, row-major) and V (size S). `v_next` and `v` may not alias. If `residual` is not null it
/// receives max_s |V(s) - v_next(s)| (+inf if any difference is NaN), computed in the same pass
/// (the sweep-to-sweep change of value iteration). Stateless; allocates only for threads > 1 or more
/// than 64 actions.
void SoftBellmanBackup(const Mdp& mdp, const SoftBellmanParams& params,
                       std::span<const double> v_next, std::span<double> q, std::span<double> v,
                       double* residual = nullptr);

/// pi(a|s) = p(a|s) exp((Q(s,a) - V(s)) / temperature), computed as a max-shifted softmax of Q so
/// that huge temperatures lose no precision; temperature 0 splits the mass of the maximising
/// actions in proportion to the prior (evenly for none / uniform). Writes S x A.
void SoftPolicy(const Mdp& mdp, const SoftBellmanParams& params, std::span<const double> q,
                std::span<double> policy);

}  // namespace cai
