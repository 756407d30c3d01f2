// The environment loop shared by the off-policy learners (SAC, soft DQN), as one base class: act
// (uniformly at random during the warm-up, then with the learner's policy), step the simulator,
// store the transition in the replay buffer, run the gradient steps due, and keep the episode
// bookkeeping and the episode-boundary checkpoints. Time-limit truncations are not terminal.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cai/env/environment.h"
#include "cai/rl/replay_buffer.h"
#include "cai/run/trainer.h"

namespace cai::rl {

/// When the gradient steps happen: after environment step t (1-based) when t > learning_starts
/// and t % train_frequency == 0, gradient_steps of them; actions are uniform for t <= learning_starts.
struct OffPolicySchedule {
  std::int64_t learning_starts = 0;
  int train_frequency = 1;
  int gradient_steps = 1;
};

class OffPolicyTrainer : public run::Trainer {
 public:
  std::int64_t step() const final { return step_; }
  std::int64_t total_steps() const final { return total_steps_; }
  std::span<const run::EpisodeStats> Step() final;
  bool can_checkpoint() const final { return episode_length_ == 0; }
  /// The learner's state (SaveLearner), the simulator at the start of the new episode, the counters,
  /// and metadata naming the algorithm, the environment and the config.
  void SaveCheckpoint(nn::SafetensorsFile& file) const final;
  void RestoreCheckpoint(const nn::SafetensorsFile& file) final;

  env::Environment& environment() { return *env_; }

 protected:
  /// `env` trains, `eval_env` (checked to have the same spaces) evaluates; both must not be null.
  OffPolicyTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
                   std::int64_t total_steps);
  /// Throws cai::Error unless total_steps >= 1, then resets the training environment with `seed`.
  /// Called by the derived constructor once its learner exists.
  void Start(std::uint64_t seed);

  /// Writes the action for observation() into env_action() (what the simulator gets) and
  /// stored_action() (what the buffer stores; action_dim numbers each, a Discrete action as one):
  /// uniformly at random when `warmup`.
  virtual void SelectAction(bool warmup) = 0;
  virtual ReplayBuffer& buffer() = 0;
  virtual OffPolicySchedule schedule() const = 0;
  /// One gradient step.
  virtual void Update() = 0;
  virtual void SaveLearner(nn::SafetensorsFile& file) const = 0;
  virtual void RestoreLearner(const nn::SafetensorsFile& file) = 0;

  std::span<const float> observation() const { return observation_; }
  std::span<double> env_action() { return env_action_; }
  std::span<float> stored_action() { return stored_action_; }
  const std::string& env_name() const { return env_name_; }
  env::Environment& eval_environment() { return *eval_env_; }

 private:
  std::string env_name_;
  std::unique_ptr<env::Environment> env_, eval_env_;
  std::int64_t total_steps_;
  std::int64_t step_ = 0;
  std::int64_t episodes_ = 0;
  double episode_return_ = 0;
  int episode_length_ = 0;
  std::vector<float> observation_, next_observation_, stored_action_;
  std::vector<double> env_action_;
  run::EpisodeStats finished_;
};

/// An OffPolicyTrainer around an agent that owns the replay buffer and the updates (SacAgent,
/// SoftQAgent: buffer(), Update(), Save(), Restore(), options() with learning_starts,
/// train_frequency and gradient_steps).
template <class Agent>
class AgentOffPolicyTrainer : public OffPolicyTrainer {
 public:
  Agent& agent() { return agent_; }

 protected:
  /// `make_agent(environment())` builds the agent once the environments are checked; the training
  /// environment is then reset with `seed`.
  template <class MakeAgent>
  AgentOffPolicyTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
                        std::int64_t total_steps, std::uint64_t seed, MakeAgent make_agent)
      : OffPolicyTrainer(std::move(env), std::move(eval_env), total_steps), agent_(make_agent(environment())) {
    Start(seed);
  }

  ReplayBuffer& buffer() override { return agent_.buffer(); }
  OffPolicySchedule schedule() const override {
    return {agent_.options().learning_starts, agent_.options().train_frequency, agent_.options().gradient_steps};
  }
  void Update() override { agent_.Update(); }
  void SaveLearner(nn::SafetensorsFile& file) const override { agent_.Save(file); }
  void RestoreLearner(const nn::SafetensorsFile& file) override { agent_.Restore(file); }

  Agent agent_;
};

}  // namespace cai::rl
