// MaxEnt actor-critic: synchronous advantage actor-critic (A2C, Mnih et al. 2016) on a vector
// environment, with the entropy (or KL-to-a-prior) regulariser made part of the return, so that it
// optimises the maximum-entropy objective of control as inference:
//
//   J(pi) = E[ sum_t discount^t ( r_t + alpha * H(pi(.|s_t)) ) ]                 (no prior)
//   J(pi) = E[ sum_t discount^t ( r_t - alpha * KL(pi(.|s_t) || p) ) ]          (action prior p)
//
// One update per rollout of num_envs x n_steps transitions:
//   augmented reward  r~_t = r_t + alpha * H_t   (or r_t - alpha * KL_t), H_t in closed form;
//   GAE(lambda) advantages A_t and returns R_t = A_t + V(s_t) on r~; a time-limit truncation is not
//   terminal (r~ += discount * V(final observation)), a terminal state is not bootstrapped;
//   loss = -mean(A * log pi(a|s)) - alpha * mean(H)   (or + alpha * mean(KL))
//          + value_coefficient * mean((V(s) - R)^2);
//   one Adam step on actor, critic (and the Gaussian log-std) after clipping the global norm.
// The explicit -alpha * H term is the gradient of this step's own entropy (which r~_t cannot carry:
// log pi(a_t|s_t) multiplies only what comes after the action; alpha * H_t in A_t is a baseline
// shift). Its fixed point for a tabular softmax policy is pi ∝ p exp(Q_soft / alpha), the
// variational soft-optimal policy (tests/rl/actor_critic_test.cc checks this against soft value
// iteration); on a one-step bandit, softmax(r / alpha).
//
// Policies: categorical (Discrete actions, logits = actor(s)) and a diagonal Gaussian with a
// state-independent learnable log-std (Box actions, a ~ N(mu(s), sigma^2), the environment clips;
// log-prob of the unclipped sample). The deterministic (evaluation) action is the argmax of the
// logits or the Gaussian mean clipped to the bounds.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/core/adam.h"
#include "cai/core/rng.h"
#include "cai/env/environment.h"
#include "cai/env/vector_env.h"
#include "cai/nn/mlp.h"
#include "cai/rl/trainer.h"

namespace cai {
template <typename T>
class OptionList;
}
namespace cai::nn {
struct SafetensorsFile;
}

namespace cai::rl {

/// Every actor-critic hyperparameter. The defaults are Stable-Baselines3's A2C (8 copies, n_steps
/// 5, plain n-step advantages, value coefficient 0.5, gradient clip 0.5, 64x64 tanh networks, no
/// advantage normalisation) with Adam at 7e-4 instead of RMSprop and alpha 0; on CartPole-v1 they
/// reach the maximal evaluation return within 200,000 steps on every seed tried (16 of 16, see
/// bench/actor_critic_results.md).
struct ActorCriticOptions {
  int num_envs = 8;                   ///< copies of the environment stepped together
  int n_steps = 5;                    ///< rollout length per copy (one update per num_envs * n_steps steps)
  double discount = 0.99;             ///< gamma in [0, 1]
  double gae_lambda = 1.0;            ///< GAE lambda in [0, 1]; 1 = plain n-step advantages
  double entropy_coefficient = 0.01;  ///< the temperature alpha >= 0 (0 = plain A2C)
  /// Empty: the counting measure (entropy bonus). Otherwise |A| probabilities (Discrete actions
  /// only): the bonus is -alpha * KL(pi(.|s) || prior).
  std::vector<double> action_prior;
  double value_coefficient = 0.5;
  double learning_rate = 7e-4;        ///< Adam
  double max_grad_norm = 0.5;         ///< global gradient-norm clip; 0 = off
  bool normalize_advantage = false;   ///< standardise advantages over each rollout
  std::vector<int> hidden = {64, 64}; ///< hidden layers of actor and critic (separate networks)
  nn::Activation activation = nn::Activation::kTanh;
  double log_std_init = 0.0;          ///< initial log-std of the Gaussian policy
  std::uint64_t seed = 0;
};

/// The fields of ActorCriticOptions: names, docs, rules (JSON, validation, CLI flags, Python keywords).
const OptionList<ActorCriticOptions>& ActorCriticOptionList();
/// Throws cai::OptionError naming the first invalid field, its value and the valid range.
void ValidateActorCriticOptions(const ActorCriticOptions& options);
nlohmann::json ActorCriticOptionsToJson(const ActorCriticOptions& options);
/// Starts from `base` and overrides the keys present; throws cai::Error for an unknown key or a
/// value of the wrong type, naming the key; validates the result.
ActorCriticOptions ActorCriticOptionsFromJson(const nlohmann::json& json, const ActorCriticOptions& base = {});

/// Losses and diagnostics of the latest update.
struct ActorCriticUpdateStats {
  double loss = 0;                ///< the full loss that was differentiated
  double policy_loss = 0;         ///< -mean(A log pi)
  double value_loss = 0;          ///< mean((V - R)^2) (before value_coefficient)
  double entropy = 0;             ///< mean H(pi(.|s)) over the batch
  double kl_prior = 0;            ///< mean KL(pi || prior) (prior only)
  double explained_variance = 0;  ///< 1 - Var(R - V) / Var(R)
  double grad_norm = 0;           ///< global gradient norm before clipping
};

/// The learner: actor (logits or mean), critic, Gaussian log-std, Adam, the sampling generator.
class ActorCriticAgent {
 public:
  /// Throws cai::Error for invalid options, observation_dim < 1, a Box with infinite bounds, or a
  /// prior with a Box space or of the wrong size.
  ActorCriticAgent(int observation_dim, const env::Space& action_space, const ActorCriticOptions& options);

