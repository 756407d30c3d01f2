// Batched dynamics for sampling-based planners: K systems stepped at once, laid out as structure of
// arrays in float32 so that the per-sample loops vectorise (MPPI, include/cai/planning/mppi.h).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cai::planning {

class PendulumValueTable;

/// A structure-of-arrays batch: row i (one state or action coordinate) starts at data + i * stride
/// and holds one entry per system. The number of systems is given separately.
struct BatchView {
  float* data = nullptr;
  std::size_t stride = 0;
  float* row(int i) const { return data + static_cast<std::size_t>(i) * stride; }
};

/// Read-only BatchView.
struct ConstBatchView {
  const float* data = nullptr;
  std::size_t stride = 0;
  const float* row(int i) const { return data + static_cast<std::size_t>(i) * stride; }
};

/// Deterministic dynamics with a reward, stepped for many systems at once. Implementations keep no
/// per-call state, so one object may be stepped from several threads on disjoint batches.
class BatchedDynamics {
 public:
  virtual ~BatchedDynamics() = default;

  /// A short name, e.g. "Pendulum-v1".
  virtual std::string_view name() const = 0;
  /// Floats per state.
  virtual int state_dim() const = 0;
  /// Floats per action.
  virtual int action_dim() const = 0;
  /// Lower action bounds (action_dim entries; -infinity allowed).
  virtual std::span<const float> action_low() const = 0;
  /// Upper action bounds (action_dim entries; +infinity allowed).
  virtual std::span<const float> action_high() const = 0;

  /// Advances n = rewards.size() systems one step: states (state_dim rows, entries [0, n)) are
  /// updated in place, actions (action_dim rows) are clipped to the bounds as the simulator does,
  /// and rewards[k] = r(s_k, a_k) of the step is written. Does not allocate.
  virtual void Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const = 0;

  /// Adds a terminal reward (cost-to-go estimate) of the final states to rewards[k]; the default
  /// adds nothing.
  virtual void AddTerminalReward(ConstBatchView states, std::span<float> rewards) const;
};

/// Gymnasium's Pendulum-v1 (env::Pendulum) in float32. State [theta, theta_dot], action [torque]
/// clipped to [-2, 2]; reward -(normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2) on the state
/// before the step; theta_dot' = clip(theta_dot + (3 g / 2 sin(theta) + 3 u) dt, -8, 8),
/// theta' = theta + theta_dot' dt, dt = 0.05, m = l = 1. sin and the angle wrap use float
/// polynomials (absolute error of sin below 1e-6), so the loop vectorises.
class BatchedPendulum final : public BatchedDynamics {
 public:
  /// Throws cai::Error unless `gravity` is finite and `energy_weight` finite and >= 0.
  ///
  /// energy_weight w > 0 adds a terminal reward (AddTerminalReward, a cost-to-go heuristic for short
  /// horizons): -w ((E - E_up) / (E_up - E_down))^2 with the mechanical energy of the model
  /// E = theta_dot^2 / 2 + (3 g / 2) cos(theta) (E_up = 3 g / 2 at rest upright, E_down = -3 g / 2
  /// at rest hanging), so a plan that ends with the energy of the upright rest state costs nothing
  /// extra and one that ends at rest hanging costs w. 0 (default): the plain model.
  explicit BatchedPendulum(double gravity = 10.0, double energy_weight = 0.0);
  std::string_view name() const override { return "Pendulum-v1"; }
  int state_dim() const override { return 2; }
  int action_dim() const override { return 1; }
  std::span<const float> action_low() const override { return {&low_, 1}; }
  std::span<const float> action_high() const override { return {&high_, 1}; }
  void Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const override;
  void AddTerminalReward(ConstBatchView states, std::span<float> rewards) const override;
  double gravity() const { return gravity_; }
  double energy_weight() const { return energy_weight_; }
  /// Adds V(s_T) from `table` (include/cai/planning/pendulum_value.h: the discounted optimal value
  /// by exact value iteration on a grid) to every rollout's return, on top of any energy reward;
  /// nullptr removes it. The table is shared, read-only.
  void set_terminal_value(std::shared_ptr<const PendulumValueTable> table) { terminal_value_ = std::move(table); }
  const std::shared_ptr<const PendulumValueTable>& terminal_value() const { return terminal_value_; }

 private:
  double gravity_;
  double energy_weight_;
  std::shared_ptr<const PendulumValueTable> terminal_value_;
  float low_ = -2.0f;
  float high_ = 2.0f;
};

