#include "cai/rl/sac_trainer.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {
namespace {

const env::Space& BoxActions(const env::Environment& env) {
  const env::Space& space = env.action_space();
  if (space.is_discrete()) {
    throw Error(fmt::format("--env: {} has action space {} (SAC needs a bounded Box action space; "
                            "use an algorithm for discrete actions)",
                            env.name(), space.ToString()));
  }
  return space;
}

}  // namespace

EvaluationResult EvaluatePolicy(Policy& policy, env::Environment& env, int episodes, std::uint64_t seed) {
  if (episodes < 1) throw Error(fmt::format("episodes: {} is invalid (expected an integer >= 1)", episodes));
  EvaluationResult result;
  std::vector<float> observation(env.observation_dim());
  std::vector<double> action(env.action_dim());
  for (int e = 0; e < episodes; ++e) {
    env.Reset(e == 0 ? std::optional<std::uint64_t>(seed) : std::nullopt, observation);
    double total = 0;
    int length = 0;
    while (true) {
      policy.Act(observation, action);
      const env::StepResult r = env.Step(action, observation);
      total += r.reward;
      ++length;
      if (r.terminated || r.truncated) break;
    }
    result.returns.push_back(total);
    result.lengths.push_back(length);
  }
  double sum = 0, sum2 = 0;
  for (double r : result.returns) sum += r;
  result.mean_return = sum / episodes;
  for (double r : result.returns) sum2 += (r - result.mean_return) * (r - result.mean_return);
  result.std_return = std::sqrt(sum2 / episodes);
  return result;
}

void DeterministicSquashedGaussian::Act(std::span<const float> observation, std::span<double> action) {
  squashed_.resize(static_cast<std::size_t>(policy_->action_dim()));
  policy_->Act(observation, /*deterministic=*/true, nullptr, squashed_, action);
}

SacTrainer::SacTrainer(std::string environment, const SacOptions& options, std::int64_t total_steps)
    : env_name_(std::move(environment)),
      env_(env::MakeEnvironment(env_name_)),
      eval_env_(env::MakeEnvironment(env_name_)),
      agent_(env_->observation_dim(), BoxActions(*env_).low(), BoxActions(*env_).high(), options),
      total_steps_(total_steps),
      observation_(env_->observation_dim()),
      next_observation_(env_->observation_dim()),
      squashed_(env_->action_dim()),
      action_(env_->action_dim()) {
  if (total_steps < 1) {
    throw Error(fmt::format("--steps: {} is invalid (expected an integer >= 1)", total_steps));
  }
  env_->Reset(options.seed, observation_);
}

std::span<const EpisodeStats> SacTrainer::Step() {
  const SacOptions& o = agent_.options();
  if (step_ < o.learning_starts) {
    agent_.RandomAction(squashed_, action_);
  } else {
    agent_.Act(observation_, /*deterministic=*/false, squashed_, action_);
  }
  const env::StepResult r = env_->Step(action_, next_observation_);
  // A truncated episode is not terminal: the target still bootstraps from s'.
  agent_.buffer().Add(observation_, squashed_, r.reward, next_observation_, r.terminated);
  ++step_;
  episode_return_ += r.reward;
  ++episode_length_;
  if (step_ > o.learning_starts && step_ % o.train_frequency == 0) {
    for (int k = 0; k < o.gradient_steps; ++k) agent_.Update();
  }
  if (r.terminated || r.truncated) {
    finished_ = EpisodeStats{step_, episode_return_, episode_length_, r.truncated && !r.terminated};
    ++episodes_;
    episode_return_ = 0;
    episode_length_ = 0;
    env_->Reset(std::nullopt, observation_);
    return {&finished_, 1};
  }
  observation_.swap(next_observation_);
  return {};
}

