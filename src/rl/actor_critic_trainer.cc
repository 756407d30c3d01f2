// MaxEnt actor-critic on a vector environment: rollouts, GAE, updates, checkpoints, policy files.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/nn/safetensors.h"
#include "cai/rl/actor_critic.h"

namespace cai::rl {
namespace {

using nn::DType;
using nn::GetAdam;
using nn::PutAdam;
using nn::RequireTensor;
using nn::Tensor;

std::int64_t Size(std::size_t n) { return static_cast<std::int64_t>(n); }

std::string Meta(const nn::SafetensorsFile& file, const char* key) {
  const auto it = file.metadata.find(key);
  return it == file.metadata.end() ? std::string() : it->second;
}

const ActorCriticOptions& Checked(const ActorCriticOptions& o) {
  ValidateActorCriticOptions(o);
  return o;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Agent state

void ActorCriticAgent::Save(nn::SafetensorsFile& f) const {
  nn::AddMlp(f, "ac.actor", actor_);
  nn::AddMlp(f, "ac.critic", critic_);
  PutAdam(f, "ac.adam.actor", actor_adam_);
  PutAdam(f, "ac.adam.critic", critic_adam_);
  if (!log_std_.empty()) {
    f.tensors["ac.log_std"] = Tensor::FromFloats(log_std_, {Size(log_std_.size())});
    PutAdam(f, "ac.adam.log_std", log_std_adam_);
  }
  const std::int64_t counters[] = {updates_};
  f.tensors["ac.counters"] = Tensor::FromInt64(counters, {1});
  nn::PutRngState(f, "ac.rng", rng_.SaveState());
  f.metadata["ac.options"] = ActorCriticOptionsToJson(options_).dump();
}

void ActorCriticAgent::Restore(const nn::SafetensorsFile& f) {
  run::CheckCheckpointOptions(f, "ac.options", "actor-critic", ActorCriticOptionsToJson(options_).dump());
  // Read everything into copies first, so that a missing or mis-shaped tensor changes nothing.
  nn::Mlp actor = actor_, critic = critic_;
  nn::LoadMlpParameters(f, "ac.actor", actor);
  nn::LoadMlpParameters(f, "ac.critic", critic);
  Adam<float> actor_adam = actor_adam_, critic_adam = critic_adam_, log_std_adam = log_std_adam_;
  GetAdam(f, "ac.adam.actor", actor_adam);
  GetAdam(f, "ac.adam.critic", critic_adam);
  std::vector<float> log_std = log_std_;
  if (!log_std_.empty()) {
    const std::int64_t d[] = {Size(log_std_.size())};
    log_std = RequireTensor(f, "ac.log_std", DType::kF32, d).ToFloats();
    GetAdam(f, "ac.adam.log_std", log_std_adam);
  }
  const std::int64_t one[] = {1};
  const std::int64_t updates = RequireTensor(f, "ac.counters", DType::kI64, one).ToInt64()[0];
  Rng rng = rng_;
  rng.RestoreState(nn::GetRngState(f, "ac.rng"));

  std::copy(actor.parameters().begin(), actor.parameters().end(), actor_.parameters().begin());
  std::copy(critic.parameters().begin(), critic.parameters().end(), critic_.parameters().begin());
  actor_adam_ = std::move(actor_adam);
  critic_adam_ = std::move(critic_adam);
  log_std_adam_ = std::move(log_std_adam);
  log_std_ = std::move(log_std);
  updates_ = updates;
  rng_ = rng;
  stats_ = ActorCriticUpdateStats{};
}

// ---------------------------------------------------------------------------------------------
// Trainer

ActorCriticTrainer::ActorCriticTrainer(std::string environment, const ActorCriticOptions& options,
                                       std::int64_t total_steps)
    : ActorCriticTrainer(std::make_unique<env::VectorEnv>(Checked(options).num_envs, environment),
                         env::MakeEnvironment(environment), environment, options, total_steps) {}

ActorCriticTrainer::ActorCriticTrainer(const env::VectorEnv::Factory& factory, const ActorCriticOptions& options,
                                       std::int64_t total_steps, std::string name)
    : ActorCriticTrainer(std::make_unique<env::VectorEnv>(Checked(options).num_envs, factory), factory(),
                         std::move(name), options, total_steps) {}

ActorCriticTrainer::ActorCriticTrainer(std::unique_ptr<env::VectorEnv> venv, std::unique_ptr<env::Environment> eval_env,
                                       std::string name, const ActorCriticOptions& options, std::int64_t total_steps)
    : env_name_(name.empty() ? std::string(venv->env(0).name()) : std::move(name)),
      venv_(std::move(venv)),
      eval_env_(std::move(eval_env)),
      agent_(venv_->observation_dim(), venv_->action_space(), options),
      total_steps_(total_steps),
      num_envs_(options.num_envs),
      n_steps_(options.n_steps),
      obs_dim_(venv_->observation_dim()),
      act_dim_(venv_->action_dim()) {
  if (total_steps < 1) {
    throw Error(fmt::format("--steps: {} is invalid (expected an integer >= 1)", total_steps));
  }
  if (eval_env_ == nullptr) throw Error("environment factory: returned no evaluation copy");
  const std::size_t n = static_cast<std::size_t>(num_envs_), b = n * static_cast<std::size_t>(n_steps_);
  rollout_obs_.resize(obs_dim_, static_cast<Eigen::Index>(b));
  rollout_actions_.assign(b * act_dim_, 0.0);
  rollout_rewards_.assign(b, 0.0);
  rollout_values_.assign(b, 0.0);
  rollout_done_.assign(b, 0);
  advantages_.assign(b, 0.0);
  returns_.assign(b, 0.0);
  observations_.assign(n * obs_dim_, 0.0f);
  final_observations_.assign(n * obs_dim_, 0.0f);
  actions_.assign(n * act_dim_, 0.0);
  rewards_.assign(n, 0.0);
  values_.assign(n, 0.0);
  bonus_.assign(n, 0.0);
  final_values_.assign(n, 0.0);
  last_values_.assign(n, 0.0);
  terminated_.assign(n, 0);
  truncated_.assign(n, 0);
  episode_returns_.assign(n, 0.0);
  episode_lengths_.assign(n, 0);
  finished_.reserve(n);
  venv_->Reset(options.seed, observations_);
}

std::span<const EpisodeStats> ActorCriticTrainer::Step() {
  finished_.clear();
  const std::size_t n = static_cast<std::size_t>(num_envs_);
  const Eigen::Map<const nn::Matrix> obs(observations_.data(), obs_dim_, num_envs_);
  agent_.Act(obs, actions_, values_, bonus_);
  rollout_obs_.middleCols(static_cast<Eigen::Index>(t_) * num_envs_, num_envs_) = obs;
  std::copy(actions_.begin(), actions_.end(),
            rollout_actions_.begin() + static_cast<std::ptrdiff_t>(t_ * n * act_dim_));
  venv_->Step(actions_, {observations_, rewards_, terminated_, truncated_, final_observations_});
  bool bootstrap = false;
  for (std::size_t i = 0; i < n; ++i) bootstrap = bootstrap || (truncated_[i] && !terminated_[i]);
  if (bootstrap) {
    agent_.Values(Eigen::Map<const nn::Matrix>(final_observations_.data(), obs_dim_, num_envs_), final_values_);
  }
  const double discount = agent_.options().discount;
  step_ += num_envs_;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = static_cast<std::size_t>(t_) * n + i;
    double r = rewards_[i] + bonus_[i];
    // A time limit is not a terminal state: the return goes on beyond it, estimated by V(s_final).
    if (truncated_[i] && !terminated_[i]) r += discount * final_values_[i];
    rollout_rewards_[k] = r;
    rollout_values_[k] = values_[i];
    rollout_done_[k] = terminated_[i] || truncated_[i];
    episode_returns_[i] += rewards_[i];
    ++episode_lengths_[i];
    if (rollout_done_[k]) {
      finished_.push_back(EpisodeStats{step_, episode_returns_[i], episode_lengths_[i],
                                       truncated_[i] && !terminated_[i]});
      ++episodes_;
      episode_returns_[i] = 0.0;
      episode_lengths_[i] = 0;
    }
  }
  if (++t_ == n_steps_) {
    Update();
    t_ = 0;
  }
  return finished_;
}

void ActorCriticTrainer::Update() {
  const ActorCriticOptions& o = agent_.options();
  const std::size_t n = static_cast<std::size_t>(num_envs_), b = n * static_cast<std::size_t>(n_steps_);
  agent_.Values(Eigen::Map<const nn::Matrix>(observations_.data(), obs_dim_, num_envs_), last_values_);
  // GAE(lambda) on the augmented rewards; the chain is cut where an episode ended (a truncation's
  // bootstrap value is already in its reward).
  for (std::size_t i = 0; i < n; ++i) {
    double gae = 0.0;
    for (int t = n_steps_ - 1; t >= 0; --t) {
      const std::size_t k = static_cast<std::size_t>(t) * n + i;
      const double next_value = t == n_steps_ - 1 ? last_values_[i] : rollout_values_[k + n];
      const double not_done = rollout_done_[k] ? 0.0 : 1.0;
      const double delta = rollout_rewards_[k] + o.discount * not_done * next_value - rollout_values_[k];
      gae = delta + o.discount * o.gae_lambda * not_done * gae;
      advantages_[k] = gae;
      returns_[k] = gae + rollout_values_[k];
    }
  }
  if (o.normalize_advantage && b > 1) {
    double mean = 0.0, var = 0.0;
    for (double a : advantages_) mean += a;
    mean /= static_cast<double>(b);
    for (double a : advantages_) var += (a - mean) * (a - mean);
    const double scale = 1.0 / (std::sqrt(var / static_cast<double>(b)) + 1e-8);
    for (double& a : advantages_) a = (a - mean) * scale;
  }
  agent_.Loss(rollout_obs_, rollout_actions_, advantages_, returns_, /*gradients=*/true);
  agent_.ApplyGradients();
}

std::vector<std::pair<std::string, double>> ActorCriticTrainer::Scalars() const {
  std::vector<std::pair<std::string, double>> out;
  if (agent_.updates() == 0) return out;
  const ActorCriticUpdateStats& s = agent_.last_stats();
  out = {{"losses/loss", s.loss},
         {"losses/policy_loss", s.policy_loss},
         {"losses/value_loss", s.value_loss},
         {"losses/entropy", s.entropy},
         {"losses/explained_variance", s.explained_variance},
         {"losses/grad_norm", s.grad_norm}};
  if (!agent_.options().action_prior.empty()) out.emplace_back("losses/kl_prior", s.kl_prior);
  return out;
}

EvaluationResult ActorCriticTrainer::Evaluate(int episodes, std::uint64_t seed) {
  ActorCriticPolicy policy(agent_.actor(), agent_.discrete() ? std::vector<double>() : agent_.action_low(),
                           agent_.discrete() ? std::vector<double>() : agent_.action_high());
  return EvaluatePolicy(policy, *eval_env_, episodes, seed);
}

nlohmann::json ActorCriticTrainer::Config() const {
  return {{"algorithm", "maxent-pg"},
          {"env", env_name_},
          {"steps", total_steps_},
          {"actor_critic", ActorCriticOptionsToJson(agent_.options())}};
}

void ActorCriticTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  nn::AddMlp(file, "actor", agent_.actor());
  if (!agent_.discrete()) {
    const auto d = static_cast<std::int64_t>(agent_.log_std().size());
    file.tensors["log_std"] = Tensor::FromFloats(agent_.log_std(), {d});
    file.tensors["action_low"] = Tensor::FromDoubles(agent_.action_low(), {d});
    file.tensors["action_high"] = Tensor::FromDoubles(agent_.action_high(), {d});
  }
  file.metadata["algorithm"] = "maxent-pg";
  file.metadata["env"] = env_name_;
  file.metadata["policy"] = agent_.discrete() ? "categorical" : "gaussian";
}

std::unique_ptr<Policy> LoadActorCriticPolicy(const nn::SafetensorsFile& file) {
  if (Meta(file, "algorithm") != "maxent-pg") {
    throw Error(fmt::format("policy file: algorithm \"{}\" (expected \"maxent-pg\")", Meta(file, "algorithm")));
  }
  const std::string kind = Meta(file, "policy");
  if (kind != "categorical" && kind != "gaussian") {
    throw Error(fmt::format("policy file: metadata \"policy\" is \"{}\" (expected \"categorical\" or \"gaussian\")",
                            kind));
  }
  Rng unused(0);
  nn::Mlp actor(nn::ReadMlpSpec(file, "actor"), unused);
  nn::LoadMlpParameters(file, "actor", actor);
  std::vector<double> low, high;
  if (kind == "gaussian") {
    const std::int64_t d[] = {actor.output_dim()};
    low = RequireTensor(file, "action_low", DType::kF64, d).ToDoubles();
    high = RequireTensor(file, "action_high", DType::kF64, d).ToDoubles();
    RequireTensor(file, "log_std", DType::kF32, d);
  }
  return std::make_unique<ActorCriticPolicy>(std::move(actor), std::move(low), std::move(high));
}

void ActorCriticTrainer::SaveCheckpoint(nn::SafetensorsFile& file) const {
  if (!can_checkpoint()) {
    throw Error(fmt::format("ActorCriticTrainer: checkpoints are taken between rollouts only (this one is at "
                            "step {} of {})",
                            t_, n_steps_));
  }
  agent_.Save(file);
  const env::VectorEnv::State state = venv_->SaveState();
  const auto n = static_cast<std::int64_t>(num_envs_);
  file.tensors["trainer.env_states"] =
      Tensor::FromDoubles(state.states, {n, static_cast<std::int64_t>(state.states.size()) / n});
  std::vector<std::int64_t> elapsed(state.elapsed_steps.begin(), state.elapsed_steps.end());
  file.tensors["trainer.env_elapsed_steps"] = Tensor::FromInt64(elapsed, {n});
  for (int i = 0; i < num_envs_; ++i) nn::PutRngState(file, fmt::format("trainer.env_rng.{}", i), state.rngs[i]);
  file.tensors["trainer.observations"] = Tensor::FromFloats(observations_, {n, obs_dim_});
  file.tensors["trainer.episode_returns"] = Tensor::FromDoubles(episode_returns_, {n});
  std::vector<std::int64_t> lengths(episode_lengths_.begin(), episode_lengths_.end());
  file.tensors["trainer.episode_lengths"] = Tensor::FromInt64(lengths, {n});
  const std::int64_t counters[] = {step_, episodes_};
  file.tensors["trainer.counters"] = Tensor::FromInt64(counters, {2});
  file.metadata["algorithm"] = "maxent-pg";
  file.metadata["env"] = env_name_;
  file.metadata["config"] = Config().dump();
}

// Checks the metadata (algorithm, environment, options) and reads every tensor before changing
// anything; on any error the trainer is left as it was.
void ActorCriticTrainer::RestoreCheckpoint(const nn::SafetensorsFile& file) {
  CheckCheckpointOwner(file, "maxent-pg", env_name_);
  const std::string options = ActorCriticOptionsToJson(agent_.options()).dump();
  if (Meta(file, "ac.options") != options) {
    throw Error(fmt::format("checkpoint: actor-critic options {} differ from this run's {}",
                            Meta(file, "ac.options").empty() ? "(missing)" : Meta(file, "ac.options"), options));
  }
  const auto n = static_cast<std::int64_t>(num_envs_);
  const std::int64_t state_shape[] = {n, venv_->env(0).state_dim()}, per_env[] = {n}, two[] = {2};
  const std::int64_t obs_shape[] = {n, obs_dim_};
  env::VectorEnv::State state;
  state.states = RequireTensor(file, "trainer.env_states", DType::kF64, state_shape).ToDoubles();
  for (std::int64_t e : RequireTensor(file, "trainer.env_elapsed_steps", DType::kI64, per_env).ToInt64()) {
    state.elapsed_steps.push_back(static_cast<int>(e));
  }
  for (int i = 0; i < num_envs_; ++i) state.rngs.push_back(nn::GetRngState(file, fmt::format("trainer.env_rng.{}", i)));
  auto observations = RequireTensor(file, "trainer.observations", DType::kF32, obs_shape).ToFloats();
  auto returns = RequireTensor(file, "trainer.episode_returns", DType::kF64, per_env).ToDoubles();
  const auto lengths = RequireTensor(file, "trainer.episode_lengths", DType::kI64, per_env).ToInt64();
  const auto counters = RequireTensor(file, "trainer.counters", DType::kI64, two).ToInt64();
  if (counters[0] < 0 || counters[0] > total_steps_ + num_envs_) {
    throw Error(fmt::format("checkpoint: step {} is outside this run's [0, {}] steps", counters[0], total_steps_));
  }
  if (counters[1] < 0) throw Error(fmt::format("checkpoint: episode count {} is negative", counters[1]));
  for (int i = 0; i < num_envs_; ++i) {
    if (lengths[i] < 0 || lengths[i] > counters[0]) {
      throw Error(fmt::format("checkpoint: trainer.episode_lengths[{}] = {} is invalid (expected 0 to the step "
                              "count {})", i, lengths[i], counters[0]));
    }
  }
  const env::VectorEnv::State before = venv_->SaveState();
  venv_->RestoreState(state, final_observations_);  // validates before it changes anything
  try {
    agent_.Restore(file);
  } catch (...) {
    venv_->RestoreState(before, final_observations_);
    throw;
  }
  observations_ = std::move(observations);
  episode_returns_ = std::move(returns);
  for (int i = 0; i < num_envs_; ++i) episode_lengths_[i] = static_cast<int>(lengths[i]);
  step_ = counters[0];
  episodes_ = counters[1];
  t_ = 0;
}

}  // namespace cai::rl
