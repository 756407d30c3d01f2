#include "cai/rl/soft_dqn.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/numerics.h"
#include "cai/core/options.h"
#include "cai/inference/soft_backup.h"
#include "replay_options.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {
namespace {

std::vector<double> LogPrior(const SoftQOptions& o, int num_actions) {
  std::vector<double> lp(num_actions, 0.0);
  for (int a = 0; a < num_actions && !o.action_prior.empty(); ++a) lp[a] = std::log(o.action_prior[a]);
  return lp;
}

}  // namespace

const OptionList<SoftQOptions>& SoftQOptionList() {
  using O = SoftQOptions;
  static const OptionList<O> list = [] {
    const auto updates = detail::UpdateCount();
    OptionList<O> t("soft-q");
    detail::AddNetworkAndReplayFields(t, "hidden layer sizes (none: a linear Q)");
    detail::AddOffPolicyScheduleFields(t)
        .Add("learning_rate", &O::learning_rate, "Adam learning rate of the Q network", FinitePositive())
        .Add("target_update_interval", &O::target_update_interval, "updates between target-network updates", updates)
        .Add("tau", &O::tau, "Polyak coefficient of the target update (1 = copy)",
             Rule<double>([](double v) { return v > 0.0 && v <= 1.0; }, "a number in (0, 1]"))
        .Add("temperature", &O::temperature, "temperature alpha (the initial value when automatic)",
             FinitePositive("a finite number > 0 (a small value such as 1e-3 approaches DQN's max backup)"))
        .Flag("alpha")
        .Add("auto_temperature", &O::auto_temperature, "tune the temperature to an entropy target")
        .Flag("auto-alpha", true)
        .Add("target_entropy", &O::target_entropy, "entropy target in nats (default 0.2 log|A|)",
             FiniteNonNegative("a finite number >= 0 (nats)"))
        .Add("temperature_learning_rate", &O::temperature_learning_rate, "temperature learning rate", FinitePositive())
        .Flag("alpha-lr")
        .Add("action_prior", &O::action_prior, "action prior p(a), one probability per action (none: counting measure)",
             Each(Rule<double>([](double p) { return std::isfinite(p) && p > 0.0; }, "a probability > 0")))
        .Flag("prior")
        .Check([](const O& o) -> std::optional<OptionProblem> {
          double sum = 0.0;
          for (double p : o.action_prior) sum += p;
          if (o.action_prior.empty() || std::abs(sum - 1.0) <= 1e-9) return {};
          return OptionProblem{"action_prior", fmt::format("summing to {}", sum),
                               "probabilities summing to 1 (tolerance 1e-9)"};
        })
        .Choice("loss", &O::loss, "TD loss", {{TdLoss::kHuber, "huber"}, {TdLoss::kSquared, "squared"}})
        .Add("max_grad_norm", &O::max_grad_norm, "gradient norm clip (0 = off)",
             FiniteNonNegative("a finite number >= 0 (0 = no clipping)"))
        .Add("seed", &O::seed, "seed of every random draw");
    return t;
  }();
  return list;
}

void ValidateSoftQOptions(const SoftQOptions& o, int num_actions) {
  SoftQOptionList().Validate(o);
  if (num_actions > 0 && !o.action_prior.empty() && static_cast<int>(o.action_prior.size()) != num_actions) {
    ThrowInvalidOption({"action_prior", fmt::format("of length {}", o.action_prior.size()),
                        fmt::format("one entry per action ({})", num_actions)});
  }
}

nlohmann::json SoftQOptionsToJson(const SoftQOptions& o) { return SoftQOptionList().ToJson(o); }

SoftQOptions SoftQOptionsFromJson(const nlohmann::json& j, const SoftQOptions& base) {
  SoftQOptions o = SoftQOptionList().FromJson(j, base);
  ValidateSoftQOptions(o);
  return o;
}

// ---------------------------------------------------------------------------------------------
// BoltzmannQPolicy

BoltzmannQPolicy::BoltzmannQPolicy(nn::Mlp q, std::vector<double> log_prior)
    : q_(std::move(q)), log_prior_(std::move(log_prior)), workspace_(q_, 1), scratch_(q_.output_dim()) {
  if (static_cast<int>(log_prior_.size()) != q_.output_dim()) {
    throw Error(fmt::format("Q network: {} outputs but {} prior entries (expected one per action)", q_.output_dim(),
                            log_prior_.size()));
  }
}

