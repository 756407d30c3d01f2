// One interface for the three alignment optimisers on the token world: KL-regularised policy
// gradient with a PPO clipped surrogate, DPO and IPO. Each is run against its exact target.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/align/preference.h"
#include "cai/align/token_world.h"
#include "cai/core/adam.h"
#include "cai/core/rng.h"
#include "cai/run/trainer.h"

namespace cai::align {

/// The problem: a token world, a reference model pretrained by smoothed maximum likelihood on a
/// corpus sampled from a random teacher, and a built-in reward.
struct AlignProblemOptions {
  TokenWorldOptions world;
  std::string reward = "length";   ///< MakeReward name
  double teacher_scale = 1.0;      ///< std of the teacher's logits
  int corpus_per_prompt = 200;     ///< pretraining corpus size per prompt
  double smoothing = 0.5;          ///< add-smoothing of the maximum-likelihood reference (> 0 keeps pi_ref > 0)
  std::uint64_t seed = 1;          ///< seeds the teacher, the corpus and the random reward
  /// 0: optimise the true reward. N > 0: the RLHF pipeline. N preference pairs per prompt are drawn
  /// from pi_ref and labelled by Bradley-Terry on the true R (seeded by `seed`), a reward model is
  /// fitted to them by maximum likelihood (FitRewardModel, kRewardModelSteps Adam steps at
  /// kRewardModelLearningRate), and every method then optimises the learned reward.
  int reward_model_pairs = 0;
};
inline constexpr int kRewardModelSteps = 3000;
inline constexpr double kRewardModelLearningRate = 0.05;
/// Throws cai::Error naming the field (world options, teacher_scale finite >= 0, corpus_per_prompt
/// >= 1, smoothing finite > 0, reward name, reward_model_pairs >= 0).
void ValidateAlignProblemOptions(const AlignProblemOptions& options);

struct AlignProblem {
  TokenWorld world;
  TabularPolicy reference;
  std::vector<double> reference_log_probs;  ///< num_prompts x num_responses
  std::vector<double> reward;               ///< what is optimised: R, or the learned reward model
  std::vector<double> true_reward;          ///< R (equal to `reward` without a reward model)
  /// Without a reward model 0; else the RMS over (x, y) of the reward model's error after centring
  /// both it and R per prompt (R is identifiable only up to a constant per prompt).
  double reward_model_error = 0.0;
};

/// sqrt((1 / (P Y)) sum_{x, y} ((a(x, y) - mean_y a(x, .)) - (b(x, y) - mean_y b(x, .)))^2).
double CentredRewardRmsError(const TokenWorld& world, std::span<const double> a, std::span<const double> b);
AlignProblem MakeAlignProblem(const AlignProblemOptions& options);

enum class AlignMethod { kPpo, kDpo, kIpo };
/// "ppo" / "dpo" / "ipo"; ParseAlignMethod throws cai::Error naming the value otherwise.
std::string AlignMethodName(AlignMethod method);
AlignMethod ParseAlignMethod(const std::string& name);

struct AlignOptions {
  AlignMethod method = AlignMethod::kPpo;
  double beta = 1.0;            ///< KL weight / DPO and IPO temperature, > 0
  int steps = 300;              ///< optimiser iterations (PPO: rollouts; DPO/IPO: full-batch steps)
  double learning_rate = 0.05;  ///< Adam step size on the logits
  std::uint64_t seed = 1;       ///< rollouts (PPO) and the preference data set (DPO/IPO)
  // DPO / IPO
  int pairs_per_prompt = 0;     ///< 0: the population (infinite-data) loss; else a sampled data set
  PairSampler sampler = PairSampler::kReference;
  // PPO
  int samples_per_prompt = 64;  ///< responses per prompt per rollout; 0: exact expectation under pi_old
  int epochs = 4;               ///< Adam steps on each rollout's clipped surrogate
  double clip = 0.2;            ///< PPO ratio clip epsilon, in (0, 1)
};
/// Throws cai::Error naming the field and value.
void ValidateAlignOptions(const AlignOptions& options);

/// Objective quantities of the current policy (exact, by enumeration).
struct AlignMetrics {
  int step = 0;
  double loss = 0.0;          ///< DPO/IPO: the training loss at the start of the step; PPO: -(E[R] - beta KL(pi || pi_ref))
  double reward = 0.0;        ///< (1/P) sum_x E_{pi}[R(x, y)]
  double kl_reference = 0.0;  ///< (1/P) sum_x KL(pi || pi_ref)
  double kl_target = 0.0;     ///< (1/P) sum_x KL(pi || target): pi* for PPO and DPO, the IPO optimum for IPO
  double true_reward = 0.0;   ///< (1/P) sum_x E_{pi}[R_true(x, y)] (= reward without a reward model)
  /// (1/P) sum_x KL(pi || pi*_true), pi* of the true reward at this beta (= kl_target for PPO and
  /// DPO without a reward model).
  double kl_true_target = 0.0;
};

/// The metrics of a policy with response log-probabilities `log_probs` (prompt-major, as
/// TokenWorld enumerates them): E[R], KL to pi_ref and to `target`, and the same against the true
/// reward and `true_target`; `step` and `loss` are copied in.
AlignMetrics MeasureAlignment(const AlignProblem& problem, std::span<const double> log_probs,
                              std::span<const double> target, std::span<const double> true_target, int step,
                              double loss);

/// The policy starts at pi_ref (logits = log pi_ref), as RLHF fine-tuning does.
class AlignTrainer {
 public:
  AlignTrainer(const AlignProblem& problem, const AlignOptions& options);

