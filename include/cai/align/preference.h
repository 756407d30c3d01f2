// Preference learning on the token world: Bradley-Terry preference pairs, and the DPO and IPO
// losses with their exact gradients with respect to log pi(y|x).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "cai/align/token_world.h"
#include "cai/core/rng.h"

namespace cai::align {

enum class PreferenceLoss {
  /// DPO (Rafailov et al. 2023): -log sigmoid(beta h), h = log-ratio margin of chosen over rejected.
  kDpo,
  /// IPO (Azar et al. 2023): (h - 1 / (2 beta))^2.
  kIpo,
};

/// Where the two responses of a pair come from, independently given the prompt: mu(y|x).
enum class PairSampler {
  kReference,  ///< mu = pi_ref (the usual offline data set)
  kUniform,    ///< mu uniform over all responses
};
/// "reference" / "uniform"; ParsePairSampler throws cai::Error naming the value otherwise.
std::string PairSamplerName(PairSampler sampler);
PairSampler ParsePairSampler(const std::string& name);

/// One labelled comparison: for `prompt`, `chosen` was preferred to `rejected`.
struct PreferencePair {
  int prompt = 0;
  int chosen = 0;
  int rejected = 0;
};

/// Bradley-Terry with unit scale: p(y > y' | x) = sigmoid(R(x, y) - R(x, y')).
double BradleyTerryProbability(double reward_first, double reward_second);

/// log mu(y|x), num_prompts x num_responses.
std::vector<double> SamplerLogProbs(const TokenWorld& world, PairSampler sampler,
                                    std::span<const double> reference_log_probs);

/// For every prompt, `per_prompt` pairs: y, y' ~ mu(.|x) independently, labelled by a Bradley-Terry
/// draw on R. per_prompt must be >= 1 (cai::Error otherwise).
std::vector<PreferencePair> SamplePreferencePairs(const TokenWorld& world, std::span<const double> sampler_log_probs,
                                                  std::span<const double> reward, int per_prompt, Rng& rng);

/// Everything that defines a preference loss apart from the data.
struct PreferenceObjective {
  PreferenceLoss loss = PreferenceLoss::kDpo;
  double beta = 1.0;  ///< > 0
};

/// Mean of loss(h(chosen, rejected)) over `pairs`, h(y, y') = [log pi(y|x) - log pi_ref(y|x)] -
/// [log pi(y'|x) - log pi_ref(y'|x)]. Writes dL/d log pi(y|x) into `d_log_probs` (num_prompts x
/// num_responses) if it is not empty.
double SampledPreferenceLoss(const TokenWorld& world, const PreferenceObjective& objective,
                             std::span<const double> log_probs, std::span<const double> reference_log_probs,
                             std::span<const PreferencePair> pairs, std::span<double> d_log_probs);

/// sum_x sum_{y, y'} weight(x, y, y') loss(h(y, y')), where weight(x, y, y') (num_prompts x
/// num_responses x num_responses) is the weight of "y preferred to y'" for prompt x: a data set
/// aggregated into counts / its size gives SampledPreferenceLoss at a cost independent of its size.
double WeightedPreferenceLoss(const TokenWorld& world, const PreferenceObjective& objective,
                              std::span<const double> log_probs, std::span<const double> reference_log_probs,
                              std::span<const double> pair_weights, std::span<double> d_log_probs);
/// pair_weights of a data set: count of (x, chosen, rejected) / number of pairs.
std::vector<double> PairWeights(const TokenWorld& world, std::span<const PreferencePair> pairs);
/// pair_weights of the population, the expectation of PairWeights(SamplePreferencePairs(...)):
/// 2 mu(y|x) mu(y'|x) p(y > y' | x) / num_prompts (a pair is drawn in either order), summing to 1.
std::vector<double> PopulationPairWeights(const TokenWorld& world, std::span<const double> sampler_log_probs,
                                          std::span<const double> reward);

/// The infinite-data loss: (1 / P) sum_x sum_{y, y'} 2 mu(y|x) mu(y'|x) p(y > y' | x) loss(h(y, y')),
/// the expectation of SampledPreferenceLoss under SamplePreferencePairs; same gradient convention.
double PopulationPreferenceLoss(const TokenWorld& world, const PreferenceObjective& objective,
                                std::span<const double> log_probs, std::span<const double> reference_log_probs,
                                std::span<const double> sampler_log_probs, std::span<const double> reward,
                                std::span<double> d_log_probs);

/// The minimiser of the population IPO loss (derivation in docs/alignment.md):
/// log pi(y|x) = log pi_ref(y|x) + (1 / beta) sum_{y'} mu(y'|x) p(y > y' | x) - log Z(x).
/// (The population DPO minimiser is pi*, EnumeratedPosterior, for any mu with full support.)
std::vector<double> IpoOptimum(const TokenWorld& world, std::span<const double> reference_log_probs,
                               std::span<const double> sampler_log_probs, std::span<const double> reward, double beta);

}  // namespace cai::align

namespace cai::align {

/// Bradley-Terry negative log-likelihood of a tabular reward model r (num_prompts x num_responses):
/// -sum_x sum_{y, y'} weight(x, y, y') log sigmoid(r(x, y) - r(x, y')), weights as in
/// WeightedPreferenceLoss. Writes dL/dr into `d_reward` if it is not empty.
double BradleyTerryLoss(const TokenWorld& world, std::span<const double> reward_model,
                        std::span<const double> pair_weights, std::span<double> d_reward);

/// Maximum-likelihood reward model: `steps` full-batch Adam steps (step size decaying linearly from
/// `learning_rate` towards 0) on
/// BradleyTerryLoss from r = 0. R is identifiable only up to a constant per prompt (and only between
/// responses that are compared); each prompt's row is returned with mean 0.
std::vector<double> FitRewardModel(const TokenWorld& world, std::span<const double> pair_weights, int steps,
                                   double learning_rate);

}  // namespace cai::align
