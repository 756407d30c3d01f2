#include "cai/rl/sac.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/options.h"
#include "replay_options.h"

namespace cai::rl {
namespace {

nn::Mlp MakeNet(int in, int out, const SacOptions& o, Rng& rng) {
  return nn::Mlp({in, o.hidden, out, o.activation, nn::Activation::kIdentity}, rng);
}

}  // namespace

const OptionList<SacOptions>& SacOptionList() {
  using O = SacOptions;
  static const OptionList<O> list = [] {
    const auto updates = detail::UpdateCount();
    OptionList<O> t("sac");
    detail::AddNetworkAndReplayFields(t, "hidden layer sizes of actor and both critics");
    detail::AddOffPolicyScheduleFields(t)
        .Add("tau", &O::tau, "Polyak coefficient of the target critics",
             Rule<double>([](double v) { return v > 0.0 && v <= 1.0; }, "a number in (0, 1]"))
        .Add("actor_learning_rate", &O::actor_learning_rate, "actor learning rate", FinitePositive())
        .Flag("actor-lr")
        .Add("critic_learning_rate", &O::critic_learning_rate, "critic learning rate", FinitePositive())
        .Flag("critic-lr")
        .Add("temperature_learning_rate", &O::temperature_learning_rate, "temperature learning rate", FinitePositive())
        .Flag("alpha-lr")
        .Add("policy_frequency", &O::policy_frequency, "critic updates per actor (and temperature) update", updates)
        .Flag("policy-freq")
        .Add("target_update_interval", &O::target_update_interval, "critic updates per Polyak step", updates)
        .Add("initial_temperature", &O::initial_temperature, "initial (or, when not automatic, fixed) temperature alpha",
             FinitePositive())
        .Flag("alpha")
        .Add("auto_temperature", &O::auto_temperature, "tune the temperature to the entropy target")
        .Flag("fixed-alpha", false)
        .Add("target_entropy", &O::target_entropy, "entropy target of the automatic temperature (default -dim(A))",
             Rule<double>([](double v) { return std::isfinite(v); }, "a finite number"))
        .Add("log_std_min", &O::log_std_min, "lower clip of the actor's log-std")
        .Add("log_std_max", &O::log_std_max, "upper clip of the actor's log-std")
        .Check([](const O& o) -> std::optional<OptionProblem> {
          if (std::isfinite(o.log_std_min) && std::isfinite(o.log_std_max) && o.log_std_min < o.log_std_max) return {};
          return OptionProblem{"log_std_min", fmt::format("{} (log_std_max {})", o.log_std_min, o.log_std_max),
                               "finite numbers with log_std_min < log_std_max"};
        })
        .Add("max_grad_norm", &O::max_grad_norm, "gradient norm clip per network (0 = off)",
             FiniteNonNegative("a finite number >= 0 (0 = no clipping)"))
        .Add("seed", &O::seed, "seed of every random draw");
    return t;
  }();
  return list;
}

void ValidateSacOptions(const SacOptions& o) { SacOptionList().Validate(o); }

nlohmann::json SacOptionsToJson(const SacOptions& o) { return SacOptionList().ToJson(o); }

SacOptions SacOptionsFromJson(const nlohmann::json& j, const SacOptions& base) {
  SacOptions o = SacOptionList().FromJson(j, base);
  ValidateSacOptions(o);
  return o;
}

// ---------------------------------------------------------------------------------------------
// SquashedGaussianPolicy

SquashedGaussianPolicy::SquashedGaussianPolicy(nn::Mlp actor, std::vector<double> action_low,
                                               std::vector<double> action_high, double log_std_min,
                                               double log_std_max)
    : actor_(std::move(actor)),
      low_(std::move(action_low)),
      high_(std::move(action_high)),
      log_std_min_(log_std_min),
      log_std_max_(log_std_max),
      workspace_(actor_, 1) {
  if (low_.empty() || low_.size() != high_.size()) {
    throw Error(fmt::format("action bounds: {} lower and {} upper bounds (expected the same number, >= 1)",
                            low_.size(), high_.size()));
  }
  for (std::size_t i = 0; i < low_.size(); ++i) {
    if (!(std::isfinite(low_[i]) && std::isfinite(high_[i]) && low_[i] < high_[i])) {
      throw Error(fmt::format("action bounds[{}]: [{}, {}] is invalid (expected finite low < high; a "
                              "squashed Gaussian policy needs a bounded Box action space)",
                              i, low_[i], high_[i]));
    }
  }
  if (actor_.output_dim() != 2 * action_dim()) {
    throw Error(fmt::format("actor: {} outputs (expected 2 x {} action dimensions: mean and log-std)",
                            actor_.output_dim(), action_dim()));
  }
}

void SquashedGaussianPolicy::Rescale(std::span<const float> squashed, std::span<double> env_action) const {
  for (std::size_t i = 0; i < low_.size(); ++i) {
    env_action[i] = low_[i] + (static_cast<double>(squashed[i]) + 1.0) * 0.5 * (high_[i] - low_[i]);
  }
}

void SquashedGaussianPolicy::Act(std::span<const float> observation, bool deterministic, Rng* rng,
                                 std::span<float> squashed, std::span<double> env_action) {
  const Eigen::Map<const nn::Matrix> x(observation.data(), static_cast<Eigen::Index>(observation.size()), 1);
  const auto out = nn::Forward(actor_, workspace_, x);
  const int d = action_dim();
  for (int i = 0; i < d; ++i) {
    float u = out(i, 0);
    if (!deterministic) {
      const float log_std = std::clamp(out(d + i, 0), static_cast<float>(log_std_min_), static_cast<float>(log_std_max_));
      u += std::exp(log_std) * static_cast<float>(rng->Normal());
    }
    squashed[i] = std::tanh(u);
  }
  Rescale(squashed, env_action);
}

// ---------------------------------------------------------------------------------------------
// SacAgent

SacAgent::SacAgent(int observation_dim, std::vector<double> action_low, std::vector<double> action_high,
                   const SacOptions& options)
    : options_((ValidateSacOptions(options), options)),
      obs_dim_(observation_dim),
      act_dim_(static_cast<int>(action_low.size())),
      target_entropy_(options.target_entropy.value_or(-static_cast<double>(action_low.size()))),
      rng_(options.seed),
      policy_(MakeNet(observation_dim, 2 * act_dim_, options, rng_),
              std::move(action_low), std::move(action_high), options.log_std_min, options.log_std_max),
      q1_(MakeNet(observation_dim + act_dim_, 1, options, rng_)),
      q2_(MakeNet(observation_dim + act_dim_, 1, options, rng_)),
      q1_target_(q1_),
      q2_target_(q2_),
      actor_adam_(policy_.actor().num_parameters(), {.learning_rate = options.actor_learning_rate}),
      q1_adam_(q1_.num_parameters(), {.learning_rate = options.critic_learning_rate}),
      q2_adam_(q2_.num_parameters(), {.learning_rate = options.critic_learning_rate}),
      log_temperature_(std::log(options.initial_temperature)),
      temperature_adam_(1, {.learning_rate = options.temperature_learning_rate}),
      buffer_(options.buffer_size, observation_dim, act_dim_),
      batch_(observation_dim, act_dim_, options.batch_size),
      actor_ws_(policy_.actor(), options.batch_size),
      q1_ws_(q1_, options.batch_size),
      q2_ws_(q2_, options.batch_size),
      target_ws_(q1_, options.batch_size),
      state_action_(obs_dim_ + act_dim_, options.batch_size),
      next_state_action_(obs_dim_ + act_dim_, options.batch_size),
      sample_(act_dim_, options.batch_size),
      dloss_da_(act_dim_, options.batch_size),
      target_(1, options.batch_size),
      q_min_(1, options.batch_size),
      dq1_(1, options.batch_size),
      dq2_(1, options.batch_size),
      dsa1_(obs_dim_ + act_dim_, options.batch_size),
      dsa2_(obs_dim_ + act_dim_, options.batch_size),
      dactor_(2 * act_dim_, options.batch_size),
      one_obs_(obs_dim_, 1),
      one_sa_(obs_dim_ + act_dim_, 1),
      one_q_ws_(q1_, 1) {
  if (observation_dim < 1) {
    throw Error(fmt::format("observation_dim: {} is invalid (expected >= 1)", observation_dim));
  }
  stats_.temperature = temperature();
}

double SacAgent::temperature() const { return std::exp(log_temperature_); }

void SacAgent::Act(std::span<const float> observation, bool deterministic, std::span<float> squashed,
                   std::span<double> env_action) {
  policy_.Act(observation, deterministic, &rng_, squashed, env_action);
}

void SacAgent::RandomAction(std::span<float> squashed, std::span<double> env_action) {
  for (int i = 0; i < act_dim_; ++i) squashed[i] = static_cast<float>(2.0 * rng_.Uniform() - 1.0);
  policy_.Rescale(squashed, env_action);
}

float SacAgent::QValue(int k, std::span<const float> observation, std::span<const float> squashed_action) {
  for (int i = 0; i < obs_dim_; ++i) one_sa_(i, 0) = observation[i];
  for (int i = 0; i < act_dim_; ++i) one_sa_(obs_dim_ + i, 0) = squashed_action[i];
  return nn::Forward(k == 0 ? q1_ : q2_, one_q_ws_, one_sa_)(0, 0);
}

void SacAgent::SampleFromActorOutput(const Eigen::Ref<const nn::Matrix>& out, int batch) {
  SampleSquashedGaussian(out, static_cast<float>(options_.log_std_min), static_cast<float>(options_.log_std_max),
                         batch, rng_, sample_);
}

void SacAgent::StepOptimiser(nn::Mlp& net, Adam<float>& adam) {
  if (options_.max_grad_norm > 0.0) {
    nn::ClipGradientNorm(net.gradients(), static_cast<float>(options_.max_grad_norm));
  }
  adam.Step(net.parameters(), net.gradients());
}

void SacAgent::UpdateCritics() {
  const int b = options_.batch_size;
  const auto alpha = static_cast<float>(temperature());
  const auto gamma = static_cast<float>(options_.discount);
  // Target: y = r + gamma (1 - done) (min_k Qtarget_k(s', a') - alpha log pi(a'|s')).
  SampleFromActorOutput(nn::Forward(policy_.actor(), actor_ws_, batch_.next_observations), b);
  next_state_action_.topRows(obs_dim_) = batch_.next_observations;
  next_state_action_.bottomRows(act_dim_) = sample_.squashed;
  q_min_ = nn::Forward(q1_target_, target_ws_, next_state_action_);
  q_min_ = q_min_.cwiseMin(nn::Forward(q2_target_, target_ws_, next_state_action_));
  target_.array() = batch_.rewards.array() +
                    gamma * (1.0f - batch_.terminated.array()) * (q_min_.array() - alpha * sample_.log_prob.array());

  state_action_.topRows(obs_dim_) = batch_.observations;
  state_action_.bottomRows(act_dim_) = batch_.actions;
  const float inv_b = 1.0f / static_cast<float>(b);
  {
    const auto q1 = nn::Forward(q1_, q1_ws_, state_action_);
    dq1_ = (q1 - target_) * inv_b;  // d/dq of 0.5 mean (q - y)^2
    stats_.qf1_loss = static_cast<double>(dq1_.squaredNorm()) * b;
    stats_.qf1_mean = static_cast<double>(q1.mean());
  }
  {
    const auto q2 = nn::Forward(q2_, q2_ws_, state_action_);
    dq2_ = (q2 - target_) * inv_b;
    stats_.qf2_loss = static_cast<double>(dq2_.squaredNorm()) * b;
  }
  nn::Backward(q1_, q1_ws_, dq1_, nullptr, nn::ParameterGradients::kOverwrite);
  StepOptimiser(q1_, q1_adam_);
  nn::Backward(q2_, q2_ws_, dq2_, nullptr, nn::ParameterGradients::kOverwrite);
  StepOptimiser(q2_, q2_adam_);
}

void SacAgent::UpdateActorAndTemperature() {
  const int b = options_.batch_size;
  const auto alpha = static_cast<float>(temperature());
  const float inv_b = 1.0f / static_cast<float>(b);
  const auto out = nn::Forward(policy_.actor(), actor_ws_, batch_.observations);
  SampleFromActorOutput(out, b);
  // state_action_ already holds s on top (UpdateCritics); put the reparameterised actions below.
  state_action_.bottomRows(act_dim_) = sample_.squashed;
  const auto q1 = nn::Forward(q1_, q1_ws_, state_action_);
  const auto q2 = nn::Forward(q2_, q2_ws_, state_action_);
  double actor_loss = 0.0;
  for (int j = 0; j < b; ++j) {
    const bool first = q1(0, j) <= q2(0, j);
    const float q = first ? q1(0, j) : q2(0, j);
    actor_loss += static_cast<double>(alpha * sample_.log_prob(0, j) - q);
    dq1_(0, j) = first ? -inv_b : 0.0f;
    dq2_(0, j) = first ? 0.0f : -inv_b;
  }
  stats_.actor_loss = actor_loss * inv_b;
  // d(-min Q)/da through both critics, without touching their parameter gradients.
  nn::Backward(q1_, q1_ws_, dq1_, &dsa1_, nn::ParameterGradients::kSkip);
  nn::Backward(q2_, q2_ws_, dq2_, &dsa2_, nn::ParameterGradients::kSkip);
  // Chain rule through a = tanh(mu + sigma eps) and log pi to the actor's outputs.
  dloss_da_ = dsa1_.bottomRows(act_dim_) + dsa2_.bottomRows(act_dim_);
  SquashedGaussianBackward(sample_, dloss_da_, alpha * inv_b, b, dactor_);
  nn::Backward(policy_.actor(), actor_ws_, dactor_, nullptr, nn::ParameterGradients::kOverwrite);
  StepOptimiser(policy_.actor(), actor_adam_);

  const double mean_logp = static_cast<double>(sample_.log_prob.mean());
  stats_.entropy = -mean_logp;
  if (options_.auto_temperature) {
    // L(log alpha) = -log alpha * (mean log pi + target entropy): gradient -(mean log pi + H*).
    temperature_gradient_ = -(mean_logp + target_entropy_);
    stats_.temperature_loss = -log_temperature_ * (mean_logp + target_entropy_);
    temperature_adam_.Step(std::span<double>(&log_temperature_, 1), std::span<const double>(&temperature_gradient_, 1));
  }
  stats_.actor_updated = true;
}

const SacUpdateStats& SacAgent::Update() {
  buffer_.Sample(rng_, batch_);
  stats_.actor_updated = false;
  UpdateCritics();
  ++updates_;
  if (updates_ % options_.policy_frequency == 0) UpdateActorAndTemperature();
  if (updates_ % options_.target_update_interval == 0) {
    const auto tau = static_cast<float>(options_.tau);
    nn::PolyakUpdate(q1_target_.parameters(), q1_.parameters(), tau);
    nn::PolyakUpdate(q2_target_.parameters(), q2_.parameters(), tau);
  }
  stats_.temperature = temperature();
  return stats_;
}

}  // namespace cai::rl
