// Acrobot-v1: swing the tip of a two-link pendulum, actuated at the elbow, above a line.
#pragma once

#include <array>
#include <numbers>
#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"

namespace cai::env {

/// Gymnasium's Acrobot-v1 (time limit 500 steps), "book" dynamics, no torque noise.
///
/// State [theta1, theta2, dtheta1, dtheta2] (theta1 = 0 hanging down, theta2 relative to link 1).
/// Action k in {0, 1, 2} applies torque tau = k - 1 at the elbow. Links: l1 = m1 = m2 = 1,
/// lc1 = lc2 = 0.5, I1 = I2 = 1, g = 9.8. The accelerations are
///   d1 = m1 lc1^2 + m2 (l1^2 + lc2^2 + 2 l1 lc2 cos theta2) + I1 + I2
///   d2 = m2 (lc2^2 + l1 lc2 cos theta2) + I2
///   phi2 = m2 lc2 g cos(theta1 + theta2 - pi/2)
///   phi1 = -m2 l1 lc2 dtheta2^2 sin theta2 - 2 m2 l1 lc2 dtheta2 dtheta1 sin theta2
///          + (m1 lc1 + m2 l1) g cos(theta1 - pi/2) + phi2
///   ddtheta2 = (tau + d2/d1 phi1 - m2 l1 lc2 dtheta1^2 sin theta2 - phi2)
///              / (m2 lc2^2 + I2 - d2^2/d1)
///   ddtheta1 = -(d2 ddtheta2 + phi1) / d1
/// One classical RK4 step of length dt = 0.2 advances the state (tau held constant); then both
/// angles are wrapped into [-pi, pi] by adding or subtracting 2 pi, and the velocities are
/// clipped to |dtheta1| <= 4 pi, |dtheta2| <= 9 pi.
/// terminated when -cos theta1 - cos(theta1 + theta2) > 1 (the tip is above the line);
/// reward -1 per step, 0 on the terminating step.
/// Observation (float32) [cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2] in
/// Box([-1, -1, -1, -1, -4 pi, -9 pi], [1, 1, 1, 1, 4 pi, 9 pi]); action Discrete(3).
/// Reset: four draws of U(-0.1, 0.1), each rounded to float32 (as Gymnasium does).
class Acrobot : public Environment {
 public:
  /// Gymnasium's default time limit and the constants of the equations above.
  static constexpr int kMaxEpisodeSteps = 500;
  static constexpr double kDt = 0.2;
  static constexpr double kLink1Length = 1.0;
  static constexpr double kLink1Mass = 1.0;
  static constexpr double kLink2Mass = 1.0;
  static constexpr double kLink1CenterOfMass = 0.5;
  static constexpr double kLink2CenterOfMass = 0.5;
  static constexpr double kLinkMomentOfInertia = 1.0;
  static constexpr double kGravity = 9.8;
  static constexpr double kMaxVelocity1 = 4.0 * std::numbers::pi;
  static constexpr double kMaxVelocity2 = 9.0 * std::numbers::pi;

  /// Time limit kMaxEpisodeSteps; state all zeros until Reset or SetState.
  Acrobot();

  std::string_view name() const override { return "Acrobot-v1"; }
  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  int state_dim() const override { return 4; }
  std::vector<double> state() const override {
    return {state_[0], state_[1], state_[2], state_[3]};
  }
  void Observe(std::span<float> observation) const override;

  /// Time derivative of [theta1, theta2, dtheta1, dtheta2] under elbow torque `torque`.
  static std::array<double, 4> Derivative(const std::array<double, 4>& s, double torque);
  /// x moved into [-pi, pi] by whole turns of 2 pi (values already inside are unchanged).
  static double WrapAngle(double x);

 protected:
  void DoReset() override;
  StepResult DoStep(std::span<const double> action) override;
  void DoSetState(std::span<const double> state) override;

 private:
  Space observation_space_;
  Space action_space_;
  std::array<double, 4> state_{};
};

}  // namespace cai::env
