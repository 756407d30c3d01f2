// SAC on a simulator through the shared off-policy loop (OffPolicyTrainer): warm-up with uniform
// actions, then act with the stochastic actor, store the transition, update every train_frequency
// steps. Time-limit truncations are not terminal.
#pragma once

#include <memory>
#include <string>

#include "cai/env/environment.h"
#include "cai/rl/off_policy_trainer.h"
#include "cai/rl/sac.h"
#include "cai/rl/trainer.h"

namespace cai::rl {

/// SquashedGaussianPolicy acting deterministically (the squashed mean), as a Policy.
class DeterministicSquashedGaussian : public Policy {
 public:
  explicit DeterministicSquashedGaussian(SquashedGaussianPolicy& policy) : policy_(&policy) {}
  void Act(std::span<const float> observation, std::span<double> action) override;

 private:
  SquashedGaussianPolicy* policy_;
  std::vector<float> squashed_;
};

class SacTrainer : public AgentOffPolicyTrainer<SacAgent> {
 public:
  /// `environment` must be a Gymnasium id known to env::MakeEnvironment with a bounded Box action
  /// space; throws cai::Error otherwise (naming the space) or for invalid options / total_steps < 1.
  /// The training environment is reset with options.seed; evaluation uses its own copy.
  SacTrainer(std::string environment, const SacOptions& options, std::int64_t total_steps);
  /// Any environment with a bounded Box action space (e.g. one written in Python): `env` for
  /// training, `eval_env` (same spaces) for Evaluate. The run's "env" is env->name().
  SacTrainer(std::unique_ptr<env::Environment> env, std::unique_ptr<env::Environment> eval_env,
             const SacOptions& options, std::int64_t total_steps);

  std::string algorithm() const override { return "sac"; }
  std::vector<std::pair<std::string, double>> Scalars() const override;
  EvaluationResult Evaluate(int episodes, std::uint64_t seed) override;
  void SavePolicy(nn::SafetensorsFile& file) const override;
  nlohmann::json Config() const override;

 private:
  void SelectAction(bool warmup) override;
};

}  // namespace cai::rl
