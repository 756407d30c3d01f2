// CartPole: see ../shared/reference/classic_control.md and docs/environments.md for the equations.
#pragma once

#include "cai/env/environment.h"

namespace cai::env {

class CartPole : public Environment {
 public:
  CartPole();
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
};

}  // namespace cai::env
