#include "cai/rl/off_policy_trainer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {
namespace {

// Both environments must exist and have the same spaces (the evaluation copy is the same task).
std::unique_ptr<env::Environment> CheckPair(std::unique_ptr<env::Environment> env,
                                            const std::unique_ptr<env::Environment>& eval_env) {
  if (!env || !eval_env) throw Error("the training and evaluation environments must not be null");
  if (env->observation_dim() != eval_env->observation_dim() ||
      env->action_space().ToString() != eval_env->action_space().ToString()) {
    throw Error(fmt::format("the evaluation environment ({} -> {}) differs from the training one ({} -> {})",
                            eval_env->observation_space().ToString(), eval_env->action_space().ToString(),
                            env->observation_space().ToString(), env->action_space().ToString()));
  }
  return env;
}

}  // namespace

OffPolicyTrainer::OffPolicyTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
                                   std::int64_t total_steps)
    : env_(CheckPair(std::move(env), eval_env)),
      eval_env_(std::move(eval_env)),
      total_steps_(total_steps),
      observation_(env_->observation_dim()),
      next_observation_(env_->observation_dim()),
      stored_action_(env_->action_dim()),
      env_action_(env_->action_dim()) {
  env_name_ = std::string(env_->name());
}

void OffPolicyTrainer::Start(std::uint64_t seed) {
  if (total_steps_ < 1) throw Error(fmt::format("--steps: {} is invalid (expected an integer >= 1)", total_steps_));
  env_->Reset(seed, observation_);
}

std::span<const run::EpisodeStats> OffPolicyTrainer::Step() {
  const OffPolicySchedule s = schedule();
  SelectAction(/*warmup=*/step_ < s.learning_starts);
  const env::StepResult r = env_->Step(env_action_, next_observation_);
  // A truncated episode is not terminal: the target still bootstraps from s'.
  buffer().Add(observation_, stored_action_, r.reward, next_observation_, r.terminated);
  ++step_;
  episode_return_ += r.reward;
  ++episode_length_;
  if (step_ > s.learning_starts && step_ % s.train_frequency == 0) {
    for (int k = 0; k < s.gradient_steps; ++k) Update();
  }
  if (r.terminated || r.truncated) {
    finished_ = run::EpisodeStats{step_, episode_return_, episode_length_, r.truncated && !r.terminated};
    ++episodes_;
    episode_return_ = 0;
    episode_length_ = 0;
    env_->Reset(std::nullopt, observation_);
    return {&finished_, 1};
  }
  observation_.swap(next_observation_);
  return {};
}

void OffPolicyTrainer::SaveCheckpoint(nn::SafetensorsFile& file) const {
  if (!can_checkpoint()) throw Error(fmt::format("{}: checkpoints are taken at episode boundaries only", algorithm()));
  SaveLearner(file);
  run::SaveEpisodeStart(file, *env_, observation_, step_, episodes_);
  file.metadata["algorithm"] = algorithm();
  file.metadata["env"] = env_name_;
  file.metadata["config"] = Config().dump();
}

void OffPolicyTrainer::RestoreCheckpoint(const nn::SafetensorsFile& file) {
  run::CheckCheckpointOwner(file, algorithm(), env_name_);
  RestoreLearner(file);
  run::RestoreEpisodeStart(file, *env_, observation_, total_steps_, step_, episodes_);
  episode_return_ = 0;
  episode_length_ = 0;
}

}  // namespace cai::rl
