// MaxEnt actor-critic: options and the learner (sampling, loss with hand-written gradients, Adam).
#include "cai/rl/actor_critic.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/options.h"

namespace cai::rl {
namespace {

const ActorCriticOptions& Validated(const ActorCriticOptions& o) {
  ValidateActorCriticOptions(o);
  return o;
}

int PolicyDim(const env::Space& space) { return space.is_discrete() ? space.n() : space.dim(); }

}  // namespace

const OptionList<ActorCriticOptions>& ActorCriticOptionList() {
  using O = ActorCriticOptions;
  static const OptionList<O> list = [] {
    OptionList<O> t("actor-critic");
    t.Add("num_envs", &O::num_envs, "environment copies stepped together", InRange(1, 4096, "an integer in [1, 4096]"))
        .Add("n_steps", &O::n_steps, "rollout length per copy", InRange(1, 100000, "an integer in [1, 100000]"))
        .Check([](const O& o) -> std::optional<OptionProblem> {
          if (static_cast<std::int64_t>(o.num_envs) * o.n_steps <= (std::int64_t{1} << 22)) return {};
          return OptionProblem{"n_steps", fmt::format("{} (with num_envs {})", o.n_steps, o.num_envs),
                               "num_envs * n_steps <= 2^22"};
        })
        .Add("discount", &O::discount, "discount gamma", InRange(0.0, 1.0, "a number in [0, 1]"))
        .Add("gae_lambda", &O::gae_lambda, "GAE lambda (1 = n-step advantages)", InRange(0.0, 1.0, "a number in [0, 1]"))
        .Add("entropy_coefficient", &O::entropy_coefficient, "temperature: weight of the entropy (or -KL) bonus",
             FiniteNonNegative())
        .Flag("alpha")
        .Add("action_prior", &O::action_prior,
             "action prior p(a) (discrete actions; bonus -alpha KL(pi || p); none: entropy bonus)",
             Each(Rule<double>([](double p) { return std::isfinite(p) && p > 0.0 && p <= 1.0; }, "a probability in (0, 1]")))
        .EmptyAs(nullptr)
        .Flag("prior")
        .Check([](const O& o) -> std::optional<OptionProblem> {
          double sum = 0.0;
          for (double p : o.action_prior) sum += p;
          if (o.action_prior.empty() || std::abs(sum - 1.0) <= 1e-9) return {};
          return OptionProblem{"action_prior", fmt::format("(sum {})", sum), "probabilities summing to 1 within 1e-9"};
        })
        .Add("value_coefficient", &O::value_coefficient, "weight of the value loss", FiniteNonNegative())
        .Flag("value-coef")
        .Add("learning_rate", &O::learning_rate, "Adam learning rate", FinitePositive())
        .Add("max_grad_norm", &O::max_grad_norm, "global gradient norm clip (0 = off)",
             FiniteNonNegative("a finite number >= 0 (0 = no clipping)"))
        .Add("normalize_advantage", &O::normalize_advantage, "standardise advantages per rollout")
        .Add("hidden", &O::hidden, "hidden layer sizes of actor and critic", Each(InRange(1, 65536, "an integer in [1, 65536]")))
        .Choice("activation", &O::activation, "hidden activation", nn::ActivationChoices())
        .Add("log_std_init", &O::log_std_init, "initial log-std of the Gaussian policy",
             Rule<double>([](double v) { return std::isfinite(v) && v >= -20.0 && v <= 5.0; }, "a number in [-20, 5]"))
        .Add("seed", &O::seed, "seed of every random draw");
    return t;
  }();
  return list;
}

void ValidateActorCriticOptions(const ActorCriticOptions& o) { ActorCriticOptionList().Validate(o); }

nlohmann::json ActorCriticOptionsToJson(const ActorCriticOptions& o) { return ActorCriticOptionList().ToJson(o); }

ActorCriticOptions ActorCriticOptionsFromJson(const nlohmann::json& j, const ActorCriticOptions& base) {
  ActorCriticOptions o = ActorCriticOptionList().FromJson(j, base);
  ValidateActorCriticOptions(o);
  return o;
}

// ---------------------------------------------------------------------------------------------
// ActorCriticAgent

ActorCriticAgent::ActorCriticAgent(int observation_dim, const env::Space& action_space,
                                   const ActorCriticOptions& options)
    : options_(Validated(options)),
      discrete_(action_space.is_discrete()),
      obs_dim_(observation_dim),
      act_dim_(PolicyDim(action_space)),
      max_batch_(options.num_envs * options.n_steps),
      low_(action_space.low()),
      high_(action_space.high()),
      rng_(options.seed),
      actor_({std::max(observation_dim, 1), options.hidden, PolicyDim(action_space), options.activation,
              nn::Activation::kIdentity},
             rng_),
      critic_({std::max(observation_dim, 1), options.hidden, 1, options.activation, nn::Activation::kIdentity}, rng_),
      log_std_(discrete_ ? 0 : static_cast<std::size_t>(act_dim_), static_cast<float>(options.log_std_init)),
      log_std_grad_(log_std_.size(), 0.0f),
      actor_adam_(actor_.num_parameters(), AdamOptions{.learning_rate = options.learning_rate}),
      critic_adam_(critic_.num_parameters(), AdamOptions{.learning_rate = options.learning_rate}),
      log_std_adam_(log_std_.size(), AdamOptions{.learning_rate = options.learning_rate}),
      actor_act_ws_(actor_, options.num_envs),
      critic_act_ws_(critic_, options.num_envs),
      actor_ws_(actor_, max_batch_),
      critic_ws_(critic_, max_batch_),
      one_ws_(actor_, 1),
      dactor_(act_dim_, max_batch_),
      dcritic_(1, max_batch_),
      one_obs_(std::max(observation_dim, 1), 1),
      probs_(static_cast<std::size_t>(act_dim_)),
      logp_(static_cast<std::size_t>(act_dim_)) {
  if (observation_dim < 1) {
    throw Error(fmt::format("observation_dim: {} is invalid (expected an integer >= 1)", observation_dim));
  }
  if (!options_.action_prior.empty()) {
    if (!discrete_) {
      throw Error(fmt::format("action_prior: a prior over {} actions was given for the Box action space {} (a "
                              "prior is for Discrete action spaces only)",
                              options_.action_prior.size(), action_space.ToString()));
    }
    if (static_cast<int>(options_.action_prior.size()) != act_dim_) {
      throw Error(fmt::format("action_prior: {} probabilities (expected {}, one per action of {})",
                              options_.action_prior.size(), act_dim_, action_space.ToString()));
    }
    for (double p : options_.action_prior) log_prior_.push_back(std::log(p));
  }
  // The policy head starts small (Stable-Baselines3 initialises it orthogonally with gain 0.01), so
  // the first policy is close to uniform / to N(0, sigma_init^2) whatever the observation scale.
  const int last = actor_.num_layers() - 1;
  actor_.weight(last) *= 0.01f;
  actor_.bias(last) *= 0.01f;
}

// Entropy and KL to the prior of the categorical with `logits`; leaves probs_ and logp_ filled.
void ActorCriticAgent::Regulariser(const float* logits, double& entropy, double& kl) {
  double max = logits[0];
  for (int j = 1; j < act_dim_; ++j) max = std::max(max, static_cast<double>(logits[j]));
  double z = 0.0;
  for (int j = 0; j < act_dim_; ++j) z += std::exp(static_cast<double>(logits[j]) - max);
  const double log_z = max + std::log(z);
  entropy = 0.0;
  kl = 0.0;
  for (int j = 0; j < act_dim_; ++j) {
    logp_[j] = static_cast<double>(logits[j]) - log_z;
    probs_[j] = std::exp(logp_[j]);
    entropy -= probs_[j] * logp_[j];
    if (!log_prior_.empty()) kl += probs_[j] * (logp_[j] - log_prior_[j]);
  }
}

void ActorCriticAgent::Act(const Eigen::Ref<const nn::Matrix>& observations, std::span<double> actions,
                           std::span<double> values, std::span<double> bonus) {
  const int n = static_cast<int>(observations.cols());
  const auto out = nn::Forward(actor_, actor_act_ws_, observations);
  const auto v = nn::Forward(critic_, critic_act_ws_, observations);
  const double alpha = options_.entropy_coefficient;
  double gaussian_entropy = 0.0;
  for (float ls : log_std_) gaussian_entropy += ls + 0.5 * std::log(2.0 * std::numbers::pi * std::numbers::e);
  for (int i = 0; i < n; ++i) {
    values[i] = v(0, i);
    if (discrete_) {
      double entropy, kl;
      Regulariser(out.col(i).data(), entropy, kl);
      actions[i] = static_cast<double>(rng_.Categorical(probs_));
      bonus[i] = log_prior_.empty() ? alpha * entropy : -alpha * kl;
    } else {
      for (int k = 0; k < act_dim_; ++k) {
        actions[static_cast<std::size_t>(i) * act_dim_ + k] =
            static_cast<double>(out(k, i)) + std::exp(static_cast<double>(log_std_[k])) * rng_.Normal();
      }
      bonus[i] = alpha * gaussian_entropy;
    }
  }
}

void ActorCriticAgent::Values(const Eigen::Ref<const nn::Matrix>& observations, std::span<double> values) {
  const auto v = nn::Forward(critic_, critic_act_ws_, observations);
  for (Eigen::Index i = 0; i < v.cols(); ++i) values[i] = v(0, i);
}

void ActorCriticAgent::ActDeterministic(std::span<const float> observation, std::span<double> action) {
  for (int d = 0; d < obs_dim_; ++d) one_obs_(d, 0) = observation[d];
  const auto out = nn::Forward(actor_, one_ws_, one_obs_);
  if (discrete_) {
    int best = 0;
    for (int j = 1; j < act_dim_; ++j) {
      if (out(j, 0) > out(best, 0)) best = j;
    }
    action[0] = best;
  } else {
    for (int k = 0; k < act_dim_; ++k) action[k] = std::clamp(static_cast<double>(out(k, 0)), low_[k], high_[k]);
  }
}

double ActorCriticAgent::Loss(const Eigen::Ref<const nn::Matrix>& observations, std::span<const double> actions,
                              std::span<const double> advantages, std::span<const double> returns, bool gradients) {
  const int batch = static_cast<int>(observations.cols());
  const auto out = nn::Forward(actor_, actor_ws_, observations);
  const auto v = nn::Forward(critic_, critic_ws_, observations);
  const double alpha = options_.entropy_coefficient, c_v = options_.value_coefficient;
  const double inv = 1.0 / batch;
  double policy_sum = 0.0, entropy_sum = 0.0, kl_sum = 0.0, value_sum = 0.0;
  if (gradients) std::fill(log_std_grad_.begin(), log_std_grad_.end(), 0.0f);
  if (discrete_) {
    const bool prior = !log_prior_.empty();
    for (int i = 0; i < batch; ++i) {
      double entropy, kl;
      Regulariser(out.col(i).data(), entropy, kl);
      entropy_sum += entropy;
      kl_sum += kl;
      const int a = static_cast<int>(actions[i]);
      const double adv = advantages[i];
      policy_sum -= adv * logp_[a];
      if (!gradients) continue;
      // d/dz_j of -A log pi(a) = -A (1[j = a] - p_j); of the regulariser R = sum p (log p - log q)
      // (log q = 0 without a prior, R = -H): p_j (log p_j - log q_j - R).
      const double reg = prior ? kl : -entropy;
      for (int j = 0; j < act_dim_; ++j) {
        const double log_q = prior ? log_prior_[j] : 0.0;
        const double g = -adv * ((j == a ? 1.0 : 0.0) - probs_[j]) + alpha * probs_[j] * (logp_[j] - log_q - reg);
        dactor_(j, i) = static_cast<float>(g * inv);
      }
    }
  } else {
    double entropy = 0.0;
    for (float ls : log_std_) entropy += ls + 0.5 * std::log(2.0 * std::numbers::pi * std::numbers::e);
    entropy_sum = entropy * batch;
    std::vector<double>& dlog_std = probs_;  // reused as a double accumulator (size act_dim_)
    std::fill(dlog_std.begin(), dlog_std.end(), 0.0);
    for (int i = 0; i < batch; ++i) {
      const double adv = advantages[i];
      double log_pi = 0.0;
      for (int k = 0; k < act_dim_; ++k) {
        const double sigma = std::exp(static_cast<double>(log_std_[k]));
        const double z = (actions[static_cast<std::size_t>(i) * act_dim_ + k] - out(k, i)) / sigma;
        log_pi += -0.5 * z * z - log_std_[k] - 0.5 * std::log(2.0 * std::numbers::pi);
        if (gradients) {
          dactor_(k, i) = static_cast<float>(-adv * z / sigma * inv);
          dlog_std[k] += -adv * (z * z - 1.0);
        }
      }
      policy_sum -= adv * log_pi;
    }
    if (gradients) {
      for (int k = 0; k < act_dim_; ++k) log_std_grad_[k] = static_cast<float>(dlog_std[k] * inv - alpha);
    }
  }
  double r_mean = 0.0;
  for (int i = 0; i < batch; ++i) r_mean += returns[i];
  r_mean *= inv;
  double r_var = 0.0, e_mean = 0.0, e_var = 0.0;
  for (int i = 0; i < batch; ++i) {
    const double e = v(0, i) - returns[i];
    value_sum += e * e;
    e_mean += e;
    if (gradients) dcritic_(0, i) = static_cast<float>(2.0 * c_v * e * inv);
  }
  e_mean *= inv;
  for (int i = 0; i < batch; ++i) {
    const double e = v(0, i) - returns[i];
    e_var += (e - e_mean) * (e - e_mean);
    r_var += (returns[i] - r_mean) * (returns[i] - r_mean);
  }
  stats_.policy_loss = policy_sum * inv;
  stats_.value_loss = value_sum * inv;
  stats_.entropy = entropy_sum * inv;
  stats_.kl_prior = kl_sum * inv;
  stats_.explained_variance = r_var > 0.0 ? 1.0 - e_var / r_var : 0.0;
  const double regulariser = log_prior_.empty() ? -stats_.entropy : stats_.kl_prior;
  stats_.loss = stats_.policy_loss + alpha * regulariser + c_v * stats_.value_loss;
  if (gradients) {
    nn::Backward(actor_, actor_ws_, dactor_.leftCols(batch), nullptr, nn::ParameterGradients::kOverwrite);
    nn::Backward(critic_, critic_ws_, dcritic_.leftCols(batch), nullptr, nn::ParameterGradients::kOverwrite);
  }
  return stats_.loss;
}

double ActorCriticAgent::ApplyGradients() {
  double sum = 0.0;
  for (float g : actor_.gradients()) sum += static_cast<double>(g) * g;
  for (float g : critic_.gradients()) sum += static_cast<double>(g) * g;
  for (float g : log_std_grad_) sum += static_cast<double>(g) * g;
  const double norm = std::sqrt(sum);
  if (options_.max_grad_norm > 0.0 && norm > options_.max_grad_norm) {
    const auto scale = static_cast<float>(options_.max_grad_norm / norm);
    for (float& g : actor_.gradients()) g *= scale;
    for (float& g : critic_.gradients()) g *= scale;
    for (float& g : log_std_grad_) g *= scale;
  }
  actor_adam_.Step(actor_.parameters(), actor_.gradients());
  critic_adam_.Step(critic_.parameters(), critic_.gradients());
  if (!log_std_.empty()) log_std_adam_.Step(log_std_, log_std_grad_);
  ++updates_;
  stats_.grad_norm = norm;
  return norm;
}

// ---------------------------------------------------------------------------------------------
// ActorCriticPolicy

ActorCriticPolicy::ActorCriticPolicy(nn::Mlp actor, std::vector<double> action_low, std::vector<double> action_high)
    : actor_(std::move(actor)), low_(std::move(action_low)), high_(std::move(action_high)), ws_(actor_, 1) {
  if (low_.size() != high_.size() || (!low_.empty() && static_cast<int>(low_.size()) != actor_.output_dim())) {
    throw Error(fmt::format("actor-critic policy: {} lower and {} upper bounds for an actor with {} outputs "
                            "(expected none, or one pair per output)",
                            low_.size(), high_.size(), actor_.output_dim()));
  }
}

void ActorCriticPolicy::Act(std::span<const float> observation, std::span<double> action) {
  const Eigen::Map<const nn::Matrix> x(observation.data(), static_cast<Eigen::Index>(observation.size()), 1);
  const auto out = nn::Forward(actor_, ws_, x);
  if (low_.empty()) {
    int best = 0;
    for (int j = 1; j < actor_.output_dim(); ++j) {
      if (out(j, 0) > out(best, 0)) best = j;
    }
    action[0] = best;
  } else {
    for (std::size_t k = 0; k < low_.size(); ++k) {
      action[k] = std::clamp(static_cast<double>(out(static_cast<Eigen::Index>(k), 0)), low_[k], high_[k]);
    }
  }
}

}  // namespace cai::rl
