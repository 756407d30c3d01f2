#include "cai/env/mountain_car_continuous.h"

#include <algorithm>
#include <cmath>

namespace cai::env {
namespace {
constexpr double kMinPosition = -1.2, kMaxPosition = 0.6, kMaxSpeed = 0.07, kGoalPosition = 0.45,
                 kGoalVelocity = 0.0, kPower = 0.0015;
// Gymnasium stores the state as float32 after every step.
double F32(double x) { return static_cast<double>(static_cast<float>(x)); }
}  // namespace

MountainCarContinuous::MountainCarContinuous()
    : Environment(999),
      observation_space_(Space::Box({kMinPosition, -kMaxSpeed}, {kMaxPosition, kMaxSpeed})),
      action_space_(Space::Box({-1.0}, {1.0})) {}

std::string_view MountainCarContinuous::name() const { return "MountainCarContinuous-v0"; }
int MountainCarContinuous::state_dim() const { return 2; }
std::vector<double> MountainCarContinuous::state() const { return {s_[0], s_[1]}; }
void MountainCarContinuous::DoSetState(std::span<const double> state) {
  s_[0] = state[0];
  s_[1] = state[1];
}

void MountainCarContinuous::Observe(std::span<float> obs) const {
  obs[0] = static_cast<float>(s_[0]);
  obs[1] = static_cast<float>(s_[1]);
}

void MountainCarContinuous::DoReset() {
  s_[0] = -0.6 + 0.2 * rng_.Uniform();
  s_[1] = 0.0;
}

StepResult MountainCarContinuous::DoStep(std::span<const double> action) {
  double position = s_[0], velocity = s_[1];
  const double force = std::min(std::max(action[0], -1.0), 1.0);
  velocity += force * kPower - 0.0025 * std::cos(3 * position);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = std::clamp(position, kMinPosition, kMaxPosition);
  if (position == kMinPosition && velocity < 0) velocity = 0;
  const bool terminated = position >= kGoalPosition && velocity >= kGoalVelocity;
  double reward = terminated ? 100.0 : 0.0;
  reward -= action[0] * action[0] * 0.1;  // the unclipped action, as Gymnasium
  s_[0] = F32(position);
  s_[1] = F32(velocity);
  return {reward, terminated, false};
}

}  // namespace cai::env