/// A point mass in the plane driven by a bounded force. State [x, y, vx, vy], action [fx, fy] in
/// [-max_force, max_force]^2, mass 1, semi-implicit Euler with step dt:
///   v' = v + f dt,  p' = p + v' dt,
///   reward = -(|p - target|^2 + velocity_cost |v|^2 + force_cost |f|^2)   (state before the step).
struct PointMassOptions {
  double target_x = 0.0;
  double target_y = 0.0;
  double dt = 0.1;
  double max_force = 1.0;
  double velocity_cost = 0.1;
  double force_cost = 0.01;
};

class BatchedPointMass final : public BatchedDynamics {
 public:
  /// Throws cai::Error naming the field unless dt > 0, max_force > 0 and the costs are >= 0
  /// (all finite).
  explicit BatchedPointMass(const PointMassOptions& options = {});
  std::string_view name() const override { return "PointMass2D"; }
  int state_dim() const override { return 4; }
  int action_dim() const override { return 2; }
  std::span<const float> action_low() const override { return low_; }
  std::span<const float> action_high() const override { return high_; }
  void Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const override;
  const PointMassOptions& options() const { return options_; }

 private:
  PointMassOptions options_;
  std::vector<float> low_, high_;
};

/// Gymnasium's MountainCarContinuous-v0 (env::MountainCarContinuous) in float32. State [position,
/// velocity], action [force] clipped to [-1, 1] for the dynamics:
///   velocity' = clip(velocity + 0.0015 force - 0.0025 cos(3 position), -0.07, 0.07),
///   position' = clip(position + velocity', -1.2, 0.6), velocity' = 0 at the left wall if < 0;
///   reward = 100 [position' >= 0.45 and velocity' >= 0] - 0.1 action^2 (the unclipped action).
/// The simulator ends the episode on reaching the goal; here a goal state (position >= 0.45,
/// velocity >= 0) is absorbing: it stays put and earns 0, so a rollout's return is the episode's.
///
/// The goal lies about 100 steps of pumping away from the valley, beyond a planning horizon of
/// tens of steps, so the model can add a terminal reward (AddTerminalReward): energy_weight times
/// the mechanical energy E = velocity^2 / 2 + (0.0025 / 3) sin(3 position) (the potential of the
/// -0.0025 cos(3 position) acceleration) rescaled so that 0 is rest at the valley bottom and 1 is
/// rest at the goal: a cost-to-go heuristic, 0 by default (the plain model).
struct MountainCarModelOptions {
  double energy_weight = 0.0;
};

class BatchedMountainCarContinuous final : public BatchedDynamics {
 public:
  /// Throws cai::Error naming the field unless energy_weight is finite and >= 0.
  explicit BatchedMountainCarContinuous(const MountainCarModelOptions& options = {});
  std::string_view name() const override { return "MountainCarContinuous-v0"; }
  int state_dim() const override { return 2; }
  int action_dim() const override { return 1; }
  std::span<const float> action_low() const override { return {&low_, 1}; }
  std::span<const float> action_high() const override { return {&high_, 1}; }
  void Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const override;
  void AddTerminalReward(ConstBatchView states, std::span<float> rewards) const override;
  const MountainCarModelOptions& options() const { return options_; }
  /// The rescaled energy above (0 at rest at the bottom, 1 at rest at the goal position).
  static double NormalizedEnergy(double position, double velocity);

 private:
  MountainCarModelOptions options_;
  float low_ = -1.0f;
  float high_ = 1.0f;
};

/// cai's CartPoleSwingUp-v0 (env::CartPoleSwingUp) in float32: state [x, x_dot, theta,
/// theta_dot], action [u] clipped to [-1, 1], force 10 u, CartPole-v1's Euler step, reward
/// cos(theta) - 0.05 x^2 - 0.01 u^2 on the state before the step.
class BatchedCartPoleSwingUp final : public BatchedDynamics {
 public:
  std::string_view name() const override { return "CartPoleSwingUp-v0"; }
  int state_dim() const override { return 4; }
  int action_dim() const override { return 1; }
  std::span<const float> action_low() const override { return {&low_, 1}; }
  std::span<const float> action_high() const override { return {&high_, 1}; }
  void Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const override;

 private:
  float low_ = -1.0f;
  float high_ = 1.0f;
};

/// Names accepted by MakeBatchedDynamics.
std::vector<std::string> BatchedDynamicsNames();
/// "Pendulum-v1", "MountainCarContinuous-v0", "CartPoleSwingUp-v0" (the models of those
/// simulators, default options) or "PointMass2D" (default options); throws cai::Error listing the
/// names otherwise.
std::unique_ptr<BatchedDynamics> MakeBatchedDynamics(std::string_view name);

}  // namespace cai::planning