  const ActorCriticOptions& options() const { return options_; }
  bool discrete() const { return discrete_; }
  int observation_dim() const { return obs_dim_; }
  /// Numbers per environment action (1 for Discrete).
  int action_dim() const { return discrete_ ? 1 : act_dim_; }
  /// Discrete: |A|; Box: dimension.
  int policy_dim() const { return act_dim_; }
  nn::Mlp& actor() { return actor_; }
  const nn::Mlp& actor() const { return actor_; }
  nn::Mlp& critic() { return critic_; }
  const nn::Mlp& critic() const { return critic_; }
  /// Gaussian log-std (empty for categorical) and its gradient.
  std::span<float> log_std() { return log_std_; }
  std::span<const float> log_std() const { return log_std_; }
  std::span<float> log_std_gradient() { return log_std_grad_; }
  const std::vector<double>& action_low() const { return low_; }
  const std::vector<double>& action_high() const { return high_; }
  Rng& rng() { return rng_; }
  std::int64_t updates() const { return updates_; }
  const ActorCriticUpdateStats& last_stats() const { return stats_; }

  /// Samples actions for the columns of `observations` (obs_dim x n, n <= num_envs): writes n x
  /// action_dim numbers into `actions`, V(s) into `values` (n) and the per-state regulariser
  /// alpha * H (or -alpha * KL) into `bonus` (n). Allocation-free.
  void Act(const Eigen::Ref<const nn::Matrix>& observations, std::span<double> actions, std::span<double> values,
           std::span<double> bonus);
  /// V(s) for the columns of `observations` (n <= num_envs).
  void Values(const Eigen::Ref<const nn::Matrix>& observations, std::span<double> values);
  /// The deterministic action for one observation (argmax / clipped mean).
  void ActDeterministic(std::span<const float> observation, std::span<double> action);

  /// The loss (see the file comment) of a batch with fixed advantages and returns, and, if
  /// `gradients`, d loss / d parameters written into actor().gradients(), critic().gradients() and
  /// log_std_gradient(). `actions` is B x action_dim. Fills last_stats() (not grad_norm).
  double Loss(const Eigen::Ref<const nn::Matrix>& observations, std::span<const double> actions,
              std::span<const double> advantages, std::span<const double> returns, bool gradients);
  /// Clips the global gradient norm and takes one Adam step; returns the norm before clipping.
  double ApplyGradients();

  /// Networks, log-std, Adam moments, generator and update counter under "ac.*" names; Restore
  /// continues bit for bit (throws cai::Error if the options differ or a tensor is missing).
  void Save(nn::SafetensorsFile& file) const;
  void Restore(const nn::SafetensorsFile& file);

  /// Largest batch Loss accepts (num_envs * n_steps) and Act accepts (num_envs).
  int max_batch() const { return max_batch_; }

