#include "cai/env/cart_pole_swing_up.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>

#include "cai/env/cart_pole.h"

namespace cai::env {

CartPoleSwingUp::CartPoleSwingUp()
    : Environment(kMaxEpisodeSteps),
      observation_space_(Space::Box({-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                                     -1.0, -1.0, -std::numeric_limits<double>::infinity()},
                                    {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                                     1.0, 1.0, std::numeric_limits<double>::infinity()})),
      action_space_(Space::Box({-1.0}, {1.0})) {}

void CartPoleSwingUp::Observe(std::span<float> observation) const {
  observation[0] = static_cast<float>(x_);
  observation[1] = static_cast<float>(x_dot_);
  observation[2] = static_cast<float>(std::cos(theta_));
  observation[3] = static_cast<float>(std::sin(theta_));
  observation[4] = static_cast<float>(theta_dot_);
}

void CartPoleSwingUp::DoReset() {
  x_ = -0.05 + 0.1 * rng_.Uniform();
  x_dot_ = -0.05 + 0.1 * rng_.Uniform();
  theta_ = std::numbers::pi - 0.05 + 0.1 * rng_.Uniform();
  theta_dot_ = -0.05 + 0.1 * rng_.Uniform();
}

double CartPoleSwingUp::Reward(std::span<const double> state, double action) {
  const double u = std::clamp(action, -1.0, 1.0);
  return std::cos(state[2]) - kPositionCost * (state[0] * state[0]) - kActionCost * (u * u);
}

StepResult CartPoleSwingUp::DoStep(std::span<const double> action) {
  using C = CartPole;
  const double u = std::clamp(action[0], -1.0, 1.0);
  const std::array<double, 4> before = {x_, x_dot_, theta_, theta_dot_};
  const double reward = Reward(before, u);
  const double force = kForceScale * u;
  const double cos_theta = std::cos(theta_);
  const double sin_theta = std::sin(theta_);
  const double temp = (force + C::kPoleMassLength * (theta_dot_ * theta_dot_) * sin_theta) / C::kTotalMass;
  const double theta_acc = (C::kGravity * sin_theta - cos_theta * temp) /
                           (C::kHalfLength * (4.0 / 3.0 - C::kPoleMass * (cos_theta * cos_theta) / C::kTotalMass));
  const double x_acc = temp - C::kPoleMassLength * theta_acc * cos_theta / C::kTotalMass;
  x_ = x_ + C::kTau * x_dot_;
  x_dot_ = x_dot_ + C::kTau * x_acc;
  theta_ = theta_ + C::kTau * theta_dot_;
  theta_dot_ = theta_dot_ + C::kTau * theta_acc;
  return StepResult{.reward = reward, .terminated = false, .truncated = false};
}

void CartPoleSwingUp::DoSetState(std::span<const double> state) {
  x_ = state[0];
  x_dot_ = state[1];
  theta_ = state[2];
  theta_dot_ = state[3];
}

}  // namespace cai::env
