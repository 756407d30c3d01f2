// MountainCarContinuous-v0: drive an underpowered car up the right hill with a continuous force.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"

namespace cai::env {

/// Gymnasium's MountainCarContinuous-v0 (time limit 999 steps).
///
/// State [position, velocity], held in float32 as Gymnasium does after every step. With
/// force = clip(action[0], -1, 1):
///   velocity' = clip(velocity + force * 0.0015 - 0.0025 cos(3 position), -0.07, 0.07)
///   position' = clip(position + velocity', -1.2, 0.6); velocity' = 0 if position' = -1.2 and
///   velocity' < 0 (the left wall is inelastic)
///   terminated = position' >= 0.45 and velocity' >= 0
///   reward = 100 [terminated] - 0.1 action[0]^2 (the UNclipped action)
/// then both are rounded to float32.
///
/// Bit-exact with Gymnasium 1.x under NumPy 2 for a float32 state and a float64 action: NumPy 2
/// evaluates 3 * position in float32, and when the action is clipped (or the velocity is clipped)
/// Python-float bounds meet float32 values, so those updates and comparisons run in float32; this
/// class reproduces that arithmetic. (Gymnasium's very first step after its own reset starts from a
/// float64 state; here the state is always float32.)
///
/// Observation (float32) [position, velocity] in Box([-1.2, -0.07], [0.6, 0.07]); action
/// Box([-1], [1]). Reset: position ~ U(-0.6, -0.4), velocity = 0.
class MountainCarContinuous : public Environment {
 public:
  /// Gymnasium's default time limit and the constants of the equations above.
  static constexpr int kMaxEpisodeSteps = 999;
  static constexpr double kMinPosition = -1.2;
  static constexpr double kMaxPosition = 0.6;
  static constexpr double kMaxSpeed = 0.07;
  static constexpr double kGoalPosition = 0.45;
  static constexpr double kPower = 0.0015;

  /// Time limit kMaxEpisodeSteps; state [0, 0] until Reset or SetState.
  MountainCarContinuous();

  std::string_view name() const override { return "MountainCarContinuous-v0"; }
  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  int state_dim() const override { return 2; }
  /// The float32 state, widened to double.
  std::vector<double> state() const override { return {position_, velocity_}; }
  void Observe(std::span<float> observation) const override;

 protected:
  void DoReset() override;
  StepResult DoStep(std::span<const double> action) override;
  /// Rounds each entry to the nearest float32; throws cai::Error if that overflows.
  void DoSetState(std::span<const double> state) override;

 private:
  Space observation_space_;
  Space action_space_;
  float position_ = 0.0f;
  float velocity_ = 0.0f;
};

}  // namespace cai::env
