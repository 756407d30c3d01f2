// cai plan mppi: closed-loop model-predictive control (MPPI) on a simulator with its batched model.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/file.h"
#include "cai/env/environment.h"
#include "cai/env/mountain_car_continuous.h"
#include "cai/env/pendulum.h"
#include "cai/planning/mppi.h"
#include "cai/planning/pendulum_value.h"
#include "commands.h"

namespace cai::cli {
namespace {

struct PlanArgs {
  std::string env = "Pendulum-v1";
  planning::MppiOptions o;
  std::vector<double> noise = {1.0};
  int steps = 0;  // 0: the environment's time limit
  double energy_weight = 0.0;
  int value_grid = 0;  // Pendulum-v1: terminal value by value iteration on a value_grid^2 grid (0: none)
  std::string smoothing = "none";
  bool random_start = false;
  std::string out, svg;
  bool json = false;
};

// Library option errors name MppiOptions fields; the command names its flags instead.
[[noreturn]] void RethrowAsFlag(const Error& e) {
  static const std::pair<const char*, const char*> kFlags[] = {
      {"MppiOptions.samples", "--samples"},       {"MppiOptions.horizon", "--horizon"},
      {"MppiOptions.temperature", "--temperature"}, {"MppiOptions.noise_std", "--noise"},
      {"MppiOptions.iterations", "--iterations"}, {"MppiOptions.smoothing_window", "--smoothing-window"},
      {"MppiOptions.smoothing_alpha", "--smoothing-alpha"}, {"MppiOptions.threads", "--threads"}};
  std::string msg = e.what();
  for (const auto& [field, flag] : kFlags) {
    if (msg.rfind(field, 0) == 0) {
      msg = flag + msg.substr(std::string(field).size());
      break;
    }
  }
  throw Error(msg);
}

// Two stacked panels of polylines over time (e.g. angle and torque).
struct Panel {
  const std::vector<double>* values;
  double lo, hi;
  std::string label;
  const char* color;
};

std::string Svg(const Panel& first, const Panel& second) {
  const double w = 800, h = 200, left = 50, right = 10, top = 20, gap = 40;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      w, 2 * h + gap + 2 * top);
  const auto panel = [&](const Panel& p, double y0) {
    const std::vector<double>& v = *p.values;
    const double lo = p.lo, hi = p.hi;
    const double inner = h - top;
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", left, y0,
                     w - left - right, inner);
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", left, y0 - 5, p.label);
    s += fmt::format("<text x=\"2\" y=\"{}\">{:.2f}</text><text x=\"2\" y=\"{}\">{:.2f}</text>\n", y0 + 12, hi,
                     y0 + inner, lo);
    if (lo < 0 && hi > 0) {
      const double zero = y0 + inner * (hi / (hi - lo));
      s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", left, zero,
                       w - right, zero);
    }
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"", p.color);
    const double n = std::max<double>(1.0, static_cast<double>(v.size()) - 1);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double x = left + (w - left - right) * static_cast<double>(i) / n;
      const double y = y0 + inner * (hi - std::clamp(v[i], lo, hi)) / (hi - lo);
      s += fmt::format("{}{:.1f},{:.1f}", i ? " " : "", x, y);
    }
    s += "\"/>\n";
  };
  panel(first, top);
  panel(second, top + h + gap);
  s += "</svg>\n";
  return s;
}

// What `cai plan mppi` needs to know about a task beyond its simulator and model.
struct Task {
  int angle_index = -1;     // state entry of the pole angle (0 = upright), or -1 (MountainCar)
  double action_bound = 1;  // |action| <= action_bound
  const char* action_label = "";
};

Task TaskOf(const std::string& env) {
  if (env == "Pendulum-v1") return {0, env::Pendulum::kMaxTorque, "torque"};
  if (env == "CartPoleSwingUp-v0") return {2, 1.0, "force / 10 N"};
  return {-1, 1.0, "force"};
}