 private:
  void Regulariser(const float* logits, double& entropy, double& kl);
  ActorCriticOptions options_;
  bool discrete_;
  int obs_dim_, act_dim_;
  int max_batch_;
  std::vector<double> low_, high_;
  std::vector<double> log_prior_;
  Rng rng_;
  nn::Mlp actor_, critic_;
  std::vector<float> log_std_, log_std_grad_;
  Adam<float> actor_adam_, critic_adam_, log_std_adam_;
  std::int64_t updates_ = 0;
  ActorCriticUpdateStats stats_;
  nn::MlpWorkspace actor_act_ws_, critic_act_ws_, actor_ws_, critic_ws_, one_ws_;
  nn::Matrix dactor_, dcritic_, one_obs_;
  std::vector<double> probs_, logp_;
};

/// The deterministic policy of a trained (or loaded) actor: argmax of the logits, or the Gaussian
/// mean clipped to the action bounds.
class ActorCriticPolicy : public Policy {
 public:
  /// Categorical if `action_low` is empty, else Gaussian mean with these bounds.
  ActorCriticPolicy(nn::Mlp actor, std::vector<double> action_low, std::vector<double> action_high);
  void Act(std::span<const float> observation, std::span<double> action) override;
  const nn::Mlp& actor() const { return actor_; }

 private:
  nn::Mlp actor_;
  std::vector<double> low_, high_;
  nn::MlpWorkspace ws_;
};

/// Reads a file written by ActorCriticTrainer::SavePolicy (metadata algorithm "maxent-pg",
/// "policy" "categorical" or "gaussian"); throws cai::Error naming what is missing or inconsistent.
std::unique_ptr<Policy> LoadActorCriticPolicy(const nn::SafetensorsFile& file);

class ActorCriticTrainer : public Trainer {
 public:
  /// `environment`: a Gymnasium id known to env::MakeEnvironment (num_envs copies for training,
  /// one more for evaluation). Throws cai::Error for invalid options or total_steps < 1.
  ActorCriticTrainer(std::string environment, const ActorCriticOptions& options, std::int64_t total_steps);
  /// Copies from `factory` (num_envs for training, one more for evaluation); `name` is recorded in
  /// checkpoints and policy files (empty: the environment's own name()).
  ActorCriticTrainer(const env::VectorEnv::Factory& factory, const ActorCriticOptions& options,
                     std::int64_t total_steps, std::string name = "");

  std::string algorithm() const override { return "maxent-pg"; }
  std::int64_t step() const override { return step_; }
  std::int64_t total_steps() const override { return total_steps_; }
  /// One step of every copy (step() += num_envs); after n_steps of them, the update. Allocation-free.
  std::span<const EpisodeStats> Step() override;
  std::vector<std::pair<std::string, double>> Scalars() const override;
  /// True between rollouts (right after an update, or before the first step).
  bool can_checkpoint() const override { return t_ == 0; }
  EvaluationResult Evaluate(int episodes, std::uint64_t seed) override;
  void SaveCheckpoint(nn::SafetensorsFile& file) const override;
  void RestoreCheckpoint(const nn::SafetensorsFile& file) override;
  void SavePolicy(nn::SafetensorsFile& file) const override;
  nlohmann::json Config() const override;

  ActorCriticAgent& agent() { return agent_; }
  const ActorCriticAgent& agent() const { return agent_; }
  env::VectorEnv& vector_env() { return *venv_; }

 private:
  ActorCriticTrainer(std::unique_ptr<env::VectorEnv> venv, std::unique_ptr<env::Environment> eval_env,
                     std::string name, const ActorCriticOptions& options, std::int64_t total_steps);
  void Update();

  std::string env_name_;
  std::unique_ptr<env::VectorEnv> venv_;
  std::unique_ptr<env::Environment> eval_env_;
  ActorCriticAgent agent_;
  std::int64_t total_steps_;
  std::int64_t step_ = 0;
  std::int64_t episodes_ = 0;
  int num_envs_, n_steps_, obs_dim_, act_dim_;
  int t_ = 0;  // position in the current rollout
  // Rollout (column / row t * N + i belongs to copy i at rollout step t).
  nn::Matrix rollout_obs_;                      // D x (N T)
  std::vector<double> rollout_actions_;         // (N T) x action_dim
  std::vector<double> rollout_rewards_;         // augmented rewards r~
  std::vector<double> rollout_values_;          // V(s_t)
  std::vector<std::uint8_t> rollout_done_;      // terminated or truncated (GAE chain cut)
  std::vector<double> advantages_, returns_;
  // Current step.
  std::vector<float> observations_, final_observations_;
  std::vector<double> actions_, rewards_, values_, bonus_, final_values_, last_values_;
  std::vector<std::uint8_t> terminated_, truncated_;
  std::vector<double> episode_returns_;
  std::vector<int> episode_lengths_;
  std::vector<EpisodeStats> finished_;
};

}  // namespace cai::rl
