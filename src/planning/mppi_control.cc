#include "cai/planning/mppi_control.h"
#include "cai/planning/pendulum_value.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/env/environment.h"
#include "cai/env/pendulum.h"

namespace cai::planning {
namespace {

constexpr double kUprightAngle = 0.2;

bool HasEnergyReward(std::string_view env) { return env == "Pendulum-v1" || env == "MountainCarContinuous-v0"; }

// The checks of MakePlanningModel, with errors naming `prefix` + field.
void CheckModel(std::string_view env, double energy_weight, std::string_view prefix) {
  const std::vector<std::string> names = BatchedDynamicsNames();
  if (std::find(names.begin(), names.end(), env) == names.end()) {
    throw Error(fmt::format("{}env = \"{}\"; expected one of: {}", prefix, env, fmt::join(names, ", ")));
  }
  if (!std::isfinite(energy_weight) || energy_weight < 0.0) {
    throw Error(fmt::format("{}energy_weight = {}; expected a finite number >= 0", prefix, energy_weight));
  }
  if (energy_weight != 0.0 && !HasEnergyReward(env)) {
    throw Error(fmt::format("{}energy_weight = {}; expected 0 (the terminal energy reward is for Pendulum-v1 and "
                            "MountainCarContinuous-v0; env is {})",
                            prefix, energy_weight, env));
  }
}

// Index of the pole angle in the simulator state (0 = upright), or -1 (MountainCar: the position).
int AngleIndex(std::string_view env) {
  if (env == "Pendulum-v1") return 0;
  if (env == "CartPoleSwingUp-v0") return 2;
  return -1;
}

}  // namespace

const char* MppiSmoothingName(MppiSmoothing smoothing) {
  switch (smoothing) {
    case MppiSmoothing::kNone:
      return "none";
    case MppiSmoothing::kMovingAverage:
      return "moving-average";
    case MppiSmoothing::kExponential:
      return "exponential";
  }
  return "none";
}

MppiSmoothing ParseMppiSmoothing(std::string_view name) {
  if (name == "none") return MppiSmoothing::kNone;
  if (name == "moving-average") return MppiSmoothing::kMovingAverage;
  if (name == "exponential") return MppiSmoothing::kExponential;
  throw Error(fmt::format("MppiOptions.smoothing = \"{}\"; expected none, moving-average or exponential", name));
}

std::unique_ptr<BatchedDynamics> MakePlanningModel(std::string_view env, double energy_weight) {
  CheckModel(env, energy_weight, "");
  if (env == "Pendulum-v1") return std::make_unique<BatchedPendulum>(10.0, energy_weight);
  if (env == "MountainCarContinuous-v0") {
    return std::make_unique<BatchedMountainCarContinuous>(MountainCarModelOptions{.energy_weight = energy_weight});
  }
  return MakeBatchedDynamics(env);
}

std::vector<std::string> MppiControlEnvNames() {
  return {"Pendulum-v1", "MountainCarContinuous-v0", "CartPoleSwingUp-v0"};
}

void ValidateMppiControlOptions(const MppiControlOptions& o) {
  const std::vector<std::string> names = MppiControlEnvNames();
  if (std::find(names.begin(), names.end(), o.env) == names.end()) {
    throw Error(fmt::format("MppiControlOptions.env = \"{}\"; expected an environment with a batched model and a "
                            "simulator: {}",
                            o.env, fmt::join(names, ", ")));
  }
  if (o.steps < 0) {
    throw Error(fmt::format("MppiControlOptions.steps = {}; expected an integer >= 0 (0: the time limit)", o.steps));
  }
  CheckModel(o.env, o.energy_weight, "MppiControlOptions.");
  if (o.value_grid != 0 && (o.env != "Pendulum-v1" || o.value_grid < 8 || o.value_grid > 4096)) {
    throw Error(fmt::format("MppiControlOptions.value_grid = {}; expected 0 (none), or an integer in [8, 4096] for "
                            "Pendulum-v1 (env is {})",
                            o.value_grid, o.env));
  }
  if (!(o.value_discount > 0.0 && o.value_discount < 1.0)) {
    throw Error(fmt::format("MppiControlOptions.value_discount = {}; expected a number in (0, 1)", o.value_discount));
  }
  ValidateMppiOptions(o.mppi, *MakePlanningModel(o.env, o.energy_weight));
}

MppiControlResult RunMppiControl(const MppiControlOptions& o) {
  ValidateMppiControlOptions(o);
  const std::unique_ptr<BatchedDynamics> model = MakePlanningModel(o.env, o.energy_weight);
  if (o.value_grid > 0) {
    PendulumValueOptions vo;
    vo.angle_bins = vo.velocity_bins = o.value_grid;
    vo.discount = o.value_discount;
    static_cast<BatchedPendulum&>(*model).set_terminal_value(PendulumValueTable::Solve(vo));
  }
  Mppi mppi(*model, o.mppi);
  std::unique_ptr<env::Environment> environment = env::MakeEnvironment(o.env);
  const int steps = o.steps == 0 ? environment->max_episode_steps() : o.steps;
  if (steps > environment->max_episode_steps()) environment->set_max_episode_steps(steps);

  MppiControlResult r;
  r.env = o.env;
  const int angle_index = AngleIndex(o.env);
  r.tracks_angle = angle_index >= 0;
  std::vector<float> obs(static_cast<std::size_t>(environment->observation_dim()));
  environment->Reset(o.mppi.seed, obs);
  const bool hanging_start = o.env == "Pendulum-v1" && !o.random_start;
  if (hanging_start) {
    const std::vector<double> hanging = {std::numbers::pi, 0.0};
    environment->SetState(hanging);
  }
  r.start = hanging_start ? "hanging (theta=pi, theta_dot=0)" : fmt::format("reset(seed={})", o.mppi.seed);
  r.states.push_back(environment->state());
  const auto track = [&] {
    r.tracked.push_back(angle_index >= 0 ? env::Pendulum::NormalizeAngle(r.states.back()[angle_index])
                                         : r.states.back()[0]);
  };
  track();
  std::vector<double> action(static_cast<std::size_t>(environment->action_dim()));
  for (int t = 0; t < steps; ++t) {
    const auto start = std::chrono::steady_clock::now();
    const MppiSummary s = mppi.Plan(environment->state(), action);
    r.ms_per_step.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    const env::StepResult step = environment->Step(action, obs);
    r.total_return += step.reward;
    r.states.push_back(environment->state());
    r.actions.push_back(action);
    r.rewards.push_back(step.reward);
    r.effective_sample_size.push_back(s.effective_sample_size);
    r.weighted_return.push_back(s.weighted_return);
    track();
    if (angle_index >= 0) {
      if (std::abs(r.tracked.back()) >= kUprightAngle) {
        r.steps_to_upright = -1;
      } else if (r.steps_to_upright < 0) {
        r.steps_to_upright = t + 1;
      }
    }
    if (step.terminated) {
      r.steps_to_goal = t + 1;
      break;
    }
  }
  return r;
}

}  // namespace cai::planning
