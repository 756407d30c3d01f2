// Soft Actor-Critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications"): the
// soft Bellman backup with the variational (expected) next-state value, learned from samples.
//
//   critic:  y = r + discount * (1 - terminated) * (min_k Qtarget_k(s', a') - alpha * log pi(a'|s')),
//            a' ~ pi(.|s'),   L_Q = 0.5 * sum_k mean_batch (Q_k(s, a) - y)^2
//   actor:   L_pi = mean_batch (alpha * log pi(a~|s) - min_k Q_k(s, a~)),  a~ = tanh(mu + sigma * eps)
//   alpha:   L_alpha = -log(alpha) * mean_batch (log pi(a~|s) + target_entropy)   (automatic tuning)
//   targets: theta_target <- (1 - tau) theta_target + tau theta            (Polyak)
//
// At a fixed alpha the actor's optimum is the Boltzmann policy pi(a|s) ∝ exp(Q(s, a) / alpha), the
// exact posterior of control as inference; tests/rl/sac_test.cc checks that on a bandit.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/core/adam.h"
#include "cai/core/rng.h"
#include "cai/nn/mlp.h"
#include "cai/rl/replay_buffer.h"
#include "cai/rl/squashed_gaussian.h"

namespace cai {
template <typename T>
class OptionList;
}
namespace cai::nn {
struct SafetensorsFile;
}

namespace cai::rl {

/// Every SAC hyperparameter, with Stable-Baselines3's defaults unless noted.
struct SacOptions {
  std::vector<int> hidden = {256, 256};          ///< hidden layer sizes of actor and both critics
  nn::Activation activation = nn::Activation::kRelu;
  int batch_size = 256;
  std::int64_t buffer_size = 1'000'000;
  double discount = 0.99;                         ///< gamma
  double tau = 0.005;                             ///< Polyak coefficient of the target critics
  double actor_learning_rate = 3e-4;
  double critic_learning_rate = 3e-4;
  double temperature_learning_rate = 3e-4;
  std::int64_t learning_starts = 100;             ///< uniform random actions, no updates, before this many steps
  int train_frequency = 1;                        ///< environment steps between update rounds
  int gradient_steps = 1;                         ///< updates per round
  int policy_frequency = 1;                       ///< critic updates per actor (and alpha) update
  int target_update_interval = 1;                 ///< critic updates per Polyak step
  double initial_temperature = 1.0;               ///< alpha at the start (fixed if !auto_temperature)
  bool auto_temperature = true;
  std::optional<double> target_entropy;           ///< default -dim(A)
  double log_std_min = -20.0;                     ///< the actor's log-std is clipped to [min, max]
  double log_std_max = 2.0;
  double max_grad_norm = 0.0;                     ///< clip each network's gradient norm; 0 = off
  std::uint64_t seed = 0;
};

/// The fields of SacOptions: names, docs, rules (JSON, validation, CLI flags, Python keywords).
const OptionList<SacOptions>& SacOptionList();
/// Throws cai::OptionError naming the first invalid field, its value and the valid range.
void ValidateSacOptions(const SacOptions& options);
/// All options as a JSON object (target_entropy null when default).
nlohmann::json SacOptionsToJson(const SacOptions& options);
/// Starts from `base` and overrides the keys present; throws cai::Error for an unknown key or a
/// value of the wrong type, naming the key; validates the result.
SacOptions SacOptionsFromJson(const nlohmann::json& json, const SacOptions& base = {});

/// Losses and diagnostics of the most recent update.
struct SacUpdateStats {
  double qf1_loss = 0, qf2_loss = 0;  ///< mean squared TD errors
  double qf1_mean = 0;                ///< mean Q1(s, a) on the batch
  double actor_loss = 0;
  double temperature_loss = 0;
  double temperature = 0;             ///< alpha after the update
  double entropy = 0;                 ///< -mean log pi(a~|s) of the actor's batch
  bool actor_updated = false;
};

/// The tanh-squashed Gaussian policy: a = low + (tanh(u) + 1) / 2 * (high - low),
/// u ~ N(mu(s), diag sigma(s)^2), [mu, log sigma] = actor(s), log sigma clipped.
/// The deterministic (evaluation) action is the squashed mean.
class SquashedGaussianPolicy {
 public:
  SquashedGaussianPolicy(nn::Mlp actor, std::vector<double> action_low, std::vector<double> action_high,
                         double log_std_min, double log_std_max);
  int observation_dim() const { return actor_.input_dim(); }
  int action_dim() const { return static_cast<int>(low_.size()); }
  const nn::Mlp& actor() const { return actor_; }
  nn::Mlp& actor() { return actor_; }
  const std::vector<double>& action_low() const { return low_; }
  const std::vector<double>& action_high() const { return high_; }
  double log_std_min() const { return log_std_min_; }
  double log_std_max() const { return log_std_max_; }

