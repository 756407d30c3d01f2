#include "cai/align/exact_posterior.h"

#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"
#include "cai/inference/finite_horizon.h"
#include "cai/mdp/action_prior.h"

namespace cai::align {

void ValidateBeta(double beta) {
  if (!(std::isfinite(beta) && beta > 0.0)) {
    throw Error(fmt::format("beta: {} is invalid (expected a finite number > 0)", beta));
  }
}

namespace {
void CheckSizes(const TokenWorld& world, std::size_t a, std::size_t b) {
  const auto n = static_cast<std::size_t>(world.num_prompts()) * static_cast<std::size_t>(world.num_responses());
  if (a != n || b != n) {
    throw Error(fmt::format("reference log-probabilities / reward: {} and {} entries (expected {} = prompts x responses)",
                            a, b, n));
  }
}
}  // namespace

SequencePosterior EnumeratedPosterior(const TokenWorld& world, std::span<const double> reference_log_probs,
                                      std::span<const double> reward, double beta) {
  ValidateBeta(beta);
  CheckSizes(world, reference_log_probs.size(), reward.size());
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  SequencePosterior out;
  out.log_probs.resize(reference_log_probs.size());
  for (std::size_t i = 0; i < out.log_probs.size(); ++i) out.log_probs[i] = reference_log_probs[i] + reward[i] / beta;
  for (int x = 0; x < world.num_prompts(); ++x) {
    const std::span<double> row = std::span<double>(out.log_probs).subspan(static_cast<std::size_t>(x) * r_count, r_count);
    const double log_z = LogSumExp(row);
    for (double& l : row) l -= log_z;
    out.log_partition.push_back(log_z);
  }
  return out;
}

Mdp MakeTokenMdp(const TokenWorld& world, std::span<const double> reward) {
  const int nodes = world.num_nodes();
  const int v = world.vocab_size();
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  MdpSpec spec;
  spec.num_states = world.num_prompts() * nodes;
  spec.num_actions = v;
  spec.rewards.assign(static_cast<std::size_t>(spec.num_states), std::vector<double>(static_cast<std::size_t>(v), 0.0));
  for (int x = 0; x < world.num_prompts(); ++x) {
    spec.initial.emplace_back(x * nodes, 1.0 / world.num_prompts());
    for (int n = 0; n < nodes; ++n) {
      const int s = x * nodes + n;
      for (int a = 0; a < v; ++a) {
        const int child = world.Child(n, a);
        if (child >= 0) {
          spec.transitions.push_back({s, a, {{x * nodes + child, 1.0}}});
        } else {
          spec.rewards[static_cast<std::size_t>(s)][static_cast<std::size_t>(a)] =
              reward[static_cast<std::size_t>(x) * r_count + static_cast<std::size_t>(world.Response(n, a))];
        }
      }
    }
  }
  return Mdp::FromSpec(spec);
}

TokenPosterior SoftValueIterationPosterior(const TokenWorld& world, const TabularPolicy& reference,
                                           std::span<const double> reward, double beta) {
  ValidateBeta(beta);
  CheckSizes(world, reward.size(), reward.size());
  const Mdp mdp = MakeTokenMdp(world, reward);
  FiniteHorizonOptions options;
  options.temperature = beta;
  options.discount = 1.0;
  options.horizon = world.max_length();
  options.backup = Backup::kExact;
  options.prior = ActionPrior::Table(mdp.num_states(), mdp.num_actions(), reference.TokenProbabilities());
  const FiniteHorizonSolution solution = SolveFiniteHorizon(mdp, options);
  TokenPosterior out;
  out.token_probabilities.resize(static_cast<std::size_t>(mdp.num_states()) * static_cast<std::size_t>(mdp.num_actions()));
  const int nodes = world.num_nodes();
  for (int x = 0; x < world.num_prompts(); ++x) {
    for (int n = 0; n < nodes; ++n) {
      const int s = x * nodes + n;
      for (int a = 0; a < world.vocab_size(); ++a) {
        out.token_probabilities[mdp.Index(s, a)] = solution.Pi(world.depth(n), s, a);
      }
    }
    out.log_partition.push_back(solution.V(0, x * nodes) / beta);
  }
  return out;
}

}  // namespace cai::align
