#include "cai/io/policy_file.h"

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/planning/pets.h"
#include "cai/rl/actor_critic.h"
#include "cai/rl/sac_trainer.h"
#include "cai/rl/soft_dqn.h"

namespace cai::io {

std::unique_ptr<rl::Policy> LoadPolicy(const nn::SafetensorsFile& f, const std::string& name, const env::Environment& env) {
  const auto it = f.metadata.find("algorithm");
  const std::string algorithm = it == f.metadata.end() ? std::string("sac") : it->second;
  int observation_dim = 0, action_dim = 0;
  std::unique_ptr<rl::Policy> policy;
  if (algorithm == "sac") {
    auto gaussian = std::make_shared<rl::SquashedGaussianPolicy>(rl::LoadSquashedGaussianPolicy(f));
    observation_dim = gaussian->observation_dim();
    action_dim = gaussian->action_dim();
    struct Owning : rl::Policy {
      std::shared_ptr<rl::SquashedGaussianPolicy> owner;
      rl::DeterministicSquashedGaussian det;
      explicit Owning(std::shared_ptr<rl::SquashedGaussianPolicy> p) : owner(std::move(p)), det(*owner) {}
      void Act(std::span<const float> o, std::span<double> a) override { det.Act(o, a); }
    };
    policy = std::make_unique<Owning>(gaussian);
  } else if (algorithm == "soft-q") {
    const nn::MlpSpec spec = nn::ReadMlpSpec(f, "q");
    observation_dim = spec.input_dim;
    action_dim = 1;
    if (!env.action_space().is_discrete() || env.action_space().n() != spec.output_dim) {
      throw Error(fmt::format("{}: Q network has {} outputs but {} has action space {}", name, spec.output_dim,
                              env.name(), env.action_space().ToString()));
    }
    policy = rl::LoadSoftQPolicy(f);
  } else if (algorithm == "maxent-pg") {
    const nn::MlpSpec spec = nn::ReadMlpSpec(f, "actor");
    observation_dim = spec.input_dim;
    action_dim = env.action_dim();
    const bool categorical = f.metadata.count("policy") && f.metadata.at("policy") == "categorical";
    if (categorical != env.action_space().is_discrete() ||
        (categorical && spec.output_dim != env.action_space().n()) || (!categorical && spec.output_dim != env.action_dim())) {
      throw Error(fmt::format("{}: {} policy with {} outputs does not fit {} (action space {})", name,
                              categorical ? "categorical" : "Gaussian", spec.output_dim, env.name(),
                              env.action_space().ToString()));
    }
    policy = rl::LoadActorCriticPolicy(f);
  } else if (algorithm == "pets") {
    policy = planning::LoadPetsPolicy(f);  // MPPI through the saved ensemble, for the file's env
    observation_dim = env.observation_dim();
    action_dim = env.action_dim();
  } else {
    throw Error(fmt::format("{}: metadata \"algorithm\" is \"{}\" (expected sac, soft-q, maxent-pg or pets)", name, algorithm));
  }
  if (observation_dim != env.observation_dim() || action_dim != env.action_dim()) {
    throw Error(fmt::format("{}: policy is {} -> {} but {} is {} -> {}", name, observation_dim, action_dim, env.name(),
                            env.observation_dim(), env.action_dim()));
  }
  return policy;
}

PolicyFile LoadPolicyFile(const std::filesystem::path& path) {
  const std::filesystem::path file = std::filesystem::is_directory(path) ? path / "policy.safetensors" : path;
  if (!std::filesystem::exists(file)) {
    throw Error(fmt::format("{}: no such file (has the run finished? a run writes policy.safetensors at the end)",
                            file.string()));
  }
  const nn::SafetensorsFile f = nn::LoadSafetensors(file);
  const auto env_it = f.metadata.find("env");
  if (env_it == f.metadata.end()) throw Error(fmt::format("{}: metadata \"env\" is missing", file.string()));
  PolicyFile out;
  out.env = env_it->second;
  const auto alg = f.metadata.find("algorithm");
  out.algorithm = alg == f.metadata.end() ? std::string("sac") : alg->second;
  const auto env = env::MakeEnvironment(out.env);
  out.policy = LoadPolicy(f, file.string(), *env);
  return out;
}

}  // namespace cai::io
