// PETS (Chua et al. 2018, "Deep Reinforcement Learning in a Handful of Trials using Probabilistic
// Dynamics Models"): model-based control as Monte Carlo inference through a learned
// maximum-likelihood model. The loop:
//   1. collect `random_episodes` episodes with uniformly random actions;
//   2. fit the probabilistic ensemble to every transition so far (maximum likelihood);
//   3. act for one episode with MPPI planning through the ensemble (EnsembleDynamics), storing the
//      transitions; refit after every `refit_every` such episodes; repeat.
// Driven one environment step at a time as an run::Trainer, so `cai train pets` gets run
// directories, metrics, checkpoints and --resume from io::StartRun / io::ResumeRun.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/core/rng.h"
#include "cai/env/environment.h"
#include "cai/planning/ensemble_dynamics.h"
#include "cai/planning/mppi.h"
#include "cai/planning/probabilistic_ensemble.h"
#include "cai/run/trainer.h"

namespace cai::planning {

/// Every PETS hyperparameter. The defaults are the Pendulum-v1 swing-up settings of
/// bench/pets_results.md.
struct PetsOptions {
  /// Episodes of uniformly random actions before the first fit (>= 1).
  int random_episodes = 1;
  /// Steps per episode (>= 1; the environment's time limit is set to it).
  int episode_length = 200;
  /// Start state of every episode (state_dim numbers); empty: the environment's seeded reset.
  std::vector<double> initial_state;
  RewardSource reward = RewardSource::kKnown;
  /// Planning episodes between refits (>= 1).
  int refit_every = 1;
  /// The model. Its `seed` is ignored (derived from `seed`).
  EnsembleOptions ensemble;
  /// The planner. Its `seed` is ignored: each episode's planner is seeded from `seed` and the
  /// episode index (so a run resumed at an episode boundary plans exactly as an uninterrupted one).
  MppiOptions mppi = DefaultMppi();
  /// Seed of every random draw (random actions, model, planner, environment resets).
  std::uint64_t seed = 0;

  static MppiOptions DefaultMppi() {
    MppiOptions m;
    m.samples = 400;
    m.horizon = 25;
    m.temperature = 1.0;
    m.noise_std = {1.0};
    return m;
  }
};

/// The fields of PetsOptions, the model's and the planner's among them (JSON, validation, CLI
/// flags, Python keywords).
const OptionList<PetsOptions>& PetsOptionList();
/// Throws cai::OptionError naming the field (e.g. "PetsOptions.random_episodes = 0; expected ...",
/// "EnsembleOptions.members = 0; ...", "MppiOptions.samples = 0; ...") unless the options are
/// valid for `model` (the task's true model: dimensions, action bounds).
void ValidatePetsOptions(const PetsOptions& options, const BatchedDynamics& model);
nlohmann::json PetsOptionsToJson(const PetsOptions& options);
/// Starts from `base` and overrides the keys present; throws cai::Error for an unknown key or a
/// value of the wrong type, naming the key.
PetsOptions PetsOptionsFromJson(const nlohmann::json& json, const PetsOptions& base = {});

/// Environments `cai train pets` supports: a simulator (env::MakeEnvironment) whose state is the
/// state of a batched true model (MakeBatchedDynamics) used for the known reward.
std::vector<std::string> PetsEnvironmentNames();
/// State coordinates that are angles (fed to the model as sin/cos), by environment.
std::vector<int> PetsAngleDims(std::string_view env);

/// Transitions (s, a, r, s'), one row per transition, float32.
struct TransitionDataset {
  int state_dim = 0, action_dim = 0;
  std::vector<float> states, actions, rewards, next_states;
  std::size_t size() const { return rewards.size(); }
  void Add(std::span<const double> state, std::span<const double> action, double reward,
           std::span<const double> next_state);
  /// The model's training data: inputs (features.input_dim() x N) and targets (state deltas, and
  /// the reward with `learned_reward`; (state_dim [+ 1]) x N).
  void ToTrainingData(const ModelFeatures& features, bool learned_reward, nn::Matrix& inputs, nn::Matrix& targets) const;
};

/// The planner of a policy file written by PetsTrainer::SavePolicy, as an run::Policy: MPPI (the
/// saved options, seeded with their seed) through the saved ensemble. The state is recovered from
/// the observation (Pendulum-v1: theta = atan2(sin theta, cos theta), theta_dot). Consecutive Act
/// calls are taken to be consecutive steps (the plan is warm-started). Throws cai::Error naming
/// what is missing or inconsistent.
std::unique_ptr<run::Policy> LoadPetsPolicy(const nn::SafetensorsFile& file);

/// How an episode went: return, and for tasks with an angle (Pendulum) the swing-up outcome.
struct PetsEpisodeOutcome {
  double episodic_return = 0;
  int length = 0;
  /// First step from which |angle| < 0.2 rad held to the end of the episode (angle = the first
  /// angle coordinate, wrapped to [-pi, pi)); -1 if it does not hold at the end.
  int upright_from = -1;
  /// Steps with |angle| < 0.2 rad.
  int upright_steps = 0;
};

/// The PETS learner (see the file comment).
class PetsTrainer : public run::Trainer {
 public:
  /// `environment`: one of PetsEnvironmentNames() (throws cai::Error listing them otherwise).
  /// total_steps >= 1 (episodes x episode_length for whole episodes).
  PetsTrainer(std::string environment, const PetsOptions& options, std::int64_t total_steps);
  ~PetsTrainer() override;

