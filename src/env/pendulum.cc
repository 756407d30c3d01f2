#include "cai/env/pendulum.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::env {

Pendulum::Pendulum(double gravity)
    : Environment(kMaxEpisodeSteps),
      gravity_(gravity),
      observation_space_(Space::Box({-1.0, -1.0, -kMaxSpeed}, {1.0, 1.0, kMaxSpeed})),
      action_space_(Space::Box({-kMaxTorque}, {kMaxTorque})) {
  if (!std::isfinite(gravity)) {
    throw Error(fmt::format("Pendulum-v1: gravity = {}; expected a finite number", gravity));
  }
}

double Pendulum::NormalizeAngle(double x) {
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  // Floor-mod: fmod keeps the sign of the dividend; shift a negative remainder into [0, 2 pi).
  double r = std::fmod(x + std::numbers::pi, kTwoPi);
  if (r < 0.0) r += kTwoPi;
  return r - std::numbers::pi;
}

void Pendulum::Observe(std::span<float> observation) const {
  observation[0] = static_cast<float>(std::cos(theta_));
  observation[1] = static_cast<float>(std::sin(theta_));
  observation[2] = static_cast<float>(theta_dot_);
}

void Pendulum::DoReset() {
  theta_ = -std::numbers::pi + 2.0 * std::numbers::pi * rng_.Uniform();
  theta_dot_ = -1.0 + 2.0 * rng_.Uniform();
}

StepResult Pendulum::DoStep(std::span<const double> action) {
  const double u = std::clamp(action[0], -kMaxTorque, kMaxTorque);
  const double angle = NormalizeAngle(theta_);
  const double cost = angle * angle + 0.1 * (theta_dot_ * theta_dot_) + 0.001 * (u * u);
  const double acceleration =
      3.0 * gravity_ / (2.0 * kLength) * std::sin(theta_) + 3.0 / (kMass * kLength * kLength) * u;
  const double new_theta_dot = std::clamp(theta_dot_ + acceleration * kDt, -kMaxSpeed, kMaxSpeed);
  theta_ = theta_ + new_theta_dot * kDt;
  theta_dot_ = new_theta_dot;
  return StepResult{.reward = -cost, .terminated = false, .truncated = false};
}

void Pendulum::DoSetState(std::span<const double> state) {
  theta_ = state[0];
  theta_dot_ = state[1];
}

}  // namespace cai::env