void BoltzmannQPolicy::QValues(std::span<const float> observation, std::span<double> q) {
  const Eigen::Map<const nn::Matrix> x(observation.data(), static_cast<Eigen::Index>(observation.size()), 1);
  const auto out = nn::Forward(q_, workspace_, x);
  for (int a = 0; a < num_actions(); ++a) q[a] = out(a, 0);
}

int BoltzmannQPolicy::Greedy(std::span<const float> observation, double temperature) {
  QValues(observation, scratch_);
  int best = 0;
  for (int a = 0; a < num_actions(); ++a) {
    scratch_[a] += temperature * log_prior_[a];
    if (scratch_[a] > scratch_[best]) best = a;
  }
  return best;
}

int BoltzmannQPolicy::Sample(std::span<const float> observation, double temperature, Rng& rng) {
  const Eigen::Map<const nn::Matrix> x(observation.data(), static_cast<Eigen::Index>(observation.size()), 1);
  const auto out = nn::Forward(q_, workspace_, x);
  SoftStateValueOfOutputs([&](std::size_t a) { return out(static_cast<Eigen::Index>(a), 0); }, log_prior_, temperature, scratch_);
  return static_cast<int>(rng.Categorical(scratch_));
}

// ---------------------------------------------------------------------------------------------
// SoftQAgent

SoftQAgent::SoftQAgent(int observation_dim, int num_actions, const SoftQOptions& options)
    : options_((ValidateSoftQOptions(options, num_actions), options)),
      obs_dim_(observation_dim),
      num_actions_(num_actions),
      target_entropy_(options.target_entropy.value_or(0.2 * std::log(std::max(num_actions, 1)))),
      rng_(options.seed),
      policy_(nn::Mlp({std::max(observation_dim, 1), options.hidden, std::max(num_actions, 1), options.activation,
                       nn::Activation::kIdentity},
                      rng_),
              LogPrior(options, std::max(num_actions, 1))),
      q_target_(policy_.q()),
      adam_(policy_.q().num_parameters(), {.learning_rate = options.learning_rate}),
      log_temperature_(std::log(options.temperature)),
      temperature_adam_(1, {.learning_rate = options.temperature_learning_rate}),
      buffer_(options.buffer_size, std::max(observation_dim, 1), 1),
      batch_(std::max(observation_dim, 1), 1, options.batch_size),
      q_ws_(policy_.q(), options.batch_size),
      target_ws_(q_target_, options.batch_size),
      dq_(std::max(num_actions, 1), options.batch_size) {
  if (observation_dim < 1) throw Error(fmt::format("observation_dim: {} is invalid (expected >= 1)", observation_dim));
  if (num_actions < 1) throw Error(fmt::format("num_actions: {} is invalid (expected >= 1)", num_actions));
  stats_.temperature = temperature();
}

double SoftQAgent::temperature() const { return std::exp(log_temperature_); }

int SoftQAgent::Act(std::span<const float> observation, bool deterministic) {
  return deterministic ? policy_.Greedy(observation, temperature()) : policy_.Sample(observation, temperature(), rng_);
}

int SoftQAgent::RandomAction() { return static_cast<int>(rng_.UniformInt(static_cast<std::uint64_t>(num_actions_))); }

