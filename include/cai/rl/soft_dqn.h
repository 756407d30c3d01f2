// Deep soft Q-learning for discrete actions (soft DQN; Haarnoja et al. 2017, Schulman et al. 2017):
// the variational soft Bellman backup of soft value iteration, learned from replayed samples with a
// Q network and a target network.
//
//   soft value:  V(s) = alpha * log sum_a p(a) exp(Q(s, a) / alpha)        (p = action prior;
//                                                                            none = counting measure)
//   policy:      pi(a|s) = p(a) exp((Q(s, a) - V(s)) / alpha)              (Boltzmann)
//   target:      y = r + discount * (1 - terminated) * Vtarget(s'),  Vtarget from the target network
//   loss:        mean over the batch of huber(Q(s, a) - y) (or 0.5 (Q - y)^2)
//   temperature: fixed, or automatic: L(log alpha) = log alpha * (H(pi(.|s)) - target entropy)
//
// As alpha -> 0 the soft value becomes max_a Q and the method becomes DQN. On a tabular MDP with
// one-hot observations and no hidden layer the fixed point is soft value iteration's Q (tested).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/core/adam.h"
#include "cai/core/rng.h"
#include "cai/env/environment.h"
#include "cai/nn/mlp.h"
#include "cai/rl/replay_buffer.h"
#include "cai/rl/off_policy_trainer.h"
#include "cai/rl/trainer.h"

namespace cai {
template <typename T>
class OptionList;
}

namespace cai::rl {

enum class TdLoss { kHuber, kSquared };

/// Every soft DQN hyperparameter. The defaults (RL Zoo's tuned DQN CartPole schedule with the
/// Boltzmann policy in place of epsilon-greedy) meet the CartPole-v1 goal in bench/README.md;
/// Acrobot-v1 there uses temperature 0.001.
struct SoftQOptions {
  std::vector<int> hidden = {256, 256};
  nn::Activation activation = nn::Activation::kRelu;
  int batch_size = 64;
  std::int64_t buffer_size = 100'000;
  double discount = 0.99;
  double learning_rate = 2.3e-3;
  std::int64_t learning_starts = 1000;      ///< uniform random actions, no updates, before this many steps
  int train_frequency = 256;                ///< environment steps between update rounds
  int gradient_steps = 128;                 ///< updates per round
  int target_update_interval = 128;         ///< updates between target-network updates (here: once per round)
  double tau = 1.0;                         ///< Polyak coefficient of the target update (1 = copy)
  double temperature = 0.01;                ///< alpha (initial value when automatic)
  bool auto_temperature = false;
  std::optional<double> target_entropy;     ///< automatic temperature's target; default 0.2 * log|A|
  double temperature_learning_rate = 3e-4;
  std::vector<double> action_prior;         ///< p(a); empty = none (counting measure)
  TdLoss loss = TdLoss::kHuber;
  double max_grad_norm = 10.0;              ///< 0 = no clipping
  std::uint64_t seed = 0;
};

/// The fields of SoftQOptions: names, docs, rules (JSON, validation, CLI flags, Python keywords).
const OptionList<SoftQOptions>& SoftQOptionList();
/// Throws cai::OptionError naming the first invalid field, its value and the valid range. With
/// num_actions > 0 also checks the prior's length against it.
void ValidateSoftQOptions(const SoftQOptions& options, int num_actions = 0);
nlohmann::json SoftQOptionsToJson(const SoftQOptions& options);
/// Starts from `base` and overrides the keys present; throws cai::Error for an unknown key or a
/// value of the wrong type, naming the key; validates the result.
SoftQOptions SoftQOptionsFromJson(const nlohmann::json& json, const SoftQOptions& base = {});

struct SoftQUpdateStats {
  double td_loss = 0;          ///< mean loss of the last batch
  double q_mean = 0;           ///< mean Q(s, a) of the batch
  double soft_value_mean = 0;  ///< mean V(s) of the batch (online network)
  double entropy = 0;          ///< mean entropy of pi(.|s) over the batch
  double temperature = 0;      ///< alpha after the update
  double temperature_loss = 0;
  double grad_norm = 0;        ///< before clipping
};

/// Boltzmann policy over a Q network: pi(a|s) ∝ p(a) exp(Q(s, a) / alpha).
class BoltzmannQPolicy {
 public:
  /// `log_prior` has one entry per action (all zeros for the counting measure).
  BoltzmannQPolicy(nn::Mlp q, std::vector<double> log_prior);
  int observation_dim() const { return q_.input_dim(); }
  int num_actions() const { return q_.output_dim(); }
  nn::Mlp& q() { return q_; }
  const nn::Mlp& q() const { return q_; }
  const std::vector<double>& log_prior() const { return log_prior_; }
  /// Q(s, .) for one observation into `q` (num_actions values).
  void QValues(std::span<const float> observation, std::span<double> q);
  /// argmax_a Q(s, a) + alpha log p(a) at alpha -> 0 is argmax Q; the deterministic (evaluation)
  /// action is argmax_a pi(a|s) at the given temperature (ties: the lowest index).
  int Greedy(std::span<const float> observation, double temperature);
  /// A draw from pi(.|s) at `temperature`.
  int Sample(std::span<const float> observation, double temperature, Rng& rng);