std::vector<std::pair<std::string, double>> SacTrainer::Scalars() const {
  const SacUpdateStats& s = agent_.last_stats();
  std::vector<std::pair<std::string, double>> out;
  if (agent_.updates() == 0) return out;
  out = {{"losses/qf1_loss", s.qf1_loss},
         {"losses/qf2_loss", s.qf2_loss},
         {"losses/qf_loss", 0.5 * (s.qf1_loss + s.qf2_loss)},
         {"losses/qf1_values", s.qf1_mean},
         {"losses/actor_loss", s.actor_loss},
         {"losses/alpha", s.temperature},
         {"losses/entropy", s.entropy}};
  if (agent_.options().auto_temperature) out.emplace_back("losses/alpha_loss", s.temperature_loss);
  return out;
}

EvaluationResult SacTrainer::Evaluate(int episodes, std::uint64_t seed) {
  DeterministicSquashedGaussian policy(agent_.policy());
  return EvaluatePolicy(policy, *eval_env_, episodes, seed);
}

nlohmann::json SacTrainer::Config() const {
  return {{"algorithm", "sac"},
          {"env", env_name_},
          {"steps", total_steps_},
          {"sac", SacOptionsToJson(agent_.options())}};
}

void SacTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  agent_.policy().Save(file);
  file.metadata["algorithm"] = "sac";
  file.metadata["env"] = env_name_;
}

void SacTrainer::SaveCheckpoint(nn::SafetensorsFile& file) const {
  if (!can_checkpoint()) {
    throw Error("SacTrainer: checkpoints are taken at episode boundaries only");
  }
  agent_.Save(file);
  nn::PutRngState(file, "trainer.env_rng", env_->rng().SaveState());
  const std::vector<double> state = env_->state();
  file.tensors["trainer.env_state"] =
      nn::Tensor::FromDoubles(state, {static_cast<std::int64_t>(state.size())});
  file.tensors["trainer.observation"] =
      nn::Tensor::FromFloats(observation_, {static_cast<std::int64_t>(observation_.size())});
  const std::int64_t counters[2] = {step_, episodes_};
  file.tensors["trainer.counters"] = nn::Tensor::FromInt64(counters, {2});
  file.metadata["algorithm"] = "sac";
  file.metadata["env"] = env_name_;
  file.metadata["config"] = Config().dump();
}

void SacTrainer::RestoreCheckpoint(const nn::SafetensorsFile& file) {
  const auto meta = [&](const char* key) -> std::string {
    const auto it = file.metadata.find(key);
    return it == file.metadata.end() ? std::string() : it->second;
  };
  if (meta("algorithm") != "sac" || meta("env") != env_name_) {
    throw Error(fmt::format("checkpoint: written by algorithm \"{}\" on \"{}\" (expected \"sac\" on \"{}\")",
                            meta("algorithm"), meta("env"), env_name_));
  }
  agent_.Restore(file);
  const std::int64_t two[] = {2};
  const RngState env_rng = nn::GetRngState(file, "trainer.env_rng");
  const std::int64_t state_dim[] = {env_->state_dim()};
  const auto state = nn::RequireTensor(file, "trainer.env_state", nn::DType::kF64, state_dim).ToDoubles();
  const std::int64_t obs_dim[] = {static_cast<std::int64_t>(observation_.size())};
  const auto observation = nn::RequireTensor(file, "trainer.observation", nn::DType::kF32, obs_dim).ToFloats();
  const auto counters = nn::RequireTensor(file, "trainer.counters", nn::DType::kI64, two).ToInt64();
  if (counters[0] < 0 || counters[0] > total_steps_) {
    throw Error(fmt::format("checkpoint: step {} is outside this run's [0, {}] steps", counters[0], total_steps_));
  }
  // The checkpoint was taken right after a reset: start an episode, then put the simulator and its
  // generator exactly where they were.
  env_->Reset(std::nullopt, next_observation_);
  env_->SetState(state);
  env_->rng().RestoreState(env_rng);
  observation_ = observation;
  step_ = counters[0];
  episodes_ = counters[1];
  episode_return_ = 0;
  episode_length_ = 0;
}

}  // namespace cai::rl
