#include "cai/env/acrobot.h"

#include <algorithm>
#include <cmath>

namespace cai::env {
namespace {

constexpr double kPi = std::numbers::pi;

std::array<double, 4> Axpy(const std::array<double, 4>& y, double h,
                           const std::array<double, 4>& k) {
  return {y[0] + h * k[0], y[1] + h * k[1], y[2] + h * k[2], y[3] + h * k[3]};
}

}  // namespace

Acrobot::Acrobot()
    : Environment(kMaxEpisodeSteps),
      observation_space_(Space::Box({-1.0, -1.0, -1.0, -1.0, -kMaxVelocity1, -kMaxVelocity2},
                                    {1.0, 1.0, 1.0, 1.0, kMaxVelocity1, kMaxVelocity2})),
      action_space_(Space::Discrete(3)) {}

void Acrobot::Observe(std::span<float> observation) const {
  observation[0] = static_cast<float>(std::cos(state_[0]));
  observation[1] = static_cast<float>(std::sin(state_[0]));
  observation[2] = static_cast<float>(std::cos(state_[1]));
  observation[3] = static_cast<float>(std::sin(state_[1]));
  observation[4] = static_cast<float>(state_[2]);
  observation[5] = static_cast<float>(state_[3]);
}

std::array<double, 4> Acrobot::Derivative(const std::array<double, 4>& s, double torque) {
  constexpr double m1 = kLink1Mass, m2 = kLink2Mass, l1 = kLink1Length;
  constexpr double lc1 = kLink1CenterOfMass, lc2 = kLink2CenterOfMass;
  constexpr double i1 = kLinkMomentOfInertia, i2 = kLinkMomentOfInertia, g = kGravity;
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  const double cos_theta2 = std::cos(theta2);
  const double sin_theta2 = std::sin(theta2);
  const double d1 =
      m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * cos_theta2) + i1 + i2;
  const double d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos_theta2) + i2;
  const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - kPi / 2.0);
  const double phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin_theta2 -
                      2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin_theta2 +
                      (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - kPi / 2.0) + phi2;
  // "Book" form of the second link's acceleration (Sutton and Barto).
  const double ddtheta2 =
      (torque + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin_theta2 - phi2) /
      (m2 * lc2 * lc2 + i2 - d2 * d2 / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2};
}

double Acrobot::WrapAngle(double x) {
  constexpr double kTurn = kPi - (-kPi);
  if (!std::isfinite(x)) return x;  // a diverged state stays diverged (and loops would not end)
  // Whole turns one at a time, as the reference does; a huge angle is first reduced in one go so
  // the loops stay short (only reachable from absurd velocities).
  if (std::abs(x) > 1e3) x = std::remainder(x, kTurn);
  while (x > kPi) x -= kTurn;
  while (x < -kPi) x += kTurn;
  return x;
}

void Acrobot::DoReset() {
  for (double& v : state_) v = static_cast<float>(-0.1 + 0.2 * rng_.Uniform());
}

StepResult Acrobot::DoStep(std::span<const double> action) {
  const double torque = action[0] - 1.0;  // {0, 1, 2} -> {-1, 0, +1}
  const std::array<double, 4>& y = state_;
  const double half = kDt / 2.0;
  const std::array<double, 4> k1 = Derivative(y, torque);
  const std::array<double, 4> k2 = Derivative(Axpy(y, half, k1), torque);
  const std::array<double, 4> k3 = Derivative(Axpy(y, half, k2), torque);
  const std::array<double, 4> k4 = Derivative(Axpy(y, kDt, k3), torque);
  std::array<double, 4> next;
  for (int i = 0; i < 4; ++i) {
    next[i] = y[i] + kDt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
  }
  next[0] = WrapAngle(next[0]);
  next[1] = WrapAngle(next[1]);
  next[2] = std::clamp(next[2], -kMaxVelocity1, kMaxVelocity1);
  next[3] = std::clamp(next[3], -kMaxVelocity2, kMaxVelocity2);
  state_ = next;

  const bool terminated = -std::cos(state_[0]) - std::cos(state_[1] + state_[0]) > 1.0;
  return StepResult{
      .reward = terminated ? 0.0 : -1.0, .terminated = terminated, .truncated = false};
}

void Acrobot::DoSetState(std::span<const double> state) {
  std::copy(state.begin(), state.end(), state_.begin());
}

}  // namespace cai::env
