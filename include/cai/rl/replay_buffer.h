// Uniform experience replay for off-policy learners (SAC, soft Q-learning): a ring buffer of
// transitions (s, a, r, s', terminated), sampled uniformly with replacement.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cai/core/rng.h"
#include "cai/nn/mlp.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {

/// A batch as network-ready matrices, one transition per column (preallocated by the caller).
struct TransitionBatch {
  TransitionBatch(int observation_dim, int action_dim, int batch_size);
  nn::Matrix observations;       // observation_dim x batch
  nn::Matrix actions;            // action_dim x batch
  nn::Matrix rewards;            // 1 x batch
  nn::Matrix next_observations;  // observation_dim x batch
  nn::Matrix terminated;         // 1 x batch, 1 if s' is terminal (no bootstrap), else 0
};

class ReplayBuffer {
 public:
  /// Throws cai::Error unless capacity >= 1 and both dimensions >= 1. Memory is allocated up front.
  ReplayBuffer(std::int64_t capacity, int observation_dim, int action_dim);

  std::int64_t capacity() const { return capacity_; }
  std::int64_t size() const { return size_; }
  int observation_dim() const { return observation_dim_; }
  int action_dim() const { return action_dim_; }

  /// Stores a transition, overwriting the oldest when full. `terminated` is the MDP's terminal
  /// flag only: a time-limit truncation is not terminal and must be stored as false.
  void Add(std::span<const float> observation, std::span<const float> action, double reward,
           std::span<const float> next_observation, bool terminated);

  /// Fills `batch` (all its columns) with indices drawn uniformly from [0, size) by `rng`.
  /// Requires size() >= 1.
  void Sample(Rng& rng, TransitionBatch& batch) const;

  /// Stored contents in insertion order of the slots (row-major, size() rows), and the slot that the
  /// next Add overwrites: what a checkpoint needs to rebuild the buffer exactly.
  struct Contents {
    std::int64_t size = 0, position = 0;
    std::vector<float> observations, actions, rewards, next_observations;
    std::vector<std::uint8_t> terminated;
  };
  Contents Save() const;
  /// Throws cai::Error naming the field if the contents do not fit this buffer's shape.
  void Restore(const Contents& contents);

 private:
  std::int64_t capacity_;
  int observation_dim_, action_dim_;
  std::int64_t size_ = 0, position_ = 0;
  std::vector<float> observations_, actions_, rewards_, next_observations_;
  std::vector<std::uint8_t> terminated_;
};

/// The buffer's contents as "<prefix>.cursor", ".observations", ".actions", ".rewards",
/// ".next_observations", ".terminated" (what a learner checkpoint holds).
void SaveReplayBuffer(nn::SafetensorsFile& file, const std::string& prefix, const ReplayBuffer& buffer);
/// Restores what SaveReplayBuffer wrote into a buffer of the same shape; throws cai::Error naming
/// the tensor or the size that does not fit.
void RestoreReplayBuffer(const nn::SafetensorsFile& file, const std::string& prefix, ReplayBuffer& buffer);

}  // namespace cai::rl