const SoftQUpdateStats& SoftQAgent::Update() {
  buffer_.Sample(rng_, batch_);
  const int b = options_.batch_size;
  const double alpha = temperature();
  const double gamma = options_.discount;
  const std::span<const double> log_prior = policy_.log_prior();
  // Targets y = r + gamma (1 - terminated) Vtarget(s'), computed in double per column.
  const auto qt = nn::Forward(q_target_, target_ws_, batch_.next_observations);
  const auto q = nn::Forward(policy_.q(), q_ws_, batch_.observations);
  dq_.setZero();
  double loss = 0.0, q_sum = 0.0, v_sum = 0.0, h_sum = 0.0;
  double pi_storage[64];
  std::vector<double> pi_heap;
  std::span<double> pi;
  if (num_actions_ <= 64) {
    pi = std::span<double>(pi_storage, static_cast<std::size_t>(num_actions_));
  } else {
    pi_heap.resize(num_actions_);  // only for more than 64 actions
    pi = pi_heap;
  }
  const float inv_b = 1.0f / static_cast<float>(b);
  for (int j = 0; j < b; ++j) {
    const double v_next =
        SoftStateValueOfOutputs([&](std::size_t a) { return qt(static_cast<Eigen::Index>(a), j); }, log_prior, alpha, {});
    const double y = batch_.rewards(0, j) + gamma * (1.0 - batch_.terminated(0, j)) * v_next;
    const int a = static_cast<int>(batch_.actions(0, j));
    const double delta = static_cast<double>(q(a, j)) - y;
    double grad = delta;
    if (options_.loss == TdLoss::kHuber) {
      loss += std::abs(delta) < 1.0 ? 0.5 * delta * delta : std::abs(delta) - 0.5;
      grad = std::clamp(delta, -1.0, 1.0);
    } else {
      loss += 0.5 * delta * delta;
    }
    dq_(a, j) = static_cast<float>(grad) * inv_b;
    q_sum += q(a, j);
    v_sum += SoftStateValueOfOutputs([&](std::size_t k) { return q(static_cast<Eigen::Index>(k), j); }, log_prior, alpha, pi);
    h_sum += Entropy(pi);
  }
  stats_.td_loss = loss / b;
  stats_.q_mean = q_sum / b;
  stats_.soft_value_mean = v_sum / b;
  stats_.entropy = h_sum / b;
  nn::Backward(policy_.q(), q_ws_, dq_, nullptr, nn::ParameterGradients::kOverwrite);
  stats_.grad_norm = options_.max_grad_norm > 0.0
                         ? nn::ClipGradientNorm(policy_.q().gradients(), static_cast<float>(options_.max_grad_norm))
                         : nn::ClipGradientNorm(policy_.q().gradients(), std::numeric_limits<float>::infinity());
  adam_.Step(policy_.q().parameters(), policy_.q().gradients());
  if (options_.auto_temperature) {
    // L(log alpha) = log alpha * (H - target): raises alpha while the policy is sharper than the target.
    temperature_gradient_ = stats_.entropy - target_entropy_;
    stats_.temperature_loss = log_temperature_ * temperature_gradient_;
    temperature_adam_.Step(std::span<double>(&log_temperature_, 1), std::span<const double>(&temperature_gradient_, 1));
  }
  ++updates_;
  if (updates_ % options_.target_update_interval == 0) {
    nn::PolyakUpdate(q_target_.parameters(), policy_.q().parameters(), static_cast<float>(options_.tau));
  }
  stats_.temperature = temperature();
  return stats_;
}

void SoftQAgent::Save(nn::SafetensorsFile& f) const {
  nn::AddMlp(f, "softq.q", policy_.q());
  nn::AddMlp(f, "softq.q_target", q_target_);
  nn::PutAdam(f, "softq.adam", adam_);
  const double temperature_state[] = {log_temperature_, temperature_adam_.first_moment()[0],
                                      temperature_adam_.second_moment()[0]};
  f.tensors["softq.temperature"] = nn::Tensor::FromDoubles(temperature_state, {3});
  const std::int64_t counters[] = {updates_, temperature_adam_.steps()};
  f.tensors["softq.counters"] = nn::Tensor::FromInt64(counters, {2});
  nn::PutRngState(f, "softq.rng", rng_.SaveState());
  SaveReplayBuffer(f, "softq.buffer", buffer_);
  f.metadata["softq.options"] = SoftQOptionsToJson(options_).dump();
}

void SoftQAgent::Restore(const nn::SafetensorsFile& f) {
  run::CheckCheckpointOptions(f, "softq.options", "soft-q", SoftQOptionsToJson(options_).dump());
  nn::LoadMlpParameters(f, "softq.q", policy_.q());
  nn::LoadMlpParameters(f, "softq.q_target", q_target_);
  nn::GetAdam(f, "softq.adam", adam_);
  const std::int64_t three[] = {3}, two[] = {2};
  const auto t = nn::RequireTensor(f, "softq.temperature", nn::DType::kF64, three).ToDoubles();
  const auto counters = nn::RequireTensor(f, "softq.counters", nn::DType::kI64, two).ToInt64();
  log_temperature_ = t[0];
  const double m = t[1], v = t[2];
  temperature_adam_.RestoreState(counters[1], std::span<const double>(&m, 1), std::span<const double>(&v, 1));
  updates_ = counters[0];
  rng_.RestoreState(nn::GetRngState(f, "softq.rng"));
  RestoreReplayBuffer(f, "softq.buffer", buffer_);
  stats_ = SoftQUpdateStats{};
  stats_.temperature = temperature();
}

// ---------------------------------------------------------------------------------------------
// Policy files

namespace {

class GreedySoftQPolicy : public Policy {
 public:
  GreedySoftQPolicy(BoltzmannQPolicy policy, double temperature) : policy_(std::move(policy)), temperature_(temperature) {}
  void Act(std::span<const float> observation, std::span<double> action) override {
    action[0] = policy_.Greedy(observation, temperature_);
  }

