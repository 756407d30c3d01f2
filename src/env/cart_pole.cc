#include "cai/env/cart_pole.h"

#include <cmath>
#include <limits>
#include <numbers>

namespace cai::env {
namespace {
constexpr double kGravity = 9.8, kMassCart = 1.0, kMassPole = 0.1, kTotalMass = kMassPole + kMassCart,
                 kLength = 0.5, kPoleMassLength = kMassPole * kLength, kForceMag = 10.0, kTau = 0.02,
                 kThetaThreshold = 12 * 2 * std::numbers::pi / 360, kXThreshold = 2.4;
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

CartPole::CartPole()
    : Environment(500),
      observation_space_(Space::Box({-2 * kXThreshold, -kInf, -2 * kThetaThreshold, -kInf},
                                    {2 * kXThreshold, kInf, 2 * kThetaThreshold, kInf})),
      action_space_(Space::Discrete(2)) {}

std::string_view CartPole::name() const { return "CartPole-v1"; }
int CartPole::state_dim() const { return 4; }
std::vector<double> CartPole::state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
void CartPole::DoSetState(std::span<const double> state) {
  for (int i = 0; i < 4; ++i) s_[i] = state[i];
}

void CartPole::Observe(std::span<float> obs) const {
  for (int i = 0; i < 4; ++i) obs[i] = static_cast<float>(s_[i]);
}

void CartPole::DoReset() {
  for (double& v : s_) v = -0.05 + 0.1 * rng_.Uniform();
}

StepResult CartPole::DoStep(std::span<const double> action) {
  const double x = s_[0], x_dot = s_[1], theta = s_[2], theta_dot = s_[3];
  const double force = action[0] == 1.0 ? kForceMag : -kForceMag;
  const double costheta = std::cos(theta), sintheta = std::sin(theta);
  const double temp = (force + kPoleMassLength * theta_dot * theta_dot * sintheta) / kTotalMass;
  const double thetaacc =
      (kGravity * sintheta - costheta * temp) / (kLength * (4.0 / 3.0 - kMassPole * costheta * costheta / kTotalMass));
  const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;
  s_[0] = x + kTau * x_dot;
  s_[1] = x_dot + kTau * xacc;
  s_[2] = theta + kTau * theta_dot;
  s_[3] = theta_dot + kTau * thetaacc;
  const bool terminated =
      s_[0] < -kXThreshold || s_[0] > kXThreshold || s_[2] < -kThetaThreshold || s_[2] > kThetaThreshold;
  return {1.0, terminated, false};
}

}  // namespace cai::env
