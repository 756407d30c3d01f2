// MountainCarContinuous: see ../shared/reference/classic_control.md and docs/environments.md for the equations.
#pragma once

#include "cai/env/environment.h"

namespace cai::env {

class MountainCarContinuous : public Environment {
 public:
  MountainCarContinuous();
  std::string_view name() const override;
  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  int state_dim() const override;
  std::vector<double> state() const override;
  void Observe(std::span<float> observation) const override;

 protected:
  void DoReset() override;
  StepResult DoStep(std::span<const double> action) override;
  void DoSetState(std::span<const double> state) override;

 private:
  Space observation_space_, action_space_;
  double s_[4] = {0, 0, 0, 0};
  // Gymnasium keeps the state in float32 after a step (float64 after reset), which changes how
  // NumPy rounds 3 * position; SetState infers it from whether both values are float32 numbers.
  bool float32_state_ = false;
};

}  // namespace cai::env
