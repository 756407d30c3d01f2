#include "cai/planning/batched_dynamics.h"
#include "cai/planning/pendulum_value.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cai/core/error.h"
#include "float_math.h"

namespace cai::planning {

void BatchedDynamics::AddTerminalReward(ConstBatchView /*states*/, std::span<float> /*rewards*/) const {}

BatchedPendulum::BatchedPendulum(double gravity, double energy_weight)
    : gravity_(gravity), energy_weight_(energy_weight) {
  if (!std::isfinite(gravity)) {
    throw Error(fmt::format("BatchedPendulum: gravity = {}; expected a finite number", gravity));
  }
  if (!std::isfinite(energy_weight) || energy_weight < 0) {
    throw Error(fmt::format("BatchedPendulum: energy_weight = {}; expected a finite number >= 0", energy_weight));
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

namespace {

CAI_PLANNING_KERNEL void PendulumEnergyKernel(const float* __restrict theta, const float* __restrict theta_dot,
                                              float* __restrict reward, std::size_t n, float weight, float potential) {
  for (std::size_t k = 0; k < n; ++k) {
    float s, c;
    detail::SinCosWrapped(detail::WrapAngle(theta[k]), s, c);
    const float w = theta_dot[k];
    // (E - E_up) / (E_up - E_down) with E = w^2 / 2 + potential cos(theta), E_up = potential.
    const float d = (0.5f * (w * w) + potential * (c - 1.0f)) / (2.0f * potential);
    reward[k] -= weight * (d * d);
  }
}

}  // namespace

void BatchedPendulum::AddTerminalReward(ConstBatchView states, std::span<float> rewards) const {
  if (terminal_value_) terminal_value_->AddTo(states, rewards, 1.0f);
  if (energy_weight_ == 0.0) return;
  PendulumEnergyKernel(states.row(0), states.row(1), rewards.data(), rewards.size(), static_cast<float>(energy_weight_),
                       static_cast<float>(1.5 * gravity_));
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

BatchedMountainCarContinuous::BatchedMountainCarContinuous(const MountainCarModelOptions& options)
    : options_(options) {
  if (!std::isfinite(options.energy_weight) || options.energy_weight < 0) {
    throw Error(fmt::format("MountainCarModelOptions.energy_weight = {}; expected a finite number >= 0",
                            options.energy_weight));
  }
}

namespace {

constexpr double kCarPotential = 0.0025 / 3.0;  // U(x) = kCarPotential sin(3 x)

CAI_PLANNING_KERNEL void MountainCarKernel(float* __restrict position, float* __restrict velocity,
                                           const float* __restrict action, float* __restrict reward,
                                           std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) {
    const float x = position[k], v = velocity[k], a = action[k];
    // 1 in an absorbing goal state (the simulator would have ended the episode), else 0.
    const float done = static_cast<float>((x >= 0.45f) & (v >= 0.0f));
    const float force = std::min(std::max(a, -1.0f), 1.0f);
    float s, c;
    detail::SinCosWrapped(detail::WrapAngle(3.0f * x), s, c);
    float nv = std::min(std::max(v + force * 0.0015f - 0.0025f * c, -0.07f), 0.07f);
    const float nx = std::min(std::max(x + nv, -1.2f), 0.6f);
    nv = nv * (1.0f - static_cast<float>((nx <= -1.2f) & (nv < 0.0f)));
    const float goal = static_cast<float>((nx >= 0.45f) & (nv >= 0.0f));
    reward[k] = (1.0f - done) * (100.0f * goal - 0.1f * (a * a));
    position[k] = done * x + (1.0f - done) * nx;
    velocity[k] = done * v + (1.0f - done) * nv;
  }
}

CAI_PLANNING_KERNEL void MountainCarEnergyKernel(const float* __restrict position, const float* __restrict velocity,
                                                 float* __restrict reward, std::size_t n, float weight,
                                                 float potential, float energy_min, float energy_scale) {
  for (std::size_t k = 0; k < n; ++k) {
    float s, c;
    detail::SinCosWrapped(detail::WrapAngle(3.0f * position[k]), s, c);
    const float energy = 0.5f * velocity[k] * velocity[k] + potential * s;
    reward[k] += weight * (energy - energy_min) * energy_scale;
  }
}

double EnergyRange() { return kCarPotential * std::sin(3.0 * 0.45) + kCarPotential; }

}  // namespace

double BatchedMountainCarContinuous::NormalizedEnergy(double position, double velocity) {
  return (0.5 * velocity * velocity + kCarPotential * std::sin(3.0 * position) + kCarPotential) / EnergyRange();
}

void BatchedMountainCarContinuous::Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const {
  MountainCarKernel(states.row(0), states.row(1), actions.row(0), rewards.data(), rewards.size());
}

void BatchedMountainCarContinuous::AddTerminalReward(ConstBatchView states, std::span<float> rewards) const {
  if (options_.energy_weight == 0.0) return;
  MountainCarEnergyKernel(states.row(0), states.row(1), rewards.data(), rewards.size(),
                          static_cast<float>(options_.energy_weight), static_cast<float>(kCarPotential),
                          static_cast<float>(-kCarPotential), static_cast<float>(1.0 / EnergyRange()));
}

namespace {

// CartPole-v1's Euler step with a continuous force (constants as env::CartPole).
CAI_PLANNING_KERNEL void CartPoleSwingUpKernel(float* __restrict x, float* __restrict x_dot, float* __restrict theta,
                                               float* __restrict theta_dot, const float* __restrict action,
                                               float* __restrict reward, std::size_t n) {
  constexpr float kGravity = 9.8f, kPoleMass = 0.1f, kTotalMass = 1.1f, kHalfLength = 0.5f;
  constexpr float kPoleMassLength = 0.05f, kTau = 0.02f;
  for (std::size_t k = 0; k < n; ++k) {
    const float u = std::min(std::max(action[k], -1.0f), 1.0f);
    float s, c;
    detail::SinCosWrapped(detail::WrapAngle(theta[k]), s, c);
    const float w = theta_dot[k];
    reward[k] = c - 0.05f * (x[k] * x[k]) - 0.01f * (u * u);
    const float temp = (10.0f * u + kPoleMassLength * (w * w) * s) / kTotalMass;
    const float theta_acc = (kGravity * s - c * temp) / (kHalfLength * (4.0f / 3.0f - kPoleMass * (c * c) / kTotalMass));
    const float x_acc = temp - kPoleMassLength * theta_acc * c / kTotalMass;
    x[k] += kTau * x_dot[k];
    x_dot[k] += kTau * x_acc;
    theta[k] += kTau * w;
    theta_dot[k] = w + kTau * theta_acc;
  }
}

}  // namespace

void BatchedCartPoleSwingUp::Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const {
  CartPoleSwingUpKernel(states.row(0), states.row(1), states.row(2), states.row(3), actions.row(0), rewards.data(),
                        rewards.size());
}

std::vector<std::string> BatchedDynamicsNames() {
  return {"Pendulum-v1", "MountainCarContinuous-v0", "CartPoleSwingUp-v0", "PointMass2D"};
}

std::unique_ptr<BatchedDynamics> MakeBatchedDynamics(std::string_view name) {
  if (name == "Pendulum-v1") return std::make_unique<BatchedPendulum>();
  if (name == "MountainCarContinuous-v0") return std::make_unique<BatchedMountainCarContinuous>();
  if (name == "CartPoleSwingUp-v0") return std::make_unique<BatchedCartPoleSwingUp>();
  if (name == "PointMass2D") return std::make_unique<BatchedPointMass>();
  throw Error(fmt::format("batched dynamics \"{}\": unknown (expected one of: {})", name,
                          fmt::join(BatchedDynamicsNames(), ", ")));
}

}  // namespace cai::planning
