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
  /// Throws cai::Error unless `gravity` is finite.
  explicit BatchedPendulum(double gravity = 10.0);
  std::string_view name() const override { return "Pendulum-v1"; }
  int state_dim() const override { return 2; }
  int action_dim() const override { return 1; }
  std::span<const float> action_low() const override { return {&low_, 1}; }
  std::span<const float> action_high() const override { return {&high_, 1}; }
  void Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const override;
  double gravity() const { return gravity_; }

 private:
  double gravity_;
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

/// Names accepted by MakeBatchedDynamics.
std::vector<std::string> BatchedDynamicsNames();
/// "Pendulum-v1" (the model of env::Pendulum) or "PointMass2D" (default options); throws
/// cai::Error listing the names otherwise.
std::unique_ptr<BatchedDynamics> MakeBatchedDynamics(std::string_view name);

}  // namespace cai::planning
