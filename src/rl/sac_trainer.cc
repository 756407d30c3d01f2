#include "cai/rl/sac_trainer.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/options.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {
namespace {

const env::Space& BoxActions(const env::Environment& env) {
  const env::Space& space = env.action_space();
  if (space.is_discrete()) {
    ThrowInvalidOption({"env", fmt::format("{} (action space {})", env.name(), space.ToString()),
                        "an environment with a bounded Box action space: SAC; use an algorithm for discrete actions"});
  }
  return space;
}

}  // namespace

void DeterministicSquashedGaussian::Act(std::span<const float> observation, std::span<double> action) {
  squashed_.resize(static_cast<std::size_t>(policy_->action_dim()));
  policy_->Act(observation, /*deterministic=*/true, nullptr, squashed_, action);
}

SacTrainer::SacTrainer(std::string environment, const SacOptions& options, std::int64_t total_steps)
    : SacTrainer(env::MakeEnvironment(environment), env::MakeEnvironment(environment), options, total_steps) {}

SacTrainer::SacTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
                       const SacOptions& options, std::int64_t total_steps)
    : AgentOffPolicyTrainer(std::move(env), std::move(eval_env), total_steps, options.seed,
                            [&options](const env::Environment& e) {
                              return SacAgent(e.observation_dim(), BoxActions(e).low(), BoxActions(e).high(), options);
                            }) {}

void SacTrainer::SelectAction(bool warmup) {
  if (warmup) {
    agent_.RandomAction(stored_action(), env_action());
  } else {
    agent_.Act(observation(), /*deterministic=*/false, stored_action(), env_action());
  }
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
  return EvaluatePolicy(policy, eval_environment(), episodes, seed);
}

nlohmann::json SacTrainer::Config() const {
  return {{"algorithm", "sac"},
          {"env", env_name()},
          {"steps", total_steps()},
          {"sac", SacOptionsToJson(agent_.options())}};
}

void SacTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  agent_.policy().Save(file);
  file.metadata["algorithm"] = "sac";
  file.metadata["env"] = env_name();
}

}  // namespace cai::rl
