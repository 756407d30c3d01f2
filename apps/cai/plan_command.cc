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
#include "cai/core/options.h"
#include "cai/core/file.h"
#include "cai/env/environment.h"
#include "cai/env/mountain_car_continuous.h"
#include "cai/env/pendulum.h"
#include "cai/planning/mppi.h"
#include "cai/planning/mppi_control.h"
#include "commands.h"
#include "option_flags.h"

namespace cai::cli {
namespace {

// What `cai plan mppi` writes and prints, beyond MppiControlOptions' flags.
struct PlanArgs {
  std::string out, svg;
  bool json = false;
};

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

void RunPlan(const PlanArgs& a, const OptionFlags& flags) {
  const planning::MppiControlOptions c = flags.Apply(planning::MppiControlOptionList(), {});
  const planning::MppiControlResult r = flags.Named([&] { return planning::RunMppiControl(c); });
  const planning::MppiOptions& o = c.mppi;
  const Task task = TaskOf(c.env);
  const std::vector<double>& ms = r.ms_per_step;
  const std::vector<double>& tracked = r.tracked;
  std::vector<double> actions;
  for (const std::vector<double>& action : r.actions) actions.push_back(action[0]);
  const std::vector<std::vector<double>>& states = r.states;
  const double total = r.total_return;
  const int upright_since = r.steps_to_upright, goal_step = r.steps_to_goal;
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  double mean = 0.0;
  for (double v : ms) mean += v;
  mean /= static_cast<double>(ms.size());
  const std::string& start_name = r.start;
  const auto or_null = [](int v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json summary = {{"env", c.env},
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
  if (c.env != "CartPoleSwingUp-v0") summary["energy_weight"] = c.energy_weight;
  if (c.env == "Pendulum-v1") {
    summary["value_grid"] = c.value_grid;
    if (c.value_grid > 0) summary["value_discount"] = c.value_discount;
  }
  if (!a.out.empty()) {
    nlohmann::json j = summary;
    j["format"] = "cai.mppi_trajectory/1";
    j["states"] = states;
    j["actions"] = actions;
    j["rewards"] = r.rewards;
    j["ess"] = r.effective_sample_size;
    j["weighted_return"] = r.weighted_return;
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
  std::printf("MPPI on %s from %s: K=%d T=%d temperature=%g, %zu steps\n", c.env.c_str(), start_name.c_str(),
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
  auto flags = std::make_shared<OptionFlags>(cmd, planning::MppiControlOptionList().Infos());
  cmd->add_option("--out", a.out, "write the trajectory (states, actions, rewards, per-step ESS) as JSON");
  cmd->add_option("--svg", a.svg, "draw angle and torque over time as SVG");
  cmd->add_flag("--json", a.json, "print the result as one JSON object");
  cmd->callback([args, flags]() { RunPlan(*args, *flags); });
}

}  // namespace cai::cli