  /// One action for one observation. `squashed` receives tanh(u) in [-1, 1]^d; `env_action` the
  /// action rescaled to the bounds. Stochastic draws come from `rng` (unused if deterministic).
  void Act(std::span<const float> observation, bool deterministic, Rng* rng, std::span<float> squashed,
           std::span<double> env_action);
  /// Maps tanh-space actions in [-1, 1] to the environment's bounds.
  void Rescale(std::span<const float> squashed, std::span<double> env_action) const;

  /// Saves the actor ("actor.<layer>.weight/bias") and what is needed to rebuild the policy
  /// (metadata); LoadSquashedGaussianPolicy reads it back.
  void Save(nn::SafetensorsFile& file) const;

 private:
  nn::Mlp actor_;
  std::vector<double> low_, high_;
  double log_std_min_, log_std_max_;
  nn::MlpWorkspace workspace_;
};

/// Rebuilds a policy saved by SquashedGaussianPolicy::Save; throws cai::Error naming what is
/// missing or inconsistent.
SquashedGaussianPolicy LoadSquashedGaussianPolicy(const nn::SafetensorsFile& file);

/// The learner: actor, twin critics and their targets, optimisers, temperature and replay buffer.
class SacAgent {
 public:
  /// Throws cai::Error for invalid options, bounds that are not finite with low < high, or
  /// observation_dim < 1.
  SacAgent(int observation_dim, std::vector<double> action_low, std::vector<double> action_high,
           const SacOptions& options);

  const SacOptions& options() const { return options_; }
  SquashedGaussianPolicy& policy() { return policy_; }
  const SquashedGaussianPolicy& policy() const { return policy_; }
  ReplayBuffer& buffer() { return buffer_; }
  const ReplayBuffer& buffer() const { return buffer_; }
  Rng& rng() { return rng_; }
  double temperature() const;
  double target_entropy() const { return target_entropy_; }
  std::int64_t updates() const { return updates_; }

  /// A stochastic (exploration) or deterministic action from the current actor.
  void Act(std::span<const float> observation, bool deterministic, std::span<float> squashed,
           std::span<double> env_action);
  /// A uniform random action (the warm-up phase).
  void RandomAction(std::span<float> squashed, std::span<double> env_action);

  /// One gradient step on a batch sampled from the buffer (requires a non-empty buffer): critics;
  /// then, every policy_frequency updates, actor and temperature; then targets every
  /// target_update_interval updates. Allocation-free.
  const SacUpdateStats& Update();
  const SacUpdateStats& last_stats() const { return stats_; }

  /// min or individual critic value Q_k(s, a) for one tanh-space action (k = 0 or 1).
  float QValue(int k, std::span<const float> observation, std::span<const float> squashed_action);

  /// Every piece of learner state (networks, optimiser moments, temperature, replay buffer, RNG,
  /// counters) under "sac.*" names; Restore continues bit for bit.
  void Save(nn::SafetensorsFile& file) const;
  void Restore(const nn::SafetensorsFile& file);

 private:
  void UpdateCritics();
  void UpdateActorAndTemperature();
  void StepOptimiser(nn::Mlp& net, Adam<float>& adam);
  // Draws the reparameterised actions of the actor output `out` (2d x B) into sample_.
  void SampleFromActorOutput(const Eigen::Ref<const nn::Matrix>& out, int batch);

  SacOptions options_;
  int obs_dim_, act_dim_;
  double target_entropy_;
  Rng rng_;
  SquashedGaussianPolicy policy_;
  nn::Mlp q1_, q2_, q1_target_, q2_target_;
  Adam<float> actor_adam_, q1_adam_, q2_adam_;
  double log_temperature_;
  double temperature_gradient_ = 0.0;
  Adam<double> temperature_adam_;
  ReplayBuffer buffer_;
  std::int64_t updates_ = 0;
  SacUpdateStats stats_;

  // Preallocated workspaces (one batch).
  TransitionBatch batch_;
  nn::MlpWorkspace actor_ws_, q1_ws_, q2_ws_, target_ws_;
  nn::Matrix state_action_, next_state_action_;
  SquashedGaussianSample sample_;
  nn::Matrix dloss_da_, target_, q_min_;
  nn::Matrix dq1_, dq2_, dsa1_, dsa2_, dactor_;
  nn::Matrix one_obs_, one_sa_;
  nn::MlpWorkspace one_q_ws_;
};

}  // namespace cai::rl
