#include "cai/run/trainer.h"

#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/nn/safetensors.h"

namespace cai::run {

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
  SummarizeReturns(result);
  return result;
}

void SummarizeReturns(EvaluationResult& result) {
  const auto n = static_cast<double>(result.returns.size());
  double sum = 0, sum2 = 0;
  for (double r : result.returns) sum += r;
  result.mean_return = sum / n;
  for (double r : result.returns) sum2 += (r - result.mean_return) * (r - result.mean_return);
  result.std_return = std::sqrt(sum2 / n);
}

EvaluationResult Trainer::Evaluate(int, std::uint64_t) {
  throw Error(fmt::format("{}: this learner has no environment to evaluate its policy on", algorithm()));
}

std::int64_t RunSteps(Trainer& trainer, std::int64_t steps, bool finish_episode, std::vector<EpisodeStats>& finished) {
  if (steps < 0) throw Error(fmt::format("steps: {} is invalid (expected an integer >= 0)", steps));
  const std::int64_t start = trainer.step();
  while (trainer.step() - start < steps || (finish_episode && !trainer.can_checkpoint())) {
    for (const EpisodeStats& e : trainer.Step()) finished.push_back(e);
  }
  return trainer.step() - start;
}

void SaveEpisodeStart(nn::SafetensorsFile& file, const env::Environment& env, std::span<const float> observation,
                      std::int64_t step, std::int64_t episodes) {
  nn::PutRngState(file, "trainer.env_rng", env.rng().SaveState());
  const std::vector<double> state = env.state();
  file.tensors["trainer.env_state"] = nn::Tensor::FromDoubles(state, {static_cast<std::int64_t>(state.size())});
  file.tensors["trainer.observation"] =
      nn::Tensor::FromFloats(observation, {static_cast<std::int64_t>(observation.size())});
  const std::int64_t counters[2] = {step, episodes};
  file.tensors["trainer.counters"] = nn::Tensor::FromInt64(counters, {2});
}

void RestoreEpisodeStart(const nn::SafetensorsFile& file, env::Environment& env, std::vector<float>& observation,
                         std::int64_t total_steps, std::int64_t& step, std::int64_t& episodes) {
  const std::int64_t two[] = {2};
  const RngState env_rng = nn::GetRngState(file, "trainer.env_rng");
  const std::int64_t state_dim[] = {env.state_dim()};
  const auto state = nn::RequireTensor(file, "trainer.env_state", nn::DType::kF64, state_dim).ToDoubles();
  const std::int64_t obs_dim[] = {static_cast<std::int64_t>(observation.size())};
  auto saved_observation = nn::RequireTensor(file, "trainer.observation", nn::DType::kF32, obs_dim).ToFloats();
  const auto counters = nn::RequireTensor(file, "trainer.counters", nn::DType::kI64, two).ToInt64();
  if (counters[0] < 0 || counters[0] > total_steps) {
    throw Error(fmt::format("checkpoint: step {} is outside this run's [0, {}] steps", counters[0], total_steps));
  }
  // The checkpoint was taken right after a reset: start an episode, then put the simulator and its
  // generator exactly where they were.
  std::vector<float> scratch(observation.size());
  env.Reset(std::nullopt, scratch);
  env.SetState(state);
  env.rng().RestoreState(env_rng);
  observation = std::move(saved_observation);
  step = counters[0];
  episodes = counters[1];
}

void CheckCheckpointOwner(const nn::SafetensorsFile& file, std::string_view algorithm, std::string_view env) {
  const auto meta = [&](const char* key) -> std::string {
    const auto it = file.metadata.find(key);
    return it == file.metadata.end() ? std::string() : it->second;
  };
  if (meta("algorithm") != algorithm || meta("env") != env) {
    throw Error(fmt::format("checkpoint: written by algorithm \"{}\" on \"{}\" (expected \"{}\" on \"{}\")",
                            meta("algorithm"), meta("env"), algorithm, env));
  }
}

void CheckCheckpointOptions(const nn::SafetensorsFile& file, const std::string& key, std::string_view what,
                            const std::string& options) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end() || it->second != options) {
    throw Error(fmt::format("checkpoint: {} options {} differ from this run's {}", what,
                            it == file.metadata.end() ? std::string("(missing)") : it->second, options));
  }
}

}  // namespace cai::run
