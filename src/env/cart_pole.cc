#include "cai/env/cart_pole.h"

#include <cmath>
#include <limits>

namespace cai::env {

CartPole::CartPole()
    : Environment(kMaxEpisodeSteps),
      observation_space_(Space::Box(
          {-2.0 * kXThreshold, -std::numeric_limits<double>::infinity(), -2.0 * kThetaThreshold,
           -std::numeric_limits<double>::infinity()},
          {2.0 * kXThreshold, std::numeric_limits<double>::infinity(), 2.0 * kThetaThreshold,
           std::numeric_limits<double>::infinity()})),
      action_space_(Space::Discrete(2)) {}

void CartPole::Observe(std::span<float> observation) const {
  observation[0] = static_cast<float>(x_);
  observation[1] = static_cast<float>(x_dot_);
  observation[2] = static_cast<float>(theta_);
  observation[3] = static_cast<float>(theta_dot_);
}

void CartPole::DoReset() {
  for (double* v : {&x_, &x_dot_, &theta_, &theta_dot_}) *v = -0.05 + 0.1 * rng_.Uniform();
}

StepResult CartPole::DoStep(std::span<const double> action) {
  const double force = action[0] == 1.0 ? kForce : -kForce;
  const double cos_theta = std::cos(theta_);
  const double sin_theta = std::sin(theta_);
  const double temp =
      (force + kPoleMassLength * (theta_dot_ * theta_dot_) * sin_theta) / kTotalMass;
  const double theta_acc =
      (kGravity * sin_theta - cos_theta * temp) /
      (kHalfLength * (4.0 / 3.0 - kPoleMass * (cos_theta * cos_theta) / kTotalMass));
  const double x_acc = temp - kPoleMassLength * theta_acc * cos_theta / kTotalMass;

  // Explicit Euler: every update uses the values before the step.
  x_ = x_ + kTau * x_dot_;
  x_dot_ = x_dot_ + kTau * x_acc;
  theta_ = theta_ + kTau * theta_dot_;
  theta_dot_ = theta_dot_ + kTau * theta_acc;

  const bool terminated = x_ < -kXThreshold || x_ > kXThreshold || theta_ < -kThetaThreshold ||
                          theta_ > kThetaThreshold;
  return StepResult{.reward = 1.0, .terminated = terminated, .truncated = false};
}

void CartPole::DoSetState(std::span<const double> state) {
  x_ = state[0];
  x_dot_ = state[1];
  theta_ = state[2];
  theta_dot_ = state[3];
}

}  // namespace cai::env
