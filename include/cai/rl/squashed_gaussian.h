// The tanh-squashed diagonal Gaussian of SAC's actor, batched: reparameterised sampling, the exact
// log-density with the change-of-variables correction computed stably, and its backward pass.
//
//   [mu, raw] = actor output (2d x B), log sigma = clip(raw, min, max), u = mu + sigma * eps,
//   a = tanh(u),   log pi(a) = sum_i [ log N(u_i; mu_i, sigma_i) - log(1 - tanh(u_i)^2) ],
//   log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))   (finite for every u).
#pragma once

#include <Eigen/Core>

#include "cai/core/rng.h"
#include "cai/nn/mlp.h"

namespace cai::rl {

/// One batch of samples and what the backward pass needs (allocated once, reused).
struct SquashedGaussianSample {
  SquashedGaussianSample(int action_dim, int batch_size);
  nn::Matrix eps;       ///< d x B standard normal noise
  nn::Matrix sigma;     ///< d x B
  nn::Matrix squashed;  ///< d x B, a = tanh(u) in (-1, 1)
  nn::Matrix log_prob;  ///< 1 x B, log pi(a) in tanh space
  nn::Matrix clipped;   ///< d x B, 1 where raw log sigma was outside [min, max] (no gradient)
};

/// Draws eps ~ N(0, I) from `rng` (column by column) and evaluates the sample for the first
/// `batch` columns of `actor_output` (2d x >= batch).
void SampleSquashedGaussian(const Eigen::Ref<const nn::Matrix>& actor_output, float log_std_min,
                            float log_std_max, int batch, Rng& rng, SquashedGaussianSample& sample);

/// Same with the noise already in sample.eps (for tests and replays).
void EvaluateSquashedGaussian(const Eigen::Ref<const nn::Matrix>& actor_output, float log_std_min,
                              float log_std_max, int batch, SquashedGaussianSample& sample);

/// Backward pass of L = sum_j [ log_prob_weight * log pi(a_j) + f(a_j) ] at fixed eps, given
/// dL/da = df/da (d x B). Writes dL/d(actor output) (2d x B):
///   dL/du = dL/da (1 - a^2) + w * 2a,   dL/dmu = dL/du,
///   dL/draw = dL/du * sigma * eps - w   (0 where clipped).
void SquashedGaussianBackward(const SquashedGaussianSample& sample, const Eigen::Ref<const nn::Matrix>& dloss_da,
                              float log_prob_weight, int batch, Eigen::Ref<nn::Matrix> dloss_doutput);

}  // namespace cai::rl