 private:
  BoltzmannQPolicy policy_;
  double temperature_;
};

}  // namespace

void SaveSoftQPolicy(nn::SafetensorsFile& file, const BoltzmannQPolicy& policy, double temperature) {
  nn::AddMlp(file, "q", policy.q());
  const nlohmann::json j = {{"kind", "boltzmann_q"}, {"temperature", temperature}, {"log_prior", policy.log_prior()}};
  file.metadata["policy"] = j.dump();
}

std::unique_ptr<Policy> LoadSoftQPolicy(const nn::SafetensorsFile& file) {
  const auto it = file.metadata.find("policy");
  if (it == file.metadata.end()) throw Error("policy file: metadata \"policy\" is missing");
  try {
    const nlohmann::json j = nlohmann::json::parse(it->second);
    if (j.at("kind").get<std::string>() != "boltzmann_q") {
      throw Error(fmt::format("policy file: kind \"{}\" is not a Boltzmann Q policy", j.at("kind").get<std::string>()));
    }
    Rng unused(0);
    nn::Mlp q(nn::ReadMlpSpec(file, "q"), unused);
    nn::LoadMlpParameters(file, "q", q);
    const double temperature = j.at("temperature").get<double>();
    if (!(std::isfinite(temperature) && temperature > 0)) {
      throw Error(fmt::format("policy file: temperature {} is invalid (expected > 0)", temperature));
    }
    return std::make_unique<GreedySoftQPolicy>(BoltzmannQPolicy(std::move(q), j.at("log_prior").get<std::vector<double>>()),
                                               temperature);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("policy file: metadata \"policy\" is malformed ({})", e.what()));
  }
}

// ---------------------------------------------------------------------------------------------
// SoftQTrainer

namespace {

std::unique_ptr<env::Environment> DiscreteEnvironment(std::unique_ptr<env::Environment> env) {
  if (env == nullptr) throw Error("soft-q: environment is null");
  if (!env->action_space().is_discrete()) {
    ThrowInvalidOption({"env", fmt::format("{} (action space {})", env->name(), env->action_space().ToString()),
                        "an environment with a Discrete action space: soft Q-learning; use sac for continuous actions"});
  }
  return env;
}

}  // namespace

SoftQTrainer::SoftQTrainer(std::string environment, const SoftQOptions& options, std::int64_t total_steps)
    : SoftQTrainer(env::MakeEnvironment(environment), env::MakeEnvironment(environment), options, total_steps) {}

SoftQTrainer::SoftQTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
                           const SoftQOptions& options, std::int64_t total_steps)
    : AgentOffPolicyTrainer(DiscreteEnvironment(std::move(env)), DiscreteEnvironment(std::move(eval_env)), total_steps,
                            options.seed, [&options](const env::Environment& e) {
                              return SoftQAgent(e.observation_dim(), e.action_space().n(), options);
                            }) {}

void SoftQTrainer::SelectAction(bool warmup) {
  const int a = warmup ? agent_.RandomAction() : agent_.Act(observation(), /*deterministic=*/false);
  env_action()[0] = static_cast<double>(a);
  stored_action()[0] = static_cast<float>(a);
}

std::vector<std::pair<std::string, double>> SoftQTrainer::Scalars() const {
  std::vector<std::pair<std::string, double>> out;
  if (agent_.updates() == 0) return out;
  const SoftQUpdateStats& s = agent_.last_stats();
  out = {{"losses/td_loss", s.td_loss},   {"losses/q_values", s.q_mean}, {"losses/soft_value", s.soft_value_mean},
         {"losses/entropy", s.entropy},   {"losses/alpha", s.temperature}, {"losses/grad_norm", s.grad_norm}};
  if (agent_.options().auto_temperature) out.emplace_back("losses/alpha_loss", s.temperature_loss);
  return out;
}

EvaluationResult SoftQTrainer::Evaluate(int episodes, std::uint64_t seed) {
  GreedySoftQPolicy policy(agent_.policy(), agent_.temperature());
  return EvaluatePolicy(policy, eval_environment(), episodes, seed);
}

nlohmann::json SoftQTrainer::Config() const {
  return {{"algorithm", "soft-q"}, {"env", env_name()}, {"steps", total_steps()}, {"soft_q", SoftQOptionsToJson(agent_.options())}};
}

void SoftQTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  SaveSoftQPolicy(file, agent_.policy(), agent_.temperature());
  file.metadata["algorithm"] = "soft-q";
  file.metadata["env"] = env_name();
}

}  // namespace cai::rl