  /// One iteration; returns the metrics after it.
  AlignMetrics Step();
  AlignMetrics Evaluate() const;
  int steps_done() const { return steps_done_; }
  const TabularPolicy& policy() const { return policy_; }
  /// log target(y|x): pi* (PPO, DPO) or the IPO optimum (IPO).
  const std::vector<double>& target_log_probs() const { return target_; }

  /// Logits, Adam moments and step, Rng state, step count: Restore(Checkpoint()) continues exactly.
  nlohmann::json Checkpoint() const;
  /// Throws cai::Error if the checkpoint does not fit this trainer.
  void Restore(const nlohmann::json& checkpoint);
  /// The same state as "align.*" tensors of a safetensors checkpoint (what run directories hold).
  void SaveState(nn::SafetensorsFile& file) const;
  /// Throws cai::Error naming the tensor if the file does not fit this trainer.
  void RestoreState(const nn::SafetensorsFile& file);

 private:
  double PpoIteration();
  double PreferenceLossAndGradient(std::vector<double>& d_log_probs) const;

  const AlignProblem& problem_;
  AlignOptions options_;
  TabularPolicy policy_;
  Adam<double> adam_;
  Rng rng_;
  std::vector<double> sampler_log_probs_;
  std::vector<double> pair_weights_;  ///< data set or population, as WeightedPreferenceLoss takes them
  std::vector<double> target_;
  std::vector<double> true_target_;  ///< pi* of the true reward
  double last_loss_ = 0.0;
  int steps_done_ = 0;
};

/// config.json of an alignment run: {"format": "cai.align_run/1", "algorithm": "align",
/// "problem": {...}, "align": {...}} (the run layer adds "run").
nlohmann::json AlignRunConfig(const AlignProblemOptions& problem, const AlignOptions& options);
/// Reads what AlignRunConfig wrote (runs made before reward_model_pairs existed read 0); throws
/// cai::Error naming the missing or mistyped key.
void AlignRunConfigFromJson(const nlohmann::json& config, AlignProblemOptions& problem, AlignOptions& options);

/// An AlignTrainer as a run::Trainer, so that alignment runs get the shared run directory
/// (config.json, metrics, TensorBoard, safetensors checkpoints, resume bit for bit). One step is one
/// optimiser iteration; the metrics (align/loss, align/reward, align/kl_reference, align/kl_target,
/// align/true_reward, align/kl_true_target) are logged from step 0. There is no environment to
/// evaluate on: the exact metrics are the evaluation.
class AlignRunTrainer final : public run::IterativeTrainer {
 public:
  /// `problem` must outlive the trainer and be the one `problem_options` makes.
  AlignRunTrainer(const AlignProblem& problem, const AlignProblemOptions& problem_options, const AlignOptions& options);

  std::string algorithm() const override { return "align"; }
  std::int64_t step() const override { return trainer_.steps_done(); }
  std::int64_t total_steps() const override { return options_.steps; }
  std::span<const run::EpisodeStats> Step() override;
  std::vector<std::pair<std::string, double>> Scalars() const override;
  void SaveCheckpoint(nn::SafetensorsFile& file) const override;
  void RestoreCheckpoint(const nn::SafetensorsFile& file) override;
  /// The logits ("align.logits", prompts x responses).
  void SavePolicy(nn::SafetensorsFile& file) const override;
  nlohmann::json Config() const override;

  const AlignTrainer& trainer() const { return trainer_; }
  /// The metrics after the latest step (at the start: of the reference policy).
  const AlignMetrics& metrics() const { return metrics_; }

 private:
  AlignProblemOptions problem_options_;
  AlignOptions options_;
  AlignTrainer trainer_;
  AlignMetrics metrics_;
};

}  // namespace cai::align
