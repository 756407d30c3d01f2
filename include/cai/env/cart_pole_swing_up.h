// CartPoleSwingUp-v0: swing a pole up from hanging and balance it, with a continuous force.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"

namespace cai::env {

/// cai's continuous-force cart-pole swing-up task (not a Gymnasium id: Gymnasium has no swing-up
/// cart-pole). The physics is CartPole-v1's (env::CartPole: the same masses, half-length, Euler
/// step tau = 0.02 and equations) with the force F = 10 clip(action[0], -1, 1) instead of +-10.
///
/// State [x, x_dot, theta, theta_dot], theta = 0 upright and not wrapped. No track limit and no
/// termination: the episode ends at the time limit (500 steps, 10 s). The reward is taken on the
/// state before the step, with u = clip(action[0], -1, 1):
///   r = cos(theta) - 0.05 x^2 - 0.01 u^2,
/// so +1 per step balanced at the centre, -1 per step hanging; the x^2 term keeps the cart near
/// the centre. Observation (float32) [x, x_dot, cos theta, sin theta, theta_dot]; action
/// Box([-1], [1]). Reset: theta = pi + U(-0.05, 0.05) (hanging), x, x_dot, theta_dot ~
/// U(-0.05, 0.05), drawn in the order x, x_dot, theta, theta_dot.
class CartPoleSwingUp : public Environment {
 public:
  static constexpr int kMaxEpisodeSteps = 500;
  /// Newtons per unit of action.
  static constexpr double kForceScale = 10.0;
  static constexpr double kPositionCost = 0.05;
  static constexpr double kActionCost = 0.01;

  /// Time limit kMaxEpisodeSteps; state all zeros until Reset or SetState.
  CartPoleSwingUp();

  std::string_view name() const override { return "CartPoleSwingUp-v0"; }
  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  int state_dim() const override { return 4; }
  std::vector<double> state() const override { return {x_, x_dot_, theta_, theta_dot_}; }
  void Observe(std::span<float> observation) const override;

  /// The reward above for a state [x, x_dot, theta, theta_dot] and a force action (clipped).
  static double Reward(std::span<const double> state, double action);

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
