#include "cai/env/environment.h"

#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/env/acrobot.h"
#include "cai/env/cart_pole.h"
#include "cai/env/mountain_car_continuous.h"
#include "cai/env/pendulum.h"

namespace cai::env {

Space Space::Box(std::vector<double> low, std::vector<double> high) {
  if (low.empty() || low.size() != high.size()) {
    throw Error(fmt::format("Box: {} lower and {} upper bounds (expected the same number, >= 1)", low.size(), high.size()));
  }
  for (std::size_t i = 0; i < low.size(); ++i) {
    if (std::isnan(low[i]) || std::isnan(high[i]) || !(low[i] <= high[i])) {
      throw Error(fmt::format("Box: bounds[{}] = [{}, {}] (expected low <= high)", i, low[i], high[i]));
    }
  }
  Space s;
  s.low_ = std::move(low);
  s.high_ = std::move(high);
  return s;
}

Space Space::Discrete(int n) {
  if (n < 1) throw Error(fmt::format("Discrete: n = {} (expected >= 1)", n));
  Space s;
  s.discrete_ = true;
  s.n_ = n;
  return s;
}

std::string Space::ToString() const {
  if (discrete_) return fmt::format("Discrete({})", n_);
  return fmt::format("Box([{}], [{}])", fmt::join(low_, ", "), fmt::join(high_, ", "));
}

void Environment::set_max_episode_steps(int steps) {
  if (steps < 0) throw Error(fmt::format("max_episode_steps: {} is invalid (expected an integer >= 0)", steps));
  max_episode_steps_ = steps;
}

void Environment::Reset(std::optional<std::uint64_t> seed, std::span<float> observation) {
  if (seed) rng_ = Rng(*seed);
  DoReset();
  elapsed_steps_ = 0;
  needs_reset_ = false;
  Observe(observation);
}

StepResult Environment::Step(std::span<const double> action, std::span<float> observation) {
  if (needs_reset_) {
    throw Error(fmt::format("{}: step called before reset or after the episode ended (call reset first)", name()));
  }
  const Space& space = action_space();
  if (static_cast<int>(action.size()) != space.dim()) {
    throw Error(fmt::format("{}: action has {} entries (expected {} for {})", name(), action.size(), space.dim(),
                            space.ToString()));
  }
  for (std::size_t i = 0; i < action.size(); ++i) {
    if (!std::isfinite(action[i])) {
      throw Error(fmt::format("{}: action[{}] = {} is not finite", name(), i, action[i]));
    }
  }
  if (space.is_discrete() && (action[0] != std::floor(action[0]) || action[0] < 0 || action[0] >= space.n())) {
    throw Error(fmt::format("{}: action[0] = {} is invalid (expected an integer in [0, {}) for {})", name(), action[0],
                            space.n(), space.ToString()));
  }
  StepResult r = DoStep(action);
  ++elapsed_steps_;
  if (max_episode_steps_ > 0 && elapsed_steps_ >= max_episode_steps_) r.truncated = true;
  if (r.terminated || r.truncated) needs_reset_ = true;
  Observe(observation);
  return r;
}

void Environment::SetState(std::span<const double> state) {
  if (static_cast<int>(state.size()) != state_dim()) {
    throw Error(fmt::format("{}: state has {} entries (expected {})", name(), state.size(), state_dim()));
  }
  for (std::size_t i = 0; i < state.size(); ++i) {
    if (!std::isfinite(state[i])) throw Error(fmt::format("{}: state[{}] = {} is not finite", name(), i, state[i]));
  }
  DoSetState(state);
}

std::vector<std::string> EnvironmentNames() {
  return {"Pendulum-v1", "MountainCarContinuous-v0", "CartPole-v1", "Acrobot-v1"};
}

std::unique_ptr<Environment> MakeEnvironment(std::string_view name) {
  if (name == "Pendulum-v1") return std::make_unique<Pendulum>();
  if (name == "MountainCarContinuous-v0") return std::make_unique<MountainCarContinuous>();
  if (name == "CartPole-v1") return std::make_unique<CartPole>();
  if (name == "Acrobot-v1") return std::make_unique<Acrobot>();
  throw Error(fmt::format("--env: unknown environment \"{}\" (expected one of: {})", name,
                          fmt::join(EnvironmentNames(), ", ")));
}

}  // namespace cai::env
