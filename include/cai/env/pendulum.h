// Pendulum-v1: swing a frictionless pendulum up and hold it, with a bounded torque.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"

namespace cai::env {

/// Gymnasium's Pendulum-v1 (time limit 200 steps; never terminates).
///
/// State [theta, theta_dot] with theta = 0 upright; theta is never wrapped. With
/// u = clip(action[0], -2, 2), dt = 0.05, m = l = 1:
///   reward = -(normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2)   (on the state before the step)
///   theta_dot' = clip(theta_dot + (3 g / (2 l) sin(theta) + 3 / (m l^2) u) dt, -8, 8)
///   theta'     = theta + theta_dot' dt
/// where normalize(x) = ((x + pi) floor-mod 2 pi) - pi lies in [-pi, pi).
/// Observation (float32) [cos theta, sin theta, theta_dot] in Box([-1, -1, -8], [1, 1, 8]);
/// action Box([-2], [2]) (values outside are clipped, not rejected).
/// Reset: theta ~ U(-pi, pi), theta_dot ~ U(-1, 1), drawn in that order.
class Pendulum : public Environment {
 public:
  /// Gymnasium's default time limit and the physical constants of the equations above.
  static constexpr int kMaxEpisodeSteps = 200;
  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
  static constexpr double kDt = 0.05;
  static constexpr double kMass = 1.0;
  static constexpr double kLength = 1.0;

  /// Time limit kMaxEpisodeSteps, gravitational acceleration `gravity` (Gymnasium's `g`); state
  /// [0, 0] until Reset or SetState. Throws cai::Error unless `gravity` is finite.
  explicit Pendulum(double gravity = 10.0);

  std::string_view name() const override { return "Pendulum-v1"; }
  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  int state_dim() const override { return 2; }
  std::vector<double> state() const override { return {theta_, theta_dot_}; }
  void Observe(std::span<float> observation) const override;

  /// The `g` of the equations above.
  double gravity() const { return gravity_; }

  /// ((x + pi) floor-mod 2 pi) - pi, the angle measured from upright in [-pi, pi).
  static double NormalizeAngle(double x);

 protected:
  void DoReset() override;
  StepResult DoStep(std::span<const double> action) override;
  void DoSetState(std::span<const double> state) override;

 private:
  double gravity_;
  Space observation_space_;
  Space action_space_;
  double theta_ = 0.0;
  double theta_dot_ = 0.0;
};

}  // namespace cai::env
