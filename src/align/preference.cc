#include "cai/align/preference.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cai/align/exact_posterior.h"
#include "cai/core/error.h"
#include "cai/core/numerics.h"

namespace cai::align {

std::string PairSamplerName(PairSampler sampler) {
  return sampler == PairSampler::kReference ? "reference" : "uniform";
}

PairSampler ParsePairSampler(const std::string& name) {
  if (name == "reference") return PairSampler::kReference;
  if (name == "uniform") return PairSampler::kUniform;
  throw Error(fmt::format("pair sampler: \"{}\" is unknown (expected reference or uniform)", name));
}

double BradleyTerryProbability(double reward_first, double reward_second) {
  return Sigmoid(reward_first - reward_second);
}

std::vector<double> SamplerLogProbs(const TokenWorld& world, PairSampler sampler,
                                    std::span<const double> reference_log_probs) {
  if (sampler == PairSampler::kReference) return {reference_log_probs.begin(), reference_log_probs.end()};
  return std::vector<double>(reference_log_probs.size(), -std::log(static_cast<double>(world.num_responses())));
}

std::vector<PreferencePair> SamplePreferencePairs(const TokenWorld& world, std::span<const double> sampler_log_probs,
                                                  std::span<const double> reward, int per_prompt, Rng& rng) {
  if (per_prompt < 1) throw Error(fmt::format("pairs per prompt: {} (expected >= 1)", per_prompt));
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::vector<double> mu(r_count);
  std::vector<PreferencePair> pairs;
  for (int x = 0; x < world.num_prompts(); ++x) {
    const std::size_t base = static_cast<std::size_t>(x) * r_count;
    for (std::size_t r = 0; r < r_count; ++r) mu[r] = std::exp(sampler_log_probs[base + r]);
    for (int i = 0; i < per_prompt; ++i) {
      const auto y = static_cast<int>(rng.Categorical(mu));
      const auto z = static_cast<int>(rng.Categorical(mu));
      const double p = BradleyTerryProbability(reward[base + static_cast<std::size_t>(y)],
                                               reward[base + static_cast<std::size_t>(z)]);
      if (rng.Uniform() < p) {
        pairs.push_back({x, y, z});
      } else {
        pairs.push_back({x, z, y});
      }
    }
  }
  return pairs;
}

namespace {

// loss(h) and dloss/dh.
double PairLoss(const PreferenceObjective& o, double h, double* d_h) {
  if (o.loss == PreferenceLoss::kDpo) {
    const double z = o.beta * h;
    // -log sigmoid(z) = softplus(-z); d/dz = -sigmoid(-z).
    *d_h = -o.beta * BradleyTerryProbability(0.0, z);
    return Softplus(-z);
  }
  const double e = h - 1.0 / (2.0 * o.beta);
  *d_h = 2.0 * e;
  return e * e;
}

}  // namespace

double SampledPreferenceLoss(const TokenWorld& world, const PreferenceObjective& objective,
                             std::span<const double> log_probs, std::span<const double> reference_log_probs,
                             std::span<const PreferencePair> pairs, std::span<double> d_log_probs) {
  ValidateBeta(objective.beta);
  if (pairs.empty()) throw Error("preference pairs: none given (expected at least one)");
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::fill(d_log_probs.begin(), d_log_probs.end(), 0.0);
  const double scale = 1.0 / static_cast<double>(pairs.size());
  double total = 0.0;
  for (const PreferencePair& pair : pairs) {
    const std::size_t w = static_cast<std::size_t>(pair.prompt) * r_count + static_cast<std::size_t>(pair.chosen);
    const std::size_t l = static_cast<std::size_t>(pair.prompt) * r_count + static_cast<std::size_t>(pair.rejected);
    const double h = (log_probs[w] - reference_log_probs[w]) - (log_probs[l] - reference_log_probs[l]);
    double d_h = 0.0;
    total += PairLoss(objective, h, &d_h);
    if (!d_log_probs.empty()) {
      d_log_probs[w] += scale * d_h;
      d_log_probs[l] -= scale * d_h;
    }
  }
  return total * scale;
}

double WeightedPreferenceLoss(const TokenWorld& world, const PreferenceObjective& objective,
                              std::span<const double> log_probs, std::span<const double> reference_log_probs,
                              std::span<const double> pair_weights, std::span<double> d_log_probs) {
  ValidateBeta(objective.beta);
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::fill(d_log_probs.begin(), d_log_probs.end(), 0.0);
  double total = 0.0;
  for (int x = 0; x < world.num_prompts(); ++x) {
    const std::size_t base = static_cast<std::size_t>(x) * r_count;
    const std::size_t pair_base = base * r_count;
    for (std::size_t y = 0; y < r_count; ++y) {
      const double gy = log_probs[base + y] - reference_log_probs[base + y];
      for (std::size_t z = 0; z < r_count; ++z) {
        const double weight = pair_weights[pair_base + y * r_count + z];
        if (weight == 0.0) continue;
        const double h = gy - (log_probs[base + z] - reference_log_probs[base + z]);
        double d_h = 0.0;
        total += weight * PairLoss(objective, h, &d_h);
        if (!d_log_probs.empty()) {
          d_log_probs[base + y] += weight * d_h;
          d_log_probs[base + z] -= weight * d_h;
        }
      }
    }
  }
  return total;
}

std::vector<double> PairWeights(const TokenWorld& world, std::span<const PreferencePair> pairs) {
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::vector<double> w(static_cast<std::size_t>(world.num_prompts()) * r_count * r_count, 0.0);
  for (const PreferencePair& p : pairs) {
    w[(static_cast<std::size_t>(p.prompt) * r_count + static_cast<std::size_t>(p.chosen)) * r_count +
      static_cast<std::size_t>(p.rejected)] += 1.0 / static_cast<double>(pairs.size());
  }
  return w;
}

std::vector<double> PopulationPairWeights(const TokenWorld& world, std::span<const double> sampler_log_probs,
                                          std::span<const double> reward) {
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::vector<double> w(static_cast<std::size_t>(world.num_prompts()) * r_count * r_count);
  for (int x = 0; x < world.num_prompts(); ++x) {
    const std::size_t base = static_cast<std::size_t>(x) * r_count;
    for (std::size_t y = 0; y < r_count; ++y) {
      for (std::size_t z = 0; z < r_count; ++z) {
        // (y, z) is drawn in either order and labelled y > z with probability p(y > z): 2 mu(y) mu(z)
        // p(y > z) (on the diagonal mu(y)^2, since p(y > y) = 1/2), so the weights sum to 1 as a data set's do.
        w[(base + y) * r_count + z] = 2.0 * std::exp(sampler_log_probs[base + y] + sampler_log_probs[base + z]) *
                                      BradleyTerryProbability(reward[base + y], reward[base + z]) / world.num_prompts();
      }
    }
  }
  return w;
}

double PopulationPreferenceLoss(const TokenWorld& world, const PreferenceObjective& objective,
                                std::span<const double> log_probs, std::span<const double> reference_log_probs,
                                std::span<const double> sampler_log_probs, std::span<const double> reward,
                                std::span<double> d_log_probs) {
  return WeightedPreferenceLoss(world, objective, log_probs, reference_log_probs,
                                PopulationPairWeights(world, sampler_log_probs, reward), d_log_probs);
}

std::vector<double> IpoOptimum(const TokenWorld& world, std::span<const double> reference_log_probs,
                               std::span<const double> sampler_log_probs, std::span<const double> reward, double beta) {
  ValidateBeta(beta);
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::vector<double> out(reference_log_probs.size());
  for (int x = 0; x < world.num_prompts(); ++x) {
    const std::size_t base = static_cast<std::size_t>(x) * r_count;
    for (std::size_t y = 0; y < r_count; ++y) {
      double win = 0.0;
      for (std::size_t z = 0; z < r_count; ++z) {
        win += std::exp(sampler_log_probs[base + z]) * BradleyTerryProbability(reward[base + y], reward[base + z]);
      }
      out[base + y] = reference_log_probs[base + y] + win / beta;
    }
    const std::span<double> row = std::span<double>(out).subspan(base, r_count);
    const double log_z = LogSumExp(row);
    for (double& l : row) l -= log_z;
  }
  return out;
}

}  // namespace cai::align

