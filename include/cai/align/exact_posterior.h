// The exact answer of KL-regularised RLHF, two ways: by enumerating responses, and token by token
// as soft value iteration over prefixes with the reference model as the action prior.
#pragma once

#include <span>
#include <vector>

#include "cai/align/token_world.h"
#include "cai/mdp/mdp.h"

namespace cai::align {

/// The maximiser of E_{y~pi}[R(x, y)] - beta KL(pi(.|x) || pi_ref(.|x)) for each prompt:
/// pi*(y|x) = pi_ref(y|x) exp(R(x, y) / beta) / Z(x).
struct SequencePosterior {
  std::vector<double> log_probs;      ///< log pi*(y|x), num_prompts x num_responses
  std::vector<double> log_partition;  ///< log Z(x) = log sum_y pi_ref(y|x) exp(R(x, y) / beta), per prompt
};

/// By enumeration. `reference_log_probs` and `reward` are num_prompts x num_responses; beta must be
/// finite and > 0 (throws cai::Error naming beta otherwise).
SequencePosterior EnumeratedPosterior(const TokenWorld& world, std::span<const double> reference_log_probs,
                                      std::span<const double> reward, double beta);

/// The token-level MDP: state x * num_nodes + n is prefix n of the response to prompt x; action a
/// emits token a; emitting a finishing token ends the episode with reward R(x, y), every other
/// token moves deterministically to the child prefix with reward 0. The initial distribution is
/// uniform over the prompts' empty prefixes.
Mdp MakeTokenMdp(const TokenWorld& world, std::span<const double> reward);

/// Token by token: finite-horizon soft value iteration (SolveFiniteHorizon, horizon max_length,
/// discount 1, temperature beta, exact backup) on MakeTokenMdp with the reference next-token table
/// as the action prior. Returns pi*(a | x, n) (prompt x node x token) read at time t = depth(n), and
/// log Z(x) = V_0(x, root) / beta. With deterministic dynamics both backups coincide.
struct TokenPosterior {
  std::vector<double> token_probabilities;
  std::vector<double> log_partition;
};
TokenPosterior SoftValueIterationPosterior(const TokenWorld& world, const TabularPolicy& reference,
                                           std::span<const double> reward, double beta);

/// Throws cai::Error unless beta is finite and > 0.
void ValidateBeta(double beta);

}  // namespace cai::align
