// N copies of one environment stepped together, with automatic reset (Stable-Baselines3 style).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"

namespace cai::env {

/// Where VectorEnv::Step writes, as views into caller-owned buffers. N = num_envs(),
/// D = observation_dim(); matrices are row-major, row i belonging to copy i.
struct VectorStepOutputs {
  /// N x D: the observation each copy will act on next, i.e. the first observation of a new
  /// episode for a copy whose episode just ended.
  std::span<float> observations;
  /// N: the reward of this step.
  std::span<double> rewards;
  /// N, 0 or 1: the step reached a terminal state (do not bootstrap from final_observations).
  std::span<std::uint8_t> terminated;
  /// N, 0 or 1: the step hit the time limit (bootstrap from final_observations).
  std::span<std::uint8_t> truncated;
  /// N x D: the observation this step's action led to, before any automatic reset; equal to
  /// the row of `observations` for a copy whose episode goes on. Empty: not written.
  std::span<float> final_observations;
};

/// Owns N independent copies of an environment. Step applies one action per copy and, for each
/// copy whose episode ended (terminated or truncated), resets it at once without a seed (its
/// generator continues), so every copy is always ready to step. Step does not allocate.
///
/// Seeding: Reset(seed) resets copy i with seed + i (mod 2^64). The constructor seeds copy i's
/// generator with i, so a VectorEnv that is never given a seed behaves as if reset with seed 0,
/// and its copies never replay one another's episodes.
class VectorEnv {
 public:
  /// Makes one copy of an environment; called num_envs times by the constructor.
  using Factory = std::function<std::unique_ptr<Environment>()>;

  /// Throws cai::Error unless num_envs >= 1, every copy is non-null, and all copies have the same
  /// observation and action spaces.
  VectorEnv(int num_envs, const Factory& factory);
  /// Copies made by MakeEnvironment(name) (throws cai::Error for an unknown name).
  VectorEnv(int num_envs, std::string_view name);

  /// N, the number of copies.
  int num_envs() const { return static_cast<int>(envs_.size()); }
  /// The spaces and dimensions of one copy (D = observation_dim(), per-row action_dim()).
  const Space& observation_space() const { return envs_[0]->observation_space(); }
  const Space& action_space() const { return envs_[0]->action_space(); }
  int observation_dim() const { return envs_[0]->observation_dim(); }
  int action_dim() const { return envs_[0]->action_dim(); }
  /// Copy i (0 <= i < num_envs), e.g. to read its state() or elapsed_steps().
  const Environment& env(int i) const { return *envs_[i]; }

  /// Resets every copy (copy i with seed + i when a seed is given) and writes the N x D first
  /// observations. Throws cai::Error if `observations` does not hold N x D floats.
  void Reset(std::optional<std::uint64_t> seed, std::span<float> observations);

  /// Steps every copy with its row of `actions` (N x action_dim, row-major; discrete actions as
  /// integral numbers), resetting copies whose episode ended (see VectorStepOutputs). All actions
  /// and buffer sizes are checked before any copy moves; throws cai::Error naming the bad row and
  /// entry, or if Reset was never called.
  void Step(std::span<const double> actions, const VectorStepOutputs& outputs);

  /// Where every copy is, mid-episode included: what a checkpoint needs to continue bit for bit.
  struct State {
    std::vector<double> states;      ///< N x state_dim, row-major
    std::vector<int> elapsed_steps;  ///< N
    std::vector<RngState> rngs;      ///< N
  };
  /// Throws cai::Error if Reset was never called.
  State SaveState() const;
  /// Puts every copy back where `state` says and writes their N x D observations; throws cai::Error
  /// naming the field for a wrong size or an invalid entry (nothing is changed then).
  void RestoreState(const State& state, std::span<float> observations);

 private:
  void CheckOutputs(const VectorStepOutputs& outputs) const;

  std::vector<std::unique_ptr<Environment>> envs_;
  bool started_ = false;
};

}  // namespace cai::env
