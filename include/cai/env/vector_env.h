// N copies of an environment stepped together (Stable-Baselines3's VecEnv semantics): a finished
// copy is reset in the same step and its last observation is reported separately, so a learner
// can still bootstrap from it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"

namespace cai::env {

class VectorEnv {
 public:
  /// `num_envs` copies of MakeEnvironment(name); throws cai::Error unless num_envs in [1, 65536].
  VectorEnv(std::string_view name, int num_envs);

  int num_envs() const { return static_cast<int>(envs_.size()); }
  int observation_dim() const { return envs_[0]->observation_dim(); }
  int action_dim() const { return envs_[0]->action_dim(); }
  const Space& observation_space() const { return envs_[0]->observation_space(); }
  const Space& action_space() const { return envs_[0]->action_space(); }
  Environment& env(int i) { return *envs_[i]; }

  /// Resets copy i with seed + i (or continues each stream without a seed). Writes
  /// num_envs x observation_dim floats, row-major.
  void Reset(std::optional<std::uint64_t> seed, std::span<float> observations);

  /// Steps copy i with actions[i * action_dim, ...]. For a copy whose episode ended,
  /// final_observations receives its last observation, `observations` the first one of the next
  /// episode (the copy is reset, continuing its stream). rewards, terminated and truncated have
  /// num_envs entries. Allocation-free.
  void Step(std::span<const double> actions, std::span<float> observations, std::span<double> rewards,
            std::span<std::uint8_t> terminated, std::span<std::uint8_t> truncated,
            std::span<float> final_observations);

 private:
  std::vector<std::unique_ptr<Environment>> envs_;
};

}  // namespace cai::env
