// PythonEnvironment: a Gymnasium environment written in Python behind the C++ Environment
// interface. Every call into Python takes the GIL, so learners may run with it released.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bindings.h"
#include "cai/env/environment.h"

namespace cai::python {

class PythonEnvironment : public env::Environment {
 public:
  /// `env` has observation_space (a Box), action_space (Box or Discrete), reset(seed=...) and
  /// step(action) with Gymnasium's 5-tuple. The time limit is the Python environment's own
  /// (truncated as it reports). `name` defaults to env.spec.id or the class name.
  PythonEnvironment(py::object env, std::string name);
  ~PythonEnvironment() override;

  std::string_view name() const override { return name_; }
  const env::Space& observation_space() const override { return observation_space_; }
  const env::Space& action_space() const override { return action_space_; }
  /// A Python environment's state is not visible: checkpoints restart its episode.
  int state_dim() const override { return 0; }
  std::vector<double> state() const override { return {}; }
  void Observe(std::span<float> observation) const override;

 protected:
  void DoReset() override;
  env::StepResult DoStep(std::span<const double> action) override;
  void DoSetState(std::span<const double> state) override;

 private:
  void Store(const py::handle& observation);

  py::object env_;
  std::string name_;
  env::Space observation_space_ = env::Space::Discrete(1);
  env::Space action_space_ = env::Space::Discrete(1);
  std::vector<float> observation_;
};

}  // namespace cai::python
