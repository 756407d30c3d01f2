#include "cai/rl/replay_buffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::rl {

TransitionBatch::TransitionBatch(int observation_dim, int action_dim, int batch_size)
    : observations(observation_dim, batch_size),
      actions(action_dim, batch_size),
      rewards(1, batch_size),
      next_observations(observation_dim, batch_size),
      terminated(1, batch_size) {}

ReplayBuffer::ReplayBuffer(std::int64_t capacity, int observation_dim, int action_dim)
    : capacity_(capacity), observation_dim_(observation_dim), action_dim_(action_dim) {
  if (capacity < 1 || capacity > (std::int64_t{1} << 31)) {
    throw Error(fmt::format("buffer_size: {} is invalid (expected an integer in [1, 2^31])", capacity));
  }
  if (observation_dim < 1 || action_dim < 1) {
    throw Error(fmt::format("replay buffer: dimensions {} (observation) and {} (action) must be >= 1",
                            observation_dim, action_dim));
  }
  const auto n = static_cast<std::size_t>(capacity);
  observations_.resize(n * observation_dim);
  next_observations_.resize(n * observation_dim);
  actions_.resize(n * action_dim);
  rewards_.resize(n);
  terminated_.resize(n);
}

void ReplayBuffer::Add(std::span<const float> observation, std::span<const float> action, double reward,
                       std::span<const float> next_observation, bool terminated) {
  assert(static_cast<int>(observation.size()) == observation_dim_);
  assert(static_cast<int>(next_observation.size()) == observation_dim_);
  assert(static_cast<int>(action.size()) == action_dim_);
  const auto i = static_cast<std::size_t>(position_);
  std::copy(observation.begin(), observation.end(), observations_.begin() + i * observation_dim_);
  std::copy(next_observation.begin(), next_observation.end(), next_observations_.begin() + i * observation_dim_);
  std::copy(action.begin(), action.end(), actions_.begin() + i * action_dim_);
  rewards_[i] = static_cast<float>(reward);
  terminated_[i] = terminated ? 1 : 0;
  position_ = (position_ + 1) % capacity_;
  size_ = std::min(size_ + 1, capacity_);
}

void ReplayBuffer::Sample(Rng& rng, TransitionBatch& batch) const {
  assert(size_ >= 1);
  const int n = static_cast<int>(batch.rewards.cols());
  for (int j = 0; j < n; ++j) {
    const auto i = static_cast<std::size_t>(rng.UniformInt(static_cast<std::uint64_t>(size_)));
    std::memcpy(batch.observations.col(j).data(), observations_.data() + i * observation_dim_,
                sizeof(float) * observation_dim_);
    std::memcpy(batch.next_observations.col(j).data(), next_observations_.data() + i * observation_dim_,
                sizeof(float) * observation_dim_);
    std::memcpy(batch.actions.col(j).data(), actions_.data() + i * action_dim_, sizeof(float) * action_dim_);
    batch.rewards(0, j) = rewards_[i];
    batch.terminated(0, j) = terminated_[i];
  }
}

ReplayBuffer::Contents ReplayBuffer::Save() const {
  Contents c;
  c.size = size_;
  c.position = position_;
  const auto n = static_cast<std::size_t>(size_);
  c.observations.assign(observations_.begin(), observations_.begin() + n * observation_dim_);
  c.next_observations.assign(next_observations_.begin(), next_observations_.begin() + n * observation_dim_);
  c.actions.assign(actions_.begin(), actions_.begin() + n * action_dim_);
  c.rewards.assign(rewards_.begin(), rewards_.begin() + n);
  c.terminated.assign(terminated_.begin(), terminated_.begin() + n);
  return c;
}

void ReplayBuffer::Restore(const Contents& c) {
  const auto check = [&](std::string_view field, std::size_t got, std::size_t expected) {
    if (got != expected) {
      throw Error(fmt::format("replay buffer {}: {} values (expected {})", field, got, expected));
    }
  };
  if (c.size < 0 || c.size > capacity_ || c.position < 0 || c.position >= capacity_ ||
      (c.size < capacity_ && c.position != c.size)) {
    throw Error(fmt::format("replay buffer: size {} and position {} do not fit capacity {}", c.size,
                            c.position, capacity_));
  }
  const auto n = static_cast<std::size_t>(c.size);
  check("observations", c.observations.size(), n * observation_dim_);
  check("next_observations", c.next_observations.size(), n * observation_dim_);
  check("actions", c.actions.size(), n * action_dim_);
  check("rewards", c.rewards.size(), n);
  check("terminated", c.terminated.size(), n);
  std::copy(c.observations.begin(), c.observations.end(), observations_.begin());
  std::copy(c.next_observations.begin(), c.next_observations.end(), next_observations_.begin());
  std::copy(c.actions.begin(), c.actions.end(), actions_.begin());
  std::copy(c.rewards.begin(), c.rewards.end(), rewards_.begin());
  std::copy(c.terminated.begin(), c.terminated.end(), terminated_.begin());
  size_ = c.size;
  position_ = c.position;
}

void SaveReplayBuffer(nn::SafetensorsFile& f, const std::string& prefix, const ReplayBuffer& buffer) {
  using nn::Tensor;
  const ReplayBuffer::Contents c = buffer.Save();
  const std::int64_t cursor[] = {c.size, c.position};
  const std::int64_t obs = buffer.observation_dim(), act = buffer.action_dim();
  f.tensors[prefix + ".cursor"] = Tensor::FromInt64(cursor, {2});
  f.tensors[prefix + ".observations"] = Tensor::FromFloats(c.observations, {c.size, obs});
  f.tensors[prefix + ".actions"] = Tensor::FromFloats(c.actions, {c.size, act});
  f.tensors[prefix + ".rewards"] = Tensor::FromFloats(c.rewards, {c.size});
  f.tensors[prefix + ".next_observations"] = Tensor::FromFloats(c.next_observations, {c.size, obs});
  f.tensors[prefix + ".terminated"] = Tensor::FromBytes(c.terminated, {c.size});
}

void RestoreReplayBuffer(const nn::SafetensorsFile& f, const std::string& prefix, ReplayBuffer& buffer) {
  using nn::DType;
  using nn::RequireTensor;
  const std::int64_t two[] = {2};
  const auto cursor = RequireTensor(f, prefix + ".cursor", DType::kI64, two).ToInt64();
  ReplayBuffer::Contents c;
  c.size = cursor[0];
  c.position = cursor[1];
  if (c.size < 0 || c.size > buffer.capacity()) {
    throw Error(fmt::format("checkpoint: replay buffer size {} is outside [0, {}]", c.size, buffer.capacity()));
  }
  const std::int64_t obs_shape[] = {c.size, buffer.observation_dim()}, act_shape[] = {c.size, buffer.action_dim()},
                     n[] = {c.size};
  c.observations = RequireTensor(f, prefix + ".observations", DType::kF32, obs_shape).ToFloats();
  c.actions = RequireTensor(f, prefix + ".actions", DType::kF32, act_shape).ToFloats();
  c.rewards = RequireTensor(f, prefix + ".rewards", DType::kF32, n).ToFloats();
  c.next_observations = RequireTensor(f, prefix + ".next_observations", DType::kF32, obs_shape).ToFloats();
  c.terminated = RequireTensor(f, prefix + ".terminated", DType::kU8, n).bytes;
  buffer.Restore(c);
}

}  // namespace cai::rl
