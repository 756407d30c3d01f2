#include "cai/rl/sac_trainer.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/options.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {
namespace {

const env::Space& BoxActions(const env::Environment& env) {
  const env::Space& space = env.action_space();
  if (space.is_discrete()) {
    ThrowInvalidOption({"env", fmt::format("{} (action space {})", env.name(), space.ToString()),
                        "an environment with a bounded Box action space: SAC; use an algorithm for discrete actions"});
  }
  return space;
}

// Both environments must exist and have the same spaces (the evaluation copy is the same task).
void CheckPair(const std::unique_ptr<env::Environment>& env, const std::unique_ptr<env::Environment>& eval_env) {
  if (!env || !eval_env) throw Error("SacTrainer: the training and evaluation environments must not be null");
  if (env->observation_dim() != eval_env->observation_dim() ||
      env->action_space().ToString() != eval_env->action_space().ToString()) {
    throw Error(fmt::format("SacTrainer: the evaluation environment ({} -> {}) differs from the training one ({} -> {})",
                            eval_env->observation_space().ToString(), eval_env->action_space().ToString(),
                            env->observation_space().ToString(), env->action_space().ToString()));
  }
}

}  // namespace

void DeterministicSquashedGaussian::Act(std::span<const float> observation, std::span<double> action) {
  squashed_.resize(static_cast<std::size_t>(policy_->action_dim()));
  policy_->Act(observation, /*deterministic=*/true, nullptr, squashed_, action);
}

SacTrainer::SacTrainer(std::string environment, const SacOptions& options, std::int64_t total_steps)
    : SacTrainer(env::MakeEnvironment(environment), env::MakeEnvironment(environment), options, total_steps) {}

SacTrainer::SacTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
                       const SacOptions& options, std::int64_t total_steps)
    : env_(std::move(env)),
      eval_env_(std::move(eval_env)),
      agent_((CheckPair(env_, eval_env_), env_->observation_dim()), BoxActions(*env_).low(),
             BoxActions(*env_).high(), options),
      total_steps_(total_steps),
      observation_(env_->observation_dim()),
      next_observation_(env_->observation_dim()),
      squashed_(env_->action_dim()),
      action_(env_->action_dim()) {
  env_name_ = std::string(env_->name());
  if (total_steps < 1) {
    throw Error(fmt::format("--steps: {} is invalid (expected an integer >= 1)", total_steps));
  }
  env_->Reset(options.seed, observation_);
}

std::span<const EpisodeStats> SacTrainer::Step() {
  const SacOptions& o = agent_.options();
  if (step_ < o.learning_starts) {
    agent_.RandomAction(squashed_, action_);
  } else {
    agent_.Act(observation_, /*deterministic=*/false, squashed_, action_);
  }
  const env::StepResult r = env_->Step(action_, next_observation_);
  // A truncated episode is not terminal: the target still bootstraps from s'.
  agent_.buffer().Add(observation_, squashed_, r.reward, next_observation_, r.terminated);
  ++step_;
  episode_return_ += r.reward;
  ++episode_length_;
  if (step_ > o.learning_starts && step_ % o.train_frequency == 0) {
    for (int k = 0; k < o.gradient_steps; ++k) agent_.Update();
  }
  if (r.terminated || r.truncated) {
    finished_ = EpisodeStats{step_, episode_return_, episode_length_, r.truncated && !r.terminated};
    ++episodes_;
    episode_return_ = 0;
    episode_length_ = 0;
    env_->Reset(std::nullopt, observation_);
    return {&finished_, 1};
  }
  observation_.swap(next_observation_);
  return {};
}

std::vector<std::pair<std::string, double>> SacTrainer::Scalars() const {
  const SacUpdateStats& s = agent_.last_stats();
  std::vector<std::pair<std::string, double>> out;
  if (agent_.updates() == 0) return out;
  out = {{"losses/qf1_loss", s.qf1_loss},
         {"losses/qf2_loss", s.qf2_loss},
         {"losses/qf_loss", 0.5 * (s.qf1_loss + s.qf2_loss)},
         {"losses/qf1_values", s.qf1_mean},
         {"losses/actor_loss", s.actor_loss},
         {"losses/alpha", s.temperature},
         {"losses/entropy", s.entropy}};
  if (agent_.options().auto_temperature) out.emplace_back("losses/alpha_loss", s.temperature_loss);
  return out;
}

EvaluationResult SacTrainer::Evaluate(int episodes, std::uint64_t seed) {
  DeterministicSquashedGaussian policy(agent_.policy());
  return EvaluatePolicy(policy, *eval_env_, episodes, seed);
}

nlohmann::json SacTrainer::Config() const {
  return {{"algorithm", "sac"},
          {"env", env_name_},
          {"steps", total_steps_},
          {"sac", SacOptionsToJson(agent_.options())}};
}

void SacTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  agent_.policy().Save(file);
  file.metadata["algorithm"] = "sac";
  file.metadata["env"] = env_name_;
}

void SacTrainer::SaveCheckpoint(nn::SafetensorsFile& file) const {
  if (!can_checkpoint()) {
    throw Error("SacTrainer: checkpoints are taken at episode boundaries only");
  }
  agent_.Save(file);
  SaveEpisodeStart(file, *env_, observation_, step_, episodes_);
  file.metadata["algorithm"] = "sac";
  file.metadata["env"] = env_name_;
  file.metadata["config"] = Config().dump();
}

void SacTrainer::RestoreCheckpoint(const nn::SafetensorsFile& file) {
  CheckCheckpointOwner(file, "sac", env_name_);
  agent_.Restore(file);
  RestoreEpisodeStart(file, *env_, observation_, total_steps_, step_, episodes_);
  episode_return_ = 0;
  episode_length_ = 0;
}

}  // namespace cai::rl
