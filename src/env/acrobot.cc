#include "cai/env/acrobot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace cai::env {
namespace {
constexpr double kPi = std::numbers::pi;
constexpr double kDt = 0.2, kL1 = 1.0, kM1 = 1.0, kM2 = 1.0, kLc1 = 0.5, kLc2 = 0.5, kI1 = 1.0, kI2 = 1.0, kG = 9.8;
constexpr double kMaxVel1 = 4 * kPi, kMaxVel2 = 9 * kPi;
using State5 = std::array<double, 5>;  // th1, th2, dth1, dth2, torque

// The "book" equations of motion; the torque's derivative is 0.
State5 Derivatives(const State5& s) {
  const double a = s[4], th1 = s[0], th2 = s[1], dth1 = s[2], dth2 = s[3];
  const double d1 = kM1 * kLc1 * kLc1 + kM2 * (kL1 * kL1 + kLc2 * kLc2 + 2 * kL1 * kLc2 * std::cos(th2)) + kI1 + kI2;
  const double d2 = kM2 * (kLc2 * kLc2 + kL1 * kLc2 * std::cos(th2)) + kI2;
  const double phi2 = kM2 * kLc2 * kG * std::cos(th1 + th2 - kPi / 2.0);
  const double phi1 = -kM2 * kL1 * kLc2 * dth2 * dth2 * std::sin(th2) - 2 * kM2 * kL1 * kLc2 * dth2 * dth1 * std::sin(th2) +
                      (kM1 * kLc1 + kM2 * kL1) * kG * std::cos(th1 - kPi / 2) + phi2;
  const double ddth2 = (a + d2 / d1 * phi1 - kM2 * kL1 * kLc2 * dth1 * dth1 * std::sin(th2) - phi2) /
                       (kM2 * kLc2 * kLc2 + kI2 - d2 * d2 / d1);
  const double ddth1 = -(d2 * ddth2 + phi1) / d1;
  return {dth1, dth2, ddth1, ddth2, 0.0};
}

State5 Axpy(const State5& y, double h, const State5& k) {
  State5 r;
  for (int i = 0; i < 5; ++i) r[i] = y[i] + h * k[i];
  return r;
}

// Gymnasium's wrap: shift by the period until x is in [m, M].
double Wrap(double x, double m, double M) {
  const double diff = M - m;
  while (x > M) x -= diff;
  while (x < m) x += diff;
  return x;
}
}  // namespace

Acrobot::Acrobot()
    : Environment(500),
      observation_space_(Space::Box({-1, -1, -1, -1, -kMaxVel1, -kMaxVel2}, {1, 1, 1, 1, kMaxVel1, kMaxVel2})),
      action_space_(Space::Discrete(3)) {}

std::string_view Acrobot::name() const { return "Acrobot-v1"; }
int Acrobot::state_dim() const { return 4; }
std::vector<double> Acrobot::state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
void Acrobot::DoSetState(std::span<const double> state) {
  for (int i = 0; i < 4; ++i) s_[i] = state[i];
}

void Acrobot::Observe(std::span<float> obs) const {
  obs[0] = static_cast<float>(std::cos(s_[0]));
  obs[1] = static_cast<float>(std::sin(s_[0]));
  obs[2] = static_cast<float>(std::cos(s_[1]));
  obs[3] = static_cast<float>(std::sin(s_[1]));
  obs[4] = static_cast<float>(s_[2]);
  obs[5] = static_cast<float>(s_[3]);
}

void Acrobot::DoReset() {
  for (double& v : s_) v = static_cast<double>(static_cast<float>(-0.1 + 0.2 * rng_.Uniform()));
}

StepResult Acrobot::DoStep(std::span<const double> action) {
  const double torque = action[0] - 1.0;  // {0, 1, 2} -> {-1, 0, +1}
  const State5 y0 = {s_[0], s_[1], s_[2], s_[3], torque};
  // One classical Runge-Kutta step over [0, dt].
  const double dt2 = kDt / 2;
  const State5 k1 = Derivatives(y0);
  const State5 k2 = Derivatives(Axpy(y0, dt2, k1));
  const State5 k3 = Derivatives(Axpy(y0, dt2, k2));
  const State5 k4 = Derivatives(Axpy(y0, kDt, k3));
  State5 y;
  for (int i = 0; i < 5; ++i) y[i] = y0[i] + kDt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  s_[0] = Wrap(y[0], -kPi, kPi);
  s_[1] = Wrap(y[1], -kPi, kPi);
  s_[2] = std::clamp(y[2], -kMaxVel1, kMaxVel1);
  s_[3] = std::clamp(y[3], -kMaxVel2, kMaxVel2);
  const bool terminated = -std::cos(s_[0]) - std::cos(s_[1] + s_[0]) > 1.0;
  return {terminated ? 0.0 : -1.0, terminated, false};
}

}  // namespace cai::env
