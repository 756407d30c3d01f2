// What every learner exposes to the run-directory driver (run::StartRun / ResumeRun): one step at a
// time, scalars to log, evaluation, checkpoints and the final policy. A step is one environment step
// for the learners on simulators (SAC, soft DQN, the actor-critic, PETS) and one optimiser iteration
// for the others (the alignment trainers, IRL fits): those report no episodes, may finish before
// their budget (finished()) and need not evaluate on an environment (can_evaluate()).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/env/environment.h"

namespace cai::nn {
struct SafetensorsFile;
}

namespace cai::run {

/// A finished training episode.
struct EpisodeStats {
  std::int64_t end_step = 0;  ///< environment steps taken when it ended
  double episodic_return = 0;
  int length = 0;
  bool truncated = false;     ///< ended by the time limit rather than a terminal state
};

/// Returns of deterministic evaluation episodes.
struct EvaluationResult {
  std::vector<double> returns;
  std::vector<int> lengths;
  double mean_return = 0, std_return = 0;  ///< population standard deviation
};

/// A deterministic policy that can be evaluated.
class Policy {
 public:
  virtual ~Policy() = default;
  /// Writes the action for `observation` (action_dim numbers; a Discrete action as one integer).
  virtual void Act(std::span<const float> observation, std::span<double> action) = 0;
};

/// Fills mean_return and std_return (population) from result.returns (which must not be empty).
void SummarizeReturns(EvaluationResult& result);

/// Runs `episodes` episodes of `policy` in `env` (the first reset seeded with `seed`, later resets
/// continuing its stream, so the same seed gives the same episodes). Throws cai::Error unless
/// episodes >= 1.
EvaluationResult EvaluatePolicy(Policy& policy, env::Environment& env, int episodes, std::uint64_t seed);

/// A learner driven one step at a time.
class Trainer {
 public:
  virtual ~Trainer() = default;
  /// "sac", "soft-q", ...
  virtual std::string algorithm() const = 0;
  /// Environment steps taken so far and the run's budget.
  virtual std::int64_t step() const = 0;
  virtual std::int64_t total_steps() const = 0;
  /// True once no more steps are due: at the budget, or earlier where the learner stops by itself
  /// (an optimiser that has converged).
  virtual bool finished() const { return step() >= total_steps(); }
  /// One step of the learner's loop: one environment step (or one step of every copy of a vector
  /// environment, advancing step() by the number of copies) and the updates due after it. Returns
  /// the episodes that ended in it (a view valid until the next call).
  virtual std::span<const EpisodeStats> Step() = 0;
  /// Scalars describing the latest updates (losses, temperature, ...), TensorBoard-style tags.
  virtual std::vector<std::pair<std::string, double>> Scalars() const = 0;
  /// Scalars of the starting point, logged at step 0 when a run starts (e.g. an optimiser's
  /// initial objective); empty (the default) logs nothing.
  virtual std::vector<std::pair<std::string, double>> InitialScalars() const { return {}; }
  /// True where SaveCheckpoint may be called (e.g. right after an episode ended, or after an update
  /// for on-policy learners that save their simulators mid-episode).
  virtual bool can_checkpoint() const = 0;
  /// False for learners without an environment to evaluate on: the run then logs no eval/*
  /// scalars, logs the final Scalars() at the last step instead and writes no eval.json.
  virtual bool can_evaluate() const { return true; }
  /// Deterministic evaluation of the current policy on a separate copy of the environment. The
  /// default (for learners that cannot evaluate) throws cai::Error.
  virtual EvaluationResult Evaluate(int episodes, std::uint64_t seed);
  /// Everything needed to continue bit for bit (learner, environment generator, counters).
  virtual void SaveCheckpoint(nn::SafetensorsFile& file) const = 0;
  /// Throws cai::Error if the file does not belong to this algorithm/configuration.
  virtual void RestoreCheckpoint(const nn::SafetensorsFile& file) = 0;
  /// The policy alone (loadable for evaluation, and by PyTorch through safetensors).
  virtual void SavePolicy(nn::SafetensorsFile& file) const = 0;
  /// The resolved configuration (algorithm, environment, every option) as written to config.json.
  virtual nlohmann::json Config() const = 0;
};

/// Base of the learners whose step is one optimiser iteration (the alignment trainers, IRL fits): no
/// episodes, no environment to evaluate on, a checkpoint possible after every step, and the
/// scalars of the starting point logged at step 0.
class IterativeTrainer : public Trainer {
 public:
  std::vector<std::pair<std::string, double>> InitialScalars() const override { return Scalars(); }
  bool can_checkpoint() const override { return true; }
  bool can_evaluate() const override { return false; }
};

/// Calls trainer.Step() until `steps` more environment steps have been taken (vector learners may
/// overshoot by less than one round) and, if `finish_episode`, on until trainer.can_checkpoint()
/// (so that a checkpoint can be saved). Appends the episodes that ended to `finished`; returns the
/// steps taken. Throws cai::Error unless steps >= 0. The loop behind the Python module's learn().
std::int64_t RunSteps(Trainer& trainer, std::int64_t steps, bool finish_episode, std::vector<EpisodeStats>& finished);

/// Checkpoint pieces of single-environment learners that checkpoint right after a reset: the
/// simulator's state and generator, the first observation of the new episode and the step/episode
/// counters ("trainer.*" tensors).
void SaveEpisodeStart(nn::SafetensorsFile& file, const env::Environment& env, std::span<const float> observation,
                      std::int64_t step, std::int64_t episodes);
/// Puts `env` back at the start of the saved episode and restores the rest; throws cai::Error naming
/// the tensor, or if the saved step lies outside [0, total_steps].
void RestoreEpisodeStart(const nn::SafetensorsFile& file, env::Environment& env, std::vector<float>& observation,
                         std::int64_t total_steps, std::int64_t& step, std::int64_t& episodes);
/// Throws cai::Error unless the checkpoint's metadata names this algorithm and environment.
void CheckCheckpointOwner(const nn::SafetensorsFile& file, std::string_view algorithm, std::string_view env);
/// Throws cai::Error "checkpoint: <what> options <saved> differ from this run's <options>" unless
/// the checkpoint's metadata `key` equals `options` (the learner's options as JSON text).
void CheckCheckpointOptions(const nn::SafetensorsFile& file, const std::string& key, std::string_view what,
                            const std::string& options);

}  // namespace cai::run
