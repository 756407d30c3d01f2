// SAC state in safetensors: the policy file (actor only) and the full learner checkpoint.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/nn/safetensors.h"
#include "cai/rl/sac.h"
#include "cai/run/trainer.h"

namespace cai::rl {
namespace {

using nn::DType;
using nn::GetAdam;
using nn::PutAdam;
using nn::RequireTensor;
using nn::Tensor;

}  // namespace

void SquashedGaussianPolicy::Save(nn::SafetensorsFile& file) const {
  nn::AddMlp(file, "actor", actor_);
  const nlohmann::json j = {{"kind", "squashed_gaussian"},
                            {"action_low", low_},
                            {"action_high", high_},
                            {"log_std_min", log_std_min_},
                            {"log_std_max", log_std_max_}};
  file.metadata["policy"] = j.dump();
}

SquashedGaussianPolicy LoadSquashedGaussianPolicy(const nn::SafetensorsFile& file) {
  const auto it = file.metadata.find("policy");
  if (it == file.metadata.end()) throw Error("policy file: metadata \"policy\" is missing");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
    if (j.at("kind").get<std::string>() != "squashed_gaussian") {
      throw Error(fmt::format("policy file: kind \"{}\" is not a squashed Gaussian policy",
                              j.at("kind").get<std::string>()));
    }
    Rng unused(0);
    nn::Mlp actor(nn::ReadMlpSpec(file, "actor"), unused);
    nn::LoadMlpParameters(file, "actor", actor);
    return SquashedGaussianPolicy(std::move(actor), j.at("action_low").get<std::vector<double>>(),
                                  j.at("action_high").get<std::vector<double>>(), j.at("log_std_min").get<double>(),
                                  j.at("log_std_max").get<double>());
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("policy file: metadata \"policy\" is malformed ({})", e.what()));
  }
}

void SacAgent::Save(nn::SafetensorsFile& f) const {
  nn::AddMlp(f, "sac.actor", policy_.actor());
  nn::AddMlp(f, "sac.q1", q1_);
  nn::AddMlp(f, "sac.q2", q2_);
  nn::AddMlp(f, "sac.q1_target", q1_target_);
  nn::AddMlp(f, "sac.q2_target", q2_target_);
  PutAdam(f, "sac.adam.actor", actor_adam_);
  PutAdam(f, "sac.adam.q1", q1_adam_);
  PutAdam(f, "sac.adam.q2", q2_adam_);
  const double temperature_state[] = {log_temperature_, temperature_adam_.first_moment()[0],
                                      temperature_adam_.second_moment()[0]};
  f.tensors["sac.temperature"] = Tensor::FromDoubles(temperature_state, {3});
  const std::int64_t counters[] = {updates_, temperature_adam_.steps()};
  f.tensors["sac.counters"] = Tensor::FromInt64(counters, {2});
  nn::PutRngState(f, "sac.rng", rng_.SaveState());
  SaveReplayBuffer(f, "sac.buffer", buffer_);
  f.metadata["sac.options"] = SacOptionsToJson(options_).dump();
}

void SacAgent::Restore(const nn::SafetensorsFile& f) {
  run::CheckCheckpointOptions(f, "sac.options", "SAC", SacOptionsToJson(options_).dump());
  nn::LoadMlpParameters(f, "sac.actor", policy_.actor());
  nn::LoadMlpParameters(f, "sac.q1", q1_);
  nn::LoadMlpParameters(f, "sac.q2", q2_);
  nn::LoadMlpParameters(f, "sac.q1_target", q1_target_);
  nn::LoadMlpParameters(f, "sac.q2_target", q2_target_);
  GetAdam(f, "sac.adam.actor", actor_adam_);
  GetAdam(f, "sac.adam.q1", q1_adam_);
  GetAdam(f, "sac.adam.q2", q2_adam_);
  const std::int64_t three[] = {3}, two[] = {2};
  const auto t = RequireTensor(f, "sac.temperature", DType::kF64, three).ToDoubles();
  const auto counters = RequireTensor(f, "sac.counters", DType::kI64, two).ToInt64();
  log_temperature_ = t[0];
  const double m = t[1], v = t[2];
  temperature_adam_.RestoreState(counters[1], std::span<const double>(&m, 1), std::span<const double>(&v, 1));
  updates_ = counters[0];
  rng_.RestoreState(nn::GetRngState(f, "sac.rng"));
  RestoreReplayBuffer(f, "sac.buffer", buffer_);
  stats_ = SacUpdateStats{};
  stats_.temperature = temperature();
}

}  // namespace cai::rl