void RunPlan(const PlanArgs& a) {
  if (a.steps < 0) throw Error(fmt::format("--steps: {} is invalid (expected an integer >= 0; 0 means the time limit)", a.steps));
  if (a.env != "Pendulum-v1" && a.env != "MountainCarContinuous-v0" && a.env != "CartPoleSwingUp-v0") {
    throw Error(fmt::format("--env: \"{}\" has no batched model and simulator pair (expected Pendulum-v1, "
                            "MountainCarContinuous-v0 or CartPoleSwingUp-v0)",
                            a.env));
  }
  if (a.energy_weight != 0.0 && a.env == "CartPoleSwingUp-v0") {
    throw Error(fmt::format("--energy-weight: {} is for Pendulum-v1 and MountainCarContinuous-v0 (--env is {})",
                            a.energy_weight, a.env));
  }
  if (a.value_grid != 0 && a.env != "Pendulum-v1") {
    throw Error(fmt::format("--value-grid: {} is for Pendulum-v1 (--env is {})", a.value_grid, a.env));
  }
  if (a.value_grid != 0 && (a.value_grid < 8 || a.value_grid > 4096)) {
    throw Error(fmt::format("--value-grid: {} is invalid (expected 0 for none, or an integer in [8, 4096])", a.value_grid));
  }
  planning::MppiOptions o = a.o;
  o.noise_std = a.noise;
  if (a.smoothing == "none") {
    o.smoothing = planning::MppiSmoothing::kNone;
  } else if (a.smoothing == "moving-average") {
    o.smoothing = planning::MppiSmoothing::kMovingAverage;
  } else if (a.smoothing == "exponential") {
    o.smoothing = planning::MppiSmoothing::kExponential;
  } else {
    throw Error(fmt::format("--smoothing: \"{}\" is invalid (expected none, moving-average or exponential)", a.smoothing));
  }
  const Task task = TaskOf(a.env);
  std::unique_ptr<env::Environment> environment = env::MakeEnvironment(a.env);
  std::shared_ptr<const planning::PendulumValueTable> value_table;
  if (a.value_grid > 0) {
    planning::PendulumValueOptions vo;
    vo.angle_bins = vo.velocity_bins = a.value_grid;
    value_table = planning::PendulumValueTable::Solve(vo);
  }
  std::unique_ptr<planning::BatchedDynamics> model;
  if (a.env != "CartPoleSwingUp-v0") {
    try {
      if (a.env == "Pendulum-v1") {
        auto pendulum = std::make_unique<planning::BatchedPendulum>(10.0, a.energy_weight);
        pendulum->set_terminal_value(value_table);
        model = std::move(pendulum);
      } else {
        model = std::make_unique<planning::BatchedMountainCarContinuous>(
            planning::MountainCarModelOptions{.energy_weight = a.energy_weight});
      }
    } catch (const Error&) {
      throw Error(fmt::format("--energy-weight: {} is invalid (expected a finite number >= 0)", a.energy_weight));
    }
  } else {
    model = planning::MakeBatchedDynamics(a.env);
  }
  std::unique_ptr<planning::Mppi> mppi;
  try {
    mppi = std::make_unique<planning::Mppi>(*model, o);
  } catch (const Error& e) {
    RethrowAsFlag(e);
  }
  const int steps = a.steps == 0 ? environment->max_episode_steps() : a.steps;
  if (steps > environment->max_episode_steps()) environment->set_max_episode_steps(steps);
  std::vector<float> obs(environment->observation_dim());
  environment->Reset(o.seed, obs);
  const bool hanging_start = a.env == "Pendulum-v1" && !a.random_start;
  if (hanging_start) {
    const std::vector<double> hanging = {std::numbers::pi, 0.0};
    environment->SetState(hanging);
  }
  std::vector<std::vector<double>> states = {environment->state()};
  std::vector<double> actions, rewards, ess, weighted, ms, tracked;
  std::vector<double> action(environment->action_dim());
  double total = 0.0;
  int upright_since = -1, goal_step = -1;
  const auto track = [&] {
    tracked.push_back(task.angle_index >= 0 ? env::Pendulum::NormalizeAngle(states.back()[task.angle_index])
                                            : states.back()[0]);
  };
  track();
  for (int t = 0; t < steps; ++t) {
    const auto start = std::chrono::steady_clock::now();
    const planning::MppiSummary s = mppi->Plan(environment->state(), action);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    const env::StepResult step = environment->Step(action, obs);
    total += step.reward;
    states.push_back(environment->state());
    actions.push_back(action[0]);
    rewards.push_back(step.reward);
    ess.push_back(s.effective_sample_size);
    weighted.push_back(s.weighted_return);
    track();
    if (task.angle_index >= 0) {
      if (std::abs(tracked.back()) >= 0.2) {
        upright_since = -1;
      } else if (upright_since < 0) {
        upright_since = t + 1;
      }
    }
    if (step.terminated) {
      goal_step = t + 1;
      break;
    }
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  double mean = 0.0;
  for (double v : ms) mean += v;
  mean /= static_cast<double>(ms.size());
  const std::string start_name =
      hanging_start ? "hanging (theta=pi, theta_dot=0)" : fmt::format("reset(seed={})", o.seed);
  const auto or_null = [](int v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json summary = {{"env", a.env},
                            {"start", start_name},
                            {"steps", static_cast<int>(actions.size())},
                            {"return", total},
                            {"ms_per_step_median", median},
                            {"ms_per_step_mean", mean},
                            {"samples", o.samples},
                            {"horizon", o.horizon},
                            {"temperature", o.temperature},
                            {"noise_std", o.noise_std},
                            {"iterations", o.iterations},
                            {"threads", o.threads},
                            {"seed", o.seed}};
  if (task.angle_index >= 0) {
    summary["steps_to_upright"] = or_null(upright_since);
  } else {
    summary["steps_to_goal"] = or_null(goal_step);
  }
  if (a.env != "CartPoleSwingUp-v0") summary["energy_weight"] = a.energy_weight;
  if (a.env == "Pendulum-v1") summary["value_grid"] = a.value_grid;
  if (!a.out.empty()) {
    nlohmann::json j = summary;
    j["format"] = "cai.mppi_trajectory/1";
    j["states"] = states;
    j["actions"] = actions;
    j["rewards"] = rewards;
    j["ess"] = ess;
    j["weighted_return"] = weighted;
    j["ms_per_step"] = ms;
    WriteFileAtomically(a.out, j.dump(1) + "\n");
  }
  if (!a.svg.empty()) {
    const Panel first = task.angle_index >= 0
                            ? Panel{&tracked, -std::numbers::pi, std::numbers::pi, "angle from upright (rad) vs step",
                                    "#1f77b4"}
                            : Panel{&tracked, env::MountainCarContinuous::kMinPosition,
                                    env::MountainCarContinuous::kMaxPosition, "position vs step (goal 0.45)", "#1f77b4"};
    const Panel second{&actions, -task.action_bound, task.action_bound, fmt::format("{} vs step", task.action_label),
                       "#d62728"};
    WriteFileAtomically(a.svg, Svg(first, second));
  }
  if (a.json) {
    std::printf("%s\n", summary.dump().c_str());
    return;
  }
  std::printf("MPPI on %s from %s: K=%d T=%d temperature=%g, %zu steps\n", a.env.c_str(), start_name.c_str(),
              o.samples, o.horizon, o.temperature, actions.size());
  if (task.angle_index >= 0) {
    std::printf("return %.2f; upright (|theta| < 0.2 to the end) from step %s\n", total,
                upright_since < 0 ? "never" : std::to_string(upright_since).c_str());
  } else {
    std::printf("return %.2f; goal reached at step %s\n", total,
                goal_step < 0 ? "never" : std::to_string(goal_step).c_str());
  }
  std::printf("time per control step: median %.3f ms, mean %.3f ms\n", median, mean);
}

}  // namespace

void AddPlanCommand(CLI::App& app) {
  CLI::App* plan = app.add_subcommand("plan", "model-based control as inference (MPPI)");
  plan->require_subcommand(1);
  auto args = std::make_shared<PlanArgs>();
  PlanArgs& a = *args;
  CLI::App* cmd = plan->add_subcommand("mppi", "closed-loop MPPI on a simulator with its own model");
  cmd->add_option("--env", a.env,
                  "environment with a batched model (Pendulum-v1, MountainCarContinuous-v0, CartPoleSwingUp-v0)")->capture_default_str();
  cmd->add_option("--samples", a.o.samples, "K, sampled action sequences per iteration")->capture_default_str();
  cmd->add_option("--horizon", a.o.horizon, "T, planning horizon in steps")->capture_default_str();
  cmd->add_option("--temperature", a.o.temperature, "lambda of the weights exp(R / lambda)")->capture_default_str();
  cmd->add_option("--noise", a.noise, "proposal standard deviation (one, or one per action dimension, comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--iterations", a.o.iterations, "sample-and-update rounds per control step")->capture_default_str();
  cmd->add_option("--smoothing", a.smoothing, "plan smoothing: none, moving-average, exponential")->capture_default_str();
  cmd->add_option("--smoothing-window", a.o.smoothing_window, "moving-average window (odd)")->capture_default_str();
  cmd->add_option("--smoothing-alpha", a.o.smoothing_alpha, "exponential smoothing factor in (0, 1]")->capture_default_str();
  cmd->add_flag("--no-warm-start", [&a](std::int64_t) { a.o.warm_start = false; }, "start each step from the zero plan");
  cmd->add_option("--threads", a.o.threads, "threads the samples are split over")->capture_default_str();
  cmd->add_option("--steps", a.steps, "control steps (0: the environment's time limit)")->capture_default_str();
  cmd->add_option("--energy-weight", a.energy_weight,
                  "Pendulum-v1, MountainCarContinuous-v0: weight of the model's terminal energy reward (a cost-to-go "
                  "heuristic for short horizons; 0: none)")
      ->capture_default_str();
  cmd->add_option("--value-grid", a.value_grid,
                  "Pendulum-v1: add a terminal value V(s_T), the discounted optimal value by exact value iteration "
                  "on an N x N grid over (theta, theta_dot) (e.g. 151; 0: none)")
      ->capture_default_str();
  cmd->add_option("--seed", a.o.seed, "seed of the planner noise (and of the reset with --random-start)")->capture_default_str();
  cmd->add_flag("--random-start", a.random_start, "Pendulum-v1: seeded Gymnasium reset instead of the hanging state (the other tasks always start "
                "from their seeded reset)");
  cmd->add_option("--out", a.out, "write the trajectory (states, actions, rewards, per-step ESS) as JSON");
  cmd->add_option("--svg", a.svg, "draw angle and torque over time as SVG");
  cmd->add_flag("--json", a.json, "print the result as one JSON object");
  cmd->callback([args]() { RunPlan(*args); });
}

}  // namespace cai::cli
