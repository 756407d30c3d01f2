#include "cai/env/pendulum.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::env {
namespace {
constexpr double kMaxSpeed = 8.0, kMaxTorque = 2.0, kDt = 0.05, kMass = 1.0, kLength = 1.0;
constexpr double kPi = std::numbers::pi;

// ((x + pi) mod 2 pi) - pi with Python's floor-mod (the result of mod is in [0, 2 pi)).
double AngleNormalize(double x) {
  double r = std::fmod(x + kPi, 2 * kPi);
  if (r < 0) r += 2 * kPi;
  return r - kPi;
}
}  // namespace

Pendulum::Pendulum(double gravity)
    : Environment(200),
      observation_space_(Space::Box({-1.0, -1.0, -kMaxSpeed}, {1.0, 1.0, kMaxSpeed})),
      action_space_(Space::Box({-kMaxTorque}, {kMaxTorque})),
      gravity_(gravity) {
  if (!std::isfinite(gravity)) throw Error(fmt::format("Pendulum: gravity {} is not finite", gravity));
}

std::string_view Pendulum::name() const { return "Pendulum-v1"; }
int Pendulum::state_dim() const { return 2; }
std::vector<double> Pendulum::state() const { return {s_[0], s_[1]}; }
void Pendulum::DoSetState(std::span<const double> state) {
  s_[0] = state[0];
  s_[1] = state[1];
}

void Pendulum::Observe(std::span<float> obs) const {
  obs[0] = static_cast<float>(std::cos(s_[0]));
  obs[1] = static_cast<float>(std::sin(s_[0]));
  obs[2] = static_cast<float>(s_[1]);
}

void Pendulum::DoReset() {
  s_[0] = -kPi + 2 * kPi * rng_.Uniform();
  s_[1] = -1.0 + 2.0 * rng_.Uniform();
}

StepResult Pendulum::DoStep(std::span<const double> action) {
  const double th = s_[0], thdot = s_[1];
  const double u = std::clamp(action[0], -kMaxTorque, kMaxTorque);
  const double norm = AngleNormalize(th);
  const double cost = norm * norm + 0.1 * thdot * thdot + 0.001 * (u * u);
  double newthdot = thdot + (3 * gravity_ / (2 * kLength) * std::sin(th) + 3.0 / (kMass * kLength * kLength) * u) * kDt;
  newthdot = std::clamp(newthdot, -kMaxSpeed, kMaxSpeed);
  s_[0] = th + newthdot * kDt;
  s_[1] = newthdot;
  return {-cost, false, false};
}

}  // namespace cai::env