  std::string algorithm() const override { return "pets"; }
  std::int64_t step() const override { return step_; }
  std::int64_t total_steps() const override { return total_steps_; }
  std::span<const run::EpisodeStats> Step() override;
  /// pets/* scalars: the last episode's outcome and the last fit's NLL / MSE.
  std::vector<std::pair<std::string, double>> Scalars() const override;
  bool can_checkpoint() const override { return episode_length_ == 0; }
  /// Episodes planned through the current model on a separate environment (the first reset seeded
  /// with `seed`, the planner of episode i seeded from seed + i); uniformly random actions before
  /// the first fit.
  run::EvaluationResult Evaluate(int episodes, std::uint64_t seed) override;
  void SaveCheckpoint(nn::SafetensorsFile& file) const override;
  void RestoreCheckpoint(const nn::SafetensorsFile& file) override;
  /// The ensemble (members "model.member.<e>", standardisers) and the options.
  void SavePolicy(nn::SafetensorsFile& file) const override;
  nlohmann::json Config() const override;

  const PetsOptions& options() const { return options_; }
  const ProbabilisticEnsemble& ensemble() const { return *ensemble_; }
  const TransitionDataset& dataset() const { return dataset_; }
  const EnsembleFitSummary& last_fit() const { return last_fit_; }
  std::int64_t episodes() const { return episodes_; }
  /// Outcomes of every training episode so far (kept across resume).
  const std::vector<PetsEpisodeOutcome>& outcomes() const { return outcomes_; }
  /// The outcomes of the episodes of the last Evaluate call.
  const std::vector<PetsEpisodeOutcome>& last_evaluation() const { return last_evaluation_; }

 private:
  void StartEpisode(env::Environment& env, std::optional<std::uint64_t> seed, std::vector<float>& observation) const;
  void Refit();
  std::unique_ptr<Mppi> MakePlanner(std::uint64_t seed) const;
  void Track(PetsEpisodeOutcome& o, std::span<const double> state, int t) const;

  std::string env_name_;
  PetsOptions options_;
  std::int64_t total_steps_;
  std::unique_ptr<env::Environment> env_, eval_env_;
  std::unique_ptr<BatchedDynamics> true_model_;
  std::vector<int> angle_dims_;
  std::unique_ptr<ProbabilisticEnsemble> ensemble_;
  std::unique_ptr<EnsembleDynamics> model_;
  std::unique_ptr<Mppi> planner_;
  Rng rng_;
  TransitionDataset dataset_;
  EnsembleFitSummary last_fit_;
  std::vector<PetsEpisodeOutcome> outcomes_, last_evaluation_;
  PetsEpisodeOutcome current_;
  std::int64_t step_ = 0, episodes_ = 0;
  int episode_length_ = 0;
  std::vector<float> observation_;
  std::vector<double> action_;
  run::EpisodeStats finished_;
};

}  // namespace cai::planning
