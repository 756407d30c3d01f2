#include "cai/rl/squashed_gaussian.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cai/core/numerics.h"

namespace cai::rl {
namespace {

inline float LogOneMinusTanhSquared(float u) {
  return 2.0f * (std::numbers::ln2_v<float> - u - Softplus(-2.0f * u));
}

}  // namespace

SquashedGaussianSample::SquashedGaussianSample(int action_dim, int batch_size)
    : eps(action_dim, batch_size),
      sigma(action_dim, batch_size),
      squashed(action_dim, batch_size),
      log_prob(1, batch_size),
      clipped(action_dim, batch_size) {}

void EvaluateSquashedGaussian(const Eigen::Ref<const nn::Matrix>& out, float lo, float hi, int batch,
                              SquashedGaussianSample& s) {
  const auto d = s.eps.rows();
  constexpr float kHalfLog2Pi = 0.91893853320467274178f;
  for (int j = 0; j < batch; ++j) {
    float logp = 0.0f;
    for (Eigen::Index i = 0; i < d; ++i) {
      const float raw = out(d + i, j);
      const float log_std = std::clamp(raw, lo, hi);
      s.clipped(i, j) = (raw < lo || raw > hi) ? 1.0f : 0.0f;
      const float sigma = std::exp(log_std);
      const float e = s.eps(i, j);
      const float u = out(i, j) + sigma * e;
      s.sigma(i, j) = sigma;
      s.squashed(i, j) = std::tanh(u);
      logp += -0.5f * e * e - log_std - kHalfLog2Pi - LogOneMinusTanhSquared(u);
    }
    s.log_prob(0, j) = logp;
  }
}

void SampleSquashedGaussian(const Eigen::Ref<const nn::Matrix>& out, float lo, float hi, int batch, Rng& rng,
                            SquashedGaussianSample& s) {
  const auto d = s.eps.rows();
  for (int j = 0; j < batch; ++j) {
    for (Eigen::Index i = 0; i < d; ++i) s.eps(i, j) = static_cast<float>(rng.Normal());
  }
  EvaluateSquashedGaussian(out, lo, hi, batch, s);
}

void SquashedGaussianBackward(const SquashedGaussianSample& s, const Eigen::Ref<const nn::Matrix>& dloss_da,
                              float w, int batch, Eigen::Ref<nn::Matrix> grad) {
  const auto d = s.eps.rows();
  for (int j = 0; j < batch; ++j) {
    for (Eigen::Index i = 0; i < d; ++i) {
      const float a = s.squashed(i, j);
      const float dldu = dloss_da(i, j) * (1.0f - a * a) + w * 2.0f * a;
      grad(i, j) = dldu;
      grad(d + i, j) = s.clipped(i, j) != 0.0f ? 0.0f : dldu * s.sigma(i, j) * s.eps(i, j) - w;
    }
  }
}

}  // namespace cai::rl