#include "cai/core/adam.h"

namespace cai::align {

double BradleyTerryLoss(const TokenWorld& world, std::span<const double> reward_model,
                        std::span<const double> pair_weights, std::span<double> d_reward) {
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::fill(d_reward.begin(), d_reward.end(), 0.0);
  double total = 0.0;
  for (std::size_t row = 0; row < static_cast<std::size_t>(world.num_prompts()) * r_count; ++row) {
    const std::size_t base = row - row % r_count;
    for (std::size_t z = 0; z < r_count; ++z) {
      const double w = pair_weights[row * r_count + z];
      if (w == 0.0) continue;
      const double d = reward_model[row] - reward_model[base + z];
      // -log sigmoid(d) = softplus(-d); d/dd = -sigmoid(-d).
      total += w * Softplus(-d);
      if (!d_reward.empty()) {
        const double g = -w * BradleyTerryProbability(0.0, d);
        d_reward[row] += g;
        d_reward[base + z] -= g;
      }
    }
  }
  return total;
}

std::vector<double> FitRewardModel(const TokenWorld& world, std::span<const double> pair_weights, int steps,
                                   double learning_rate) {
  if (steps < 0) throw Error(fmt::format("steps: {} is invalid (expected an integer >= 0)", steps));
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::vector<double> r(static_cast<std::size_t>(world.num_prompts()) * r_count, 0.0);
  std::vector<double> grad(r.size());
  Adam<double> adam(r.size(), AdamOptions{learning_rate});
  for (int i = 0; i < steps; ++i) {
    BradleyTerryLoss(world, r, pair_weights, grad);
    // Linearly decayed step: Adam at a fixed step hovers around the optimum instead of settling.
    adam.Step(r, grad, learning_rate * (1.0 - static_cast<double>(i) / steps));
  }
  for (std::size_t base = 0; base < r.size(); base += r_count) {
    double mean = 0.0;
    for (std::size_t y = 0; y < r_count; ++y) mean += r[base + y] / static_cast<double>(r_count);
    for (std::size_t y = 0; y < r_count; ++y) r[base + y] -= mean;
  }
  return r;
}

}  // namespace cai::align
