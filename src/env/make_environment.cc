// The registry of built-in environments by Gymnasium id.
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "cai/core/error.h"
#include "cai/env/acrobot.h"
#include "cai/env/cart_pole.h"
#include "cai/env/cart_pole_swing_up.h"
#include "cai/env/environment.h"
#include "cai/env/mountain_car_continuous.h"
#include "cai/env/pendulum.h"

namespace cai::env {

std::vector<std::string> EnvironmentNames() {
  return {"Pendulum-v1", "MountainCarContinuous-v0", "CartPole-v1", "Acrobot-v1", "CartPoleSwingUp-v0"};
}

std::unique_ptr<Environment> MakeEnvironment(std::string_view name) {
  if (name == "Pendulum-v1") return std::make_unique<Pendulum>();
  if (name == "MountainCarContinuous-v0") return std::make_unique<MountainCarContinuous>();
  if (name == "CartPole-v1") return std::make_unique<CartPole>();
  if (name == "Acrobot-v1") return std::make_unique<Acrobot>();
  if (name == "CartPoleSwingUp-v0") return std::make_unique<CartPoleSwingUp>();
  throw Error(fmt::format("environment name: \"{}\" is not a known environment; expected one of {}",
                          name, fmt::join(EnvironmentNames(), ", ")));
}

}  // namespace cai::env
