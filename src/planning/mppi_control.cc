#include "cai/planning/mppi_control.h"
#include "cai/planning/pendulum_value.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <optional>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/options.h"
#include "cai/env/environment.h"
#include "cai/env/pendulum.h"

namespace cai::planning {
namespace {

constexpr double kUprightAngle = 0.2;

bool HasEnergyReward(std::string_view env) { return env == "Pendulum-v1" || env == "MountainCarContinuous-v0"; }

// The checks of MakePlanningModel: the first problem, if any.
std::optional<OptionProblem> CheckModel(std::string_view env, double energy_weight) {
  const std::vector<std::string> names = BatchedDynamicsNames();
  if (std::find(names.begin(), names.end(), env) == names.end()) {
    return OptionProblem{"env", fmt::format("\"{}\"", env), fmt::format("one of: {}", fmt::join(names, ", "))};
  }
  if (!std::isfinite(energy_weight) || energy_weight < 0.0) {
    return OptionProblem{"energy_weight", fmt::format("{}", energy_weight), "a finite number >= 0"};
  }
  if (energy_weight != 0.0 && !HasEnergyReward(env)) {
    return OptionProblem{"energy_weight", fmt::format("{}", energy_weight),
                         fmt::format("0 (the terminal energy reward is for Pendulum-v1 and MountainCarContinuous-v0; "
                                     "env is {})",
                                     env)};
  }
  return std::nullopt;
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
  ThrowInvalidOption({"smoothing", fmt::format("\"{}\"", name), "none, moving-average or exponential"}, "MppiOptions");
}

std::unique_ptr<BatchedDynamics> MakePlanningModel(std::string_view env, double energy_weight) {
  if (const auto p = CheckModel(env, energy_weight)) {
    throw Error(fmt::format("{} = {}; expected {}", p->field, p->value, p->expected));
  }
  if (env == "Pendulum-v1") return std::make_unique<BatchedPendulum>(10.0, energy_weight);
  if (env == "MountainCarContinuous-v0") {
    return std::make_unique<BatchedMountainCarContinuous>(MountainCarModelOptions{.energy_weight = energy_weight});
  }
  return MakeBatchedDynamics(env);
}

std::vector<std::string> MppiControlEnvNames() {
  return {"Pendulum-v1", "MountainCarContinuous-v0", "CartPoleSwingUp-v0"};
}

const OptionList<MppiControlOptions>& MppiControlOptionList() {
  using O = MppiControlOptions;
  static const OptionList<O> list = [] {
    OptionList<O> t("mppi-control", "MppiControlOptions");
    t.Add("env", &O::env, "environment with a batched model (Pendulum-v1, MountainCarContinuous-v0, CartPoleSwingUp-v0)")
        .Add("steps", &O::steps, "control steps (0: the environment's time limit)",
             AtLeast(0, "an integer >= 0 (0: the time limit)"))
        .Add("energy_weight", &O::energy_weight,
             "Pendulum-v1, MountainCarContinuous-v0: weight of the model's terminal energy reward (a cost-to-go "
             "heuristic for short horizons; 0: none)")
        .Add("value_grid", &O::value_grid,
             "Pendulum-v1: add a terminal value V(s_T), the discounted optimal value by exact value iteration on an "
             "N x N grid over (theta, theta_dot) (e.g. 151; 0: none)")
        .Add("value_discount", &O::value_discount, "discount of the value_grid value iteration, in (0, 1)",
             Rule<double>([](double d) { return d > 0.0 && d < 1.0; }, "a number in (0, 1)"))
        .Add("random_start", &O::random_start,
             "Pendulum-v1: seeded reset instead of the hanging state (the other tasks always start from their "
             "seeded reset)")
        .Nest(&O::mppi, MppiOptionList(), {}, false);
    return t;
  }();
  return list;
}

void ValidateMppiControlOptions(const MppiControlOptions& o) {
  const auto invalid = [](OptionProblem p) { ThrowInvalidOption(std::move(p), "MppiControlOptions"); };
  const std::vector<std::string> names = MppiControlEnvNames();
  if (std::find(names.begin(), names.end(), o.env) == names.end()) {
    invalid({"env", fmt::format("\"{}\"", o.env),
             fmt::format("an environment with a batched model and a simulator: {}", fmt::join(names, ", "))});
  }
  MppiControlOptionList().Validate(o);
  if (const auto p = CheckModel(o.env, o.energy_weight)) invalid(*p);
  if (o.value_grid != 0 && (o.env != "Pendulum-v1" || o.value_grid < 8 || o.value_grid > 4096)) {
    invalid({"value_grid", std::to_string(o.value_grid),
             fmt::format("0 (none), or an integer in [8, 4096] for Pendulum-v1 (env is {})", o.env)});
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
