#include "cai/planning/batched_dynamics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "float_math.h"

namespace cai::planning {

void BatchedDynamics::AddTerminalReward(ConstBatchView /*states*/, std::span<float> /*rewards*/) const {}

BatchedPendulum::BatchedPendulum(double gravity) : gravity_(gravity) {
  if (!std::isfinite(gravity)) {
    throw Error(fmt::format("BatchedPendulum: gravity = {}; expected a finite number", gravity));
  }
}

namespace {

// The Pendulum-v1 step over n systems (a free function with restrict pointers: GCC vectorises it).
CAI_PLANNING_KERNEL void PendulumKernel(float* __restrict theta, float* __restrict theta_dot, const float* __restrict torque,
                    float* __restrict reward, std::size_t n, float lo, float hi, float gravity_term, float dt) {
  for (std::size_t k = 0; k < n; ++k) {
    const float th = theta[k];
    const float w = theta_dot[k];
    const float u = std::min(std::max(torque[k], lo), hi);
    const float angle = detail::WrapAngle(th);
    reward[k] = -(angle * angle + 0.1f * (w * w) + 0.001f * (u * u));
    const float acceleration = gravity_term * detail::SinWrapped(angle) + 3.0f * u;
    const float new_w = std::min(std::max(w + acceleration * dt, -8.0f), 8.0f);
    theta[k] = th + new_w * dt;
    theta_dot[k] = new_w;
  }
}

}  // namespace

void BatchedPendulum::Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const {
  constexpr double kDt = 0.05;
  PendulumKernel(states.row(0), states.row(1), actions.row(0), rewards.data(), rewards.size(), low_, high_,
                 static_cast<float>(3.0 * gravity_ / 2.0), static_cast<float>(kDt));
}

BatchedPointMass::BatchedPointMass(const PointMassOptions& options) : options_(options) {
  const auto check = [](double v, bool ok, const char* field, const char* expected) {
    if (!std::isfinite(v) || !ok) {
      throw Error(fmt::format("PointMassOptions.{} = {}; expected {}", field, v, expected));
    }
  };
  check(options.target_x, true, "target_x", "a finite number");
  check(options.target_y, true, "target_y", "a finite number");
  check(options.dt, options.dt > 0, "dt", "a finite number > 0");
  check(options.max_force, options.max_force > 0, "max_force", "a finite number > 0");
  check(options.velocity_cost, options.velocity_cost >= 0, "velocity_cost", "a finite number >= 0");
  check(options.force_cost, options.force_cost >= 0, "force_cost", "a finite number >= 0");
  const float f = static_cast<float>(options.max_force);
  low_ = {-f, -f};
  high_ = {f, f};
}

namespace {

CAI_PLANNING_KERNEL void PointMassKernel(float* __restrict x, float* __restrict y, float* __restrict vx,
                                         float* __restrict vy, const float* __restrict fx_in,
                                         const float* __restrict fy_in, float* __restrict reward, std::size_t n,
                                         float lo, float hi, float tx, float ty, float cv, float cf, float dt) {
  for (std::size_t k = 0; k < n; ++k) {
    const float fx = std::min(std::max(fx_in[k], lo), hi);
    const float fy = std::min(std::max(fy_in[k], lo), hi);
    const float dx = x[k] - tx, dy = y[k] - ty;
    reward[k] = -((dx * dx + dy * dy) + cv * (vx[k] * vx[k] + vy[k] * vy[k]) + cf * (fx * fx + fy * fy));
    const float nvx = vx[k] + fx * dt, nvy = vy[k] + fy * dt;
    x[k] += nvx * dt;
    y[k] += nvy * dt;
    vx[k] = nvx;
    vy[k] = nvy;
  }
}

}  // namespace

void BatchedPointMass::Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const {
  PointMassKernel(states.row(0), states.row(1), states.row(2), states.row(3), actions.row(0), actions.row(1),
                  rewards.data(), rewards.size(), low_[0], high_[0], static_cast<float>(options_.target_x),
                  static_cast<float>(options_.target_y), static_cast<float>(options_.velocity_cost),
                  static_cast<float>(options_.force_cost), static_cast<float>(options_.dt));
}

std::vector<std::string> BatchedDynamicsNames() { return {"Pendulum-v1", "PointMass2D"}; }

std::unique_ptr<BatchedDynamics> MakeBatchedDynamics(std::string_view name) {
  if (name == "Pendulum-v1") return std::make_unique<BatchedPendulum>();
  if (name == "PointMass2D") return std::make_unique<BatchedPointMass>();
  throw Error(fmt::format("batched dynamics \"{}\": unknown (expected one of: Pendulum-v1, PointMass2D)", name));
}

}  // namespace cai::planning
