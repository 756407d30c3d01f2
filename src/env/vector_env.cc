#include "cai/env/vector_env.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::env {
namespace {

// Throws unless size == rows * cols; `cols_name` empty means a vector of `rows`. Formats only on
// failure, so the check does not allocate.
void CheckSize(std::string_view field, std::size_t size, std::size_t rows, std::size_t cols,
               std::string_view cols_name, bool may_be_empty = false) {
  if (size == rows * cols || (may_be_empty && size == 0)) return;
  const std::string shape = cols_name.empty()
                                ? fmt::format("num_envs {}", rows)
                                : fmt::format("num_envs {} x {} {}", rows, cols_name, cols);
  throw Error(fmt::format("VectorEnv: {} has {} entries; expected {} ({}{})", field, size,
                          rows * cols, shape, may_be_empty ? ", or empty" : ""));
}

}  // namespace

VectorEnv::VectorEnv(int num_envs, const Factory& factory) {
  if (num_envs < 1) throw Error(fmt::format("VectorEnv: num_envs = {}; expected >= 1", num_envs));
  if (!factory) throw Error("VectorEnv: factory is empty; expected a callable");
  envs_.reserve(num_envs);
  for (int i = 0; i < num_envs; ++i) {
    std::unique_ptr<Environment> env = factory();
    if (env == nullptr) {
      throw Error(fmt::format("VectorEnv: factory returned null for copy {}; expected an "
                              "environment",
                              i));
    }
    if (i > 0) {
      const Environment& first = *envs_[0];
      const std::string obs = env->observation_space().ToString();
      const std::string act = env->action_space().ToString();
      if (obs != first.observation_space().ToString() || act != first.action_space().ToString()) {
        throw Error(fmt::format(
            "VectorEnv: copy {} ({}) has spaces {} -> {}; expected those of copy 0 ({}): {} -> {}",
            i, env->name(), obs, act, first.name(), first.observation_space().ToString(),
            first.action_space().ToString()));
      }
    }
    env->rng() = Rng(static_cast<std::uint64_t>(i));
    envs_.push_back(std::move(env));
  }
}

VectorEnv::VectorEnv(int num_envs, std::string_view name)
    : VectorEnv(num_envs, [name] { return MakeEnvironment(name); }) {}

void VectorEnv::Reset(std::optional<std::uint64_t> seed, std::span<float> observations) {
  const std::size_t n = envs_.size();
  const std::size_t d = observation_dim();
  CheckSize("observations", observations.size(), n, d, "observation_dim");
  for (std::size_t i = 0; i < n; ++i) {
    std::optional<std::uint64_t> copy_seed;
    if (seed.has_value()) copy_seed = *seed + i;
    envs_[i]->Reset(copy_seed, observations.subspan(i * d, d));
  }
  started_ = true;
}

void VectorEnv::CheckOutputs(const VectorStepOutputs& outputs) const {
  const std::size_t n = envs_.size();
  const std::size_t d = observation_dim();
  CheckSize("observations", outputs.observations.size(), n, d, "observation_dim");
  CheckSize("rewards", outputs.rewards.size(), n, 1, "");
  CheckSize("terminated", outputs.terminated.size(), n, 1, "");
  CheckSize("truncated", outputs.truncated.size(), n, 1, "");
  CheckSize("final_observations", outputs.final_observations.size(), n, d, "observation_dim",
            /*may_be_empty=*/true);
}

void VectorEnv::Step(std::span<const double> actions, const VectorStepOutputs& outputs) {
  if (!started_) throw Error("VectorEnv: Step called before Reset; call Reset first");
  const std::size_t n = envs_.size();
  const std::size_t d = observation_dim();
  const std::size_t a = action_dim();
  CheckSize("actions", actions.size(), n, a, "action_dim");
  CheckOutputs(outputs);
  for (std::size_t i = 0; i < n; ++i) {
    try {
      envs_[i]->CheckAction(actions.subspan(i * a, a));
    } catch (const Error& e) {
      throw Error(fmt::format("VectorEnv: actions row {}: {}", i, e.what()));
    }
  }

  const bool keep_final = !outputs.final_observations.empty();
  for (std::size_t i = 0; i < n; ++i) {
    Environment& env = *envs_[i];
    const std::span<float> observation = outputs.observations.subspan(i * d, d);
    const StepResult result = env.Step(actions.subspan(i * a, a), observation);
    outputs.rewards[i] = result.reward;
    outputs.terminated[i] = result.terminated ? 1 : 0;
    outputs.truncated[i] = result.truncated ? 1 : 0;
    if (keep_final) {
      std::copy(observation.begin(), observation.end(),
                outputs.final_observations.begin() + static_cast<std::ptrdiff_t>(i * d));
    }
    if (result.terminated || result.truncated) env.Reset(std::nullopt, observation);
  }
}

VectorEnv::State VectorEnv::SaveState() const {
  if (!started_) throw Error("VectorEnv: SaveState called before Reset");
  State out;
  for (const auto& env : envs_) {
    const std::vector<double> s = env->state();
    out.states.insert(out.states.end(), s.begin(), s.end());
    out.elapsed_steps.push_back(env->elapsed_steps());
    out.rngs.push_back(env->rng().SaveState());
  }
  return out;
}

void VectorEnv::RestoreState(const State& state, std::span<float> observations) {
  const std::size_t n = envs_.size();
  const std::size_t sd = static_cast<std::size_t>(envs_[0]->state_dim());
  const std::size_t d = observation_dim();
  CheckSize("observations", observations.size(), n, d, "observation_dim");
  CheckSize("state.states", state.states.size(), n, sd, "state_dim");
  CheckSize("state.elapsed_steps", state.elapsed_steps.size(), n, 1, "");
  CheckSize("state.rngs", state.rngs.size(), n, 1, "");
  // Validate every copy before moving any, so a bad entry changes nothing.
  for (std::size_t i = 0; i < n; ++i) {
    const int limit = envs_[i]->max_episode_steps();
    const int e = state.elapsed_steps[i];
    if (e < 0 || (limit > 0 && e >= limit)) {
      throw Error(fmt::format("VectorEnv: state.elapsed_steps[{}] = {}; expected 0 <= steps < {}", i, e, limit));
    }
    for (std::size_t k = 0; k < sd; ++k) {
      const double v = state.states[i * sd + k];
      if (!std::isfinite(v)) {
        throw Error(fmt::format("VectorEnv: state.states[{}][{}] = {}; expected a finite number", i, k, v));
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    envs_[i]->RestoreEpisode(std::span<const double>(state.states).subspan(i * sd, sd), state.elapsed_steps[i]);
    envs_[i]->rng().RestoreState(state.rngs[i]);
    envs_[i]->Observe(observations.subspan(i * d, d));
  }
  started_ = true;
}

}  // namespace cai::env
