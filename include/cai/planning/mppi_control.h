// Closed-loop model-predictive control with MPPI on a simulator and its batched model: at each step
// plan from the simulator's state with the model, apply the first action, record what happened.
// Shared by `cai plan mppi` and cai.planning.run (Python).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cai/planning/batched_dynamics.h"
#include "cai/planning/mppi.h"

namespace cai::planning {

/// "none", "moving-average", "exponential".
const char* MppiSmoothingName(MppiSmoothing smoothing);
/// Parses the names above; throws cai::Error "MppiOptions.smoothing = "<name>"; expected ...".
MppiSmoothing ParseMppiSmoothing(std::string_view name);

/// The planning model of `env`: MakeBatchedDynamics(env), except that Pendulum-v1 and
/// MountainCarContinuous-v0 get the terminal energy reward of weight `energy_weight` (their
/// cost-to-go heuristic; 0: none). Throws cai::Error naming "energy_weight" unless it is finite and
/// >= 0, and 0 for the other models; or naming "env" for an unknown name.
std::unique_ptr<BatchedDynamics> MakePlanningModel(std::string_view env, double energy_weight = 0.0);

/// Environments with both a batched model and a simulator (where RunMppiControl works).
std::vector<std::string> MppiControlEnvNames();

struct MppiControlOptions {
  /// One of MppiControlEnvNames().
  std::string env = "Pendulum-v1";
  MppiOptions mppi = {};
  /// Control steps (>= 0; 0: the environment's time limit). More than the time limit raises it.
  int steps = 0;
  /// See MakePlanningModel.
  double energy_weight = 0.0;
  /// Pendulum-v1 only: > 0 adds the terminal value V(s_T) computed by exact value iteration on a
  /// value_grid x value_grid grid (PendulumValueTable, include/cai/planning/pendulum_value.h); 0: none.
  int value_grid = 0;
  /// The discount of that value iteration (PendulumValueOptions.discount), in (0, 1).
  double value_discount = 0.99;
  /// Pendulum-v1 starts hanging at rest (theta = pi, theta_dot = 0) unless this is set; then, as the
  /// other tasks always do, from the simulator's Reset(mppi.seed).
  bool random_start = false;
};

/// The fields of MppiControlOptions, the planner's among them (JSON, CLI flags, Python keywords);
/// the rules that need the environment are ValidateMppiControlOptions'.
const OptionList<MppiControlOptions>& MppiControlOptionList();
/// Throws cai::OptionError naming the field ("MppiControlOptions.env", ".steps", ".energy_weight",
/// ".value_grid") and
/// then, as ValidateMppiOptions, the MPPI options ("MppiOptions.<field>") for the env's model.
void ValidateMppiControlOptions(const MppiControlOptions& options);

struct MppiControlResult {
  std::string env;
  /// "hanging (theta=pi, theta_dot=0)" or "reset(seed=<seed>)".
  std::string start;
  /// Simulator states, steps + 1 of them (the first is the start).
  std::vector<std::vector<double>> states;
  /// Actions applied, one per step (action_dim numbers each).
  std::vector<std::vector<double>> actions;
  std::vector<double> rewards;
  /// Per step, the planner's summary of its last iteration.
  std::vector<double> effective_sample_size;
  std::vector<double> weighted_return;
  /// Wall-clock milliseconds of each Plan call.
  std::vector<double> ms_per_step;
  /// Per state: the pole angle from upright in [-pi, pi) (tracks_angle) or else the position.
  std::vector<double> tracked;
  bool tracks_angle = false;
  /// Sum of the rewards.
  double total_return = 0.0;
  /// tracks_angle: the step from which |angle| < 0.2 held to the end, or -1.
  int steps_to_upright = -1;
  /// Otherwise: the step at which the episode terminated (goal reached), or -1.
  int steps_to_goal = -1;
};

/// Runs closed-loop MPPI (options validated first, see ValidateMppiControlOptions). Stops early when
/// the simulator reports termination. Deterministic for given options (timings aside).
MppiControlResult RunMppiControl(const MppiControlOptions& options);

}  // namespace cai::planning
