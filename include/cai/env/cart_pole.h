// CartPole-v1: balance a pole on a cart pushed left or right with a fixed force.
#pragma once

#include <numbers>
#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"

namespace cai::env {

/// Gymnasium's CartPole-v1 (time limit 500 steps), Euler kinematics.
///
/// State [x, x_dot, theta, theta_dot]. Action 1 pushes with F = +10, action 0 with F = -10. With
/// g = 9.8, pole mass 0.1, total mass 1.1, half-length l = 0.5, polemass_length = 0.05, tau = 0.02:
///   temp    = (F + polemass_length theta_dot^2 sin theta) / total_mass
///   theta'' = (g sin theta - cos theta temp) / (l (4/3 - m_pole cos^2 theta / total_mass))
///   x''     = temp - polemass_length theta'' cos theta / total_mass
/// then explicit Euler from the old values: x += tau x_dot, x_dot += tau x'', theta += tau
/// theta_dot, theta_dot += tau theta''. terminated when |x| > 2.4 or |theta| > 12 * 2 pi / 360.
/// Reward 1 on every step, the terminating one included.
/// Observation (float32) the state, in Box([-4.8, -inf, -0.419, -inf], [4.8, inf, 0.419, inf]);
/// action Discrete(2). Reset: x, x_dot, theta, theta_dot ~ U(-0.05, 0.05), drawn in that order.
class CartPole : public Environment {
 public:
  /// Gymnasium's default time limit and the constants of the equations above.
  static constexpr int kMaxEpisodeSteps = 500;
  static constexpr double kGravity = 9.8;
  static constexpr double kCartMass = 1.0;
  static constexpr double kPoleMass = 0.1;
  static constexpr double kTotalMass = kCartMass + kPoleMass;
  static constexpr double kHalfLength = 0.5;
  static constexpr double kPoleMassLength = kPoleMass * kHalfLength;
  static constexpr double kForce = 10.0;
  static constexpr double kTau = 0.02;
  static constexpr double kXThreshold = 2.4;
  /// 12 degrees in radians (evaluated as 12 * 2 * pi / 360, left to right).
  static constexpr double kThetaThreshold = 12.0 * 2.0 * std::numbers::pi / 360.0;

  /// Time limit kMaxEpisodeSteps; state all zeros until Reset or SetState.
  CartPole();

  std::string_view name() const override { return "CartPole-v1"; }
  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  int state_dim() const override { return 4; }
  std::vector<double> state() const override { return {x_, x_dot_, theta_, theta_dot_}; }
  void Observe(std::span<float> observation) const override;

 protected:
  void DoReset() override;
  StepResult DoStep(std::span<const double> action) override;
  void DoSetState(std::span<const double> state) override;

 private:
  Space observation_space_;
  Space action_space_;
  double x_ = 0.0;
  double x_dot_ = 0.0;
  double theta_ = 0.0;
  double theta_dot_ = 0.0;
};

}  // namespace cai::env
