#include "cai/env/vector_env.h"

#include <algorithm>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::env {

VectorEnv::VectorEnv(std::string_view name, int num_envs) {
  if (num_envs < 1 || num_envs > 65536) {
    throw Error(fmt::format("num_envs: {} is invalid (expected an integer in [1, 65536])", num_envs));
  }
  for (int i = 0; i < num_envs; ++i) envs_.push_back(MakeEnvironment(name));
}

void VectorEnv::Reset(std::optional<std::uint64_t> seed, std::span<float> observations) {
  const auto d = static_cast<std::size_t>(observation_dim());
  for (std::size_t i = 0; i < envs_.size(); ++i) {
    envs_[i]->Reset(seed ? std::optional<std::uint64_t>(*seed + i) : std::nullopt, observations.subspan(i * d, d));
  }
}

void VectorEnv::Step(std::span<const double> actions, std::span<float> observations, std::span<double> rewards,
                     std::span<std::uint8_t> terminated, std::span<std::uint8_t> truncated,
                     std::span<float> final_observations) {
  const auto n = envs_.size();
  const auto d = static_cast<std::size_t>(observation_dim());
  const auto a = static_cast<std::size_t>(action_dim());
  if (actions.size() != n * a || observations.size() != n * d || rewards.size() != n || terminated.size() != n ||
      truncated.size() != n || final_observations.size() != n * d) {
    throw Error(fmt::format("VectorEnv::Step: buffers of {} actions, {} observations, {} rewards (expected {}, {}, {})",
                            actions.size(), observations.size(), rewards.size(), n * a, n * d, n));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto obs = observations.subspan(i * d, d);
    const StepResult r = envs_[i]->Step(actions.subspan(i * a, a), obs);
    rewards[i] = r.reward;
    terminated[i] = r.terminated;
    truncated[i] = r.truncated;
    if (r.terminated || r.truncated) {
      std::copy(obs.begin(), obs.end(), final_observations.begin() + static_cast<std::ptrdiff_t>(i * d));
      envs_[i]->Reset(std::nullopt, obs);
    }
  }
}

}  // namespace cai::env
