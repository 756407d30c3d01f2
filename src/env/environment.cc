#include "cai/env/environment.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "cai/core/error.h"

namespace cai::env {
namespace {

std::string FormatVector(const std::vector<double>& values) {
  return fmt::format("[{}]", fmt::join(values, ", "));
}

}  // namespace

Space Space::Box(std::vector<double> low, std::vector<double> high) {
  if (low.empty()) throw Error("Box: low is empty; expected at least one dimension");
  if (low.size() != high.size()) {
    throw Error(fmt::format("Box: low has {} entries and high has {}; expected equal lengths",
                            low.size(), high.size()));
  }
  for (std::size_t i = 0; i < low.size(); ++i) {
    if (std::isnan(low[i]) || std::isnan(high[i]) || low[i] > high[i]) {
      throw Error(fmt::format("Box: low[{0}] = {1}, high[{0}] = {2}; expected low <= high", i,
                              low[i], high[i]));
    }
  }
  Space space;
  space.low_ = std::move(low);
  space.high_ = std::move(high);
  return space;
}

Space Space::Discrete(int n) {
  if (n < 1) throw Error(fmt::format("Discrete: n = {}; expected n >= 1", n));
  Space space;
  space.discrete_ = true;
  space.n_ = n;
  return space;
}

bool Space::Contains(std::span<const double> x) const {
  if (static_cast<int>(x.size()) != dim()) return false;
  if (discrete_) return x[0] >= 0.0 && x[0] < n_ && std::floor(x[0]) == x[0];
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] >= low_[i] && x[i] <= high_[i])) return false;  // also rejects NaN
  }
  return true;
}

std::string Space::ToString() const {
  if (discrete_) return fmt::format("Discrete({})", n_);
  return fmt::format("Box({}, {})", FormatVector(low_), FormatVector(high_));
}

void Environment::set_max_episode_steps(int steps) {
  if (steps < 0) {
    throw Error(fmt::format("{}: max_episode_steps = {}; expected >= 0 (0 = no time limit)", name(),
                            steps));
  }
  max_episode_steps_ = steps;
}

void Environment::CheckObservationSize(std::span<float> observation) const {
  if (static_cast<int>(observation.size()) != observation_dim()) {
    throw Error(
        fmt::format("{}: observation buffer has {} floats; expected {} (observation space {})",
                    name(), observation.size(), observation_dim(), observation_space().ToString()));
  }
}

void Environment::CheckAction(std::span<const double> action) const {
  const Space& space = action_space();
  if (static_cast<int>(action.size()) != space.dim()) {
    throw Error(fmt::format("{}: action has {} entries; expected {} (action space {})", name(),
                            action.size(), space.dim(), space.ToString()));
  }
  for (std::size_t i = 0; i < action.size(); ++i) {
    if (!std::isfinite(action[i])) {
      throw Error(fmt::format("{}: action[{}] = {}; expected a finite number (action space {})",
                              name(), i, action[i], space.ToString()));
    }
  }
  if (space.is_discrete()) {
    const double a = action[0];
    if (std::floor(a) != a || a < 0.0 || a >= space.n()) {
      throw Error(
          fmt::format("{}: action[0] = {}; expected an integer in [0, {}) (action space {})",
                      name(), a, space.n(), space.ToString()));
    }
  }
}

void Environment::Reset(std::optional<std::uint64_t> seed, std::span<float> observation) {
  CheckObservationSize(observation);
  if (seed.has_value()) rng_ = Rng(*seed);
  DoReset();
  elapsed_steps_ = 0;
  needs_reset_ = false;
  Observe(observation);
}

StepResult Environment::Step(std::span<const double> action, std::span<float> observation) {
  if (needs_reset_) {
    throw Error(fmt::format("{}: Step called {}; call Reset first", name(),
                            elapsed_steps_ == 0
                                ? "before Reset"
                                : "after the episode ended (terminated or truncated)"));
  }
  CheckObservationSize(observation);
  CheckAction(action);
  StepResult result = DoStep(action);
  ++elapsed_steps_;
  if (max_episode_steps_ > 0 && elapsed_steps_ >= max_episode_steps_) result.truncated = true;
  if (result.terminated || result.truncated) needs_reset_ = true;
  Observe(observation);
  return result;
}

void Environment::SetState(std::span<const double> state) {
  if (static_cast<int>(state.size()) != state_dim()) {
    throw Error(
        fmt::format("{}: state has {} entries; expected {}", name(), state.size(), state_dim()));
  }
  for (std::size_t i = 0; i < state.size(); ++i) {
    if (!std::isfinite(state[i])) {
      throw Error(fmt::format("{}: state[{}] = {}; expected a finite number", name(), i, state[i]));
    }
  }
  DoSetState(state);
  needs_reset_ = false;
}

void Environment::RestoreEpisode(std::span<const double> state, int elapsed_steps) {
  if (elapsed_steps < 0 || (max_episode_steps_ > 0 && elapsed_steps >= max_episode_steps_)) {
    throw Error(fmt::format("{}: elapsed steps {} is invalid (expected 0 <= steps < the time limit {})", name(),
                            elapsed_steps, max_episode_steps_));
  }
  SetState(state);
  elapsed_steps_ = elapsed_steps;
}

}  // namespace cai::env