 private:
  nn::Mlp q_;
  std::vector<double> log_prior_;
  nn::MlpWorkspace workspace_;
  std::vector<double> scratch_;
};

/// The learner: Q network, target network, Adam, temperature and replay buffer.
class SoftQAgent {
 public:
  /// Throws cai::Error for invalid options, observation_dim < 1 or num_actions < 1.
  SoftQAgent(int observation_dim, int num_actions, const SoftQOptions& options);

  const SoftQOptions& options() const { return options_; }
  BoltzmannQPolicy& policy() { return policy_; }
  const BoltzmannQPolicy& policy() const { return policy_; }
  nn::Mlp& q() { return policy_.q(); }
  ReplayBuffer& buffer() { return buffer_; }
  Rng& rng() { return rng_; }
  double temperature() const;
  double target_entropy() const { return target_entropy_; }
  std::int64_t updates() const { return updates_; }

  /// A draw from the Boltzmann policy (exploration), or its most probable action.
  int Act(std::span<const float> observation, bool deterministic);
  /// A uniform random action (warm-up).
  int RandomAction();
  /// One gradient step on a batch from the buffer (requires a non-empty buffer). Allocation-free.
  const SoftQUpdateStats& Update();
  const SoftQUpdateStats& last_stats() const { return stats_; }

  /// Everything ("softq.*") needed to continue bit for bit; Restore checks the options match.
  void Save(nn::SafetensorsFile& file) const;
  void Restore(const nn::SafetensorsFile& file);

 private:
  SoftQOptions options_;
  int obs_dim_, num_actions_;
  double target_entropy_;
  Rng rng_;
  BoltzmannQPolicy policy_;
  nn::Mlp q_target_;
  Adam<float> adam_;
  double log_temperature_;
  double temperature_gradient_ = 0.0;
  Adam<double> temperature_adam_;
  ReplayBuffer buffer_;
  std::int64_t updates_ = 0;
  SoftQUpdateStats stats_;
  TransitionBatch batch_;
  nn::MlpWorkspace q_ws_, target_ws_;
  nn::Matrix dq_;
  std::vector<float> log_prior_f_;
};

/// The saved policy (Q network + prior + temperature); LoadSoftQPolicy reads it back.
void SaveSoftQPolicy(nn::SafetensorsFile& file, const BoltzmannQPolicy& policy, double temperature);
/// A deterministic Policy (most probable action) from a file written by SaveSoftQPolicy; throws
/// cai::Error naming what is missing or inconsistent.
std::unique_ptr<Policy> LoadSoftQPolicy(const nn::SafetensorsFile& file);

/// Soft DQN on a simulator with a Discrete action space: warm-up with uniform actions, then act
/// with the Boltzmann policy, store, update every train_frequency steps. Truncation is not terminal.
class SoftQTrainer : public AgentOffPolicyTrainer<SoftQAgent> {
 public:
  /// `environment`: a Gymnasium id known to env::MakeEnvironment with a Discrete action space
  /// (throws cai::Error naming the space otherwise), or a factory for any such environment.
  SoftQTrainer(std::string environment, const SoftQOptions& options, std::int64_t total_steps);
  SoftQTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
               const SoftQOptions& options, std::int64_t total_steps);

  std::string algorithm() const override { return "soft-q"; }
  std::vector<std::pair<std::string, double>> Scalars() const override;
  EvaluationResult Evaluate(int episodes, std::uint64_t seed) override;
  void SavePolicy(nn::SafetensorsFile& file) const override;
  nlohmann::json Config() const override;

 private:
  void SelectAction(bool warmup) override;
};

}  // namespace cai::rl
