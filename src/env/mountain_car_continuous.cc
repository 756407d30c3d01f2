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
  float32_state_ = F32(s_[0]) == s_[0] && F32(s_[1]) == s_[1];
}

void MountainCarContinuous::Observe(std::span<float> obs) const {
  obs[0] = static_cast<float>(s_[0]);
  obs[1] = static_cast<float>(s_[1]);
}

void MountainCarContinuous::DoReset() {
  s_[0] = -0.6 + 0.2 * rng_.Uniform();
  s_[1] = 0.0;
  float32_state_ = false;  // Gymnasium's reset state is float64
}

// Gymnasium's step mixes NumPy float32/float64 scalars with Python floats, and NumPy 2 (NEP 50)
// decides each operation's precision from the operand types: a Python float is "weak" and takes the
// other operand's type. We replay those rules so that every rounding matches:
//   state float32 (after a step) or float64 (after reset); the action float64; force is the action
//   (float64) or, when clipped, a Python float; the speed and position clips assign Python floats.
namespace {
enum class Kind { kWeak, kF32, kF64 };
struct Num {
  double v;
  Kind k;
};
Kind Promote(Kind a, Kind b) {
  if (a == Kind::kF64 || b == Kind::kF64) return Kind::kF64;
  if (a == Kind::kF32 || b == Kind::kF32) return Kind::kF32;
  return Kind::kWeak;
}
template <typename Op>
Num Apply(Num a, Num b, Op op) {
  const Kind k = Promote(a.k, b.k);
  if (k == Kind::kF32) return {F32(op(F32(a.v), F32(b.v))), k};  // one float32 operation, correctly rounded
  return {op(a.v, b.v), k};
}
Num Add(Num a, Num b) { return Apply(a, b, [](double x, double y) { return x + y; }); }
Num Sub(Num a, Num b) { return Apply(a, b, [](double x, double y) { return x - y; }); }
Num Mul(Num a, Num b) { return Apply(a, b, [](double x, double y) { return x * y; }); }
// a > c, a < c, a >= c, a == c for a Python float constant c (cast to float32 when a is float32).
double Cmp(Num a, double c) { return a.k == Kind::kF32 ? F32(c) : c; }
Num Weak(double v) { return {v, Kind::kWeak}; }
}  // namespace

StepResult MountainCarContinuous::DoStep(std::span<const double> action) {
  const Kind state_kind = float32_state_ ? Kind::kF32 : Kind::kF64;
  Num position{s_[0], state_kind}, velocity{s_[1], state_kind};
  const double a = action[0];
  const Num force = a < -1.0 ? Weak(-1.0) : a > 1.0 ? Weak(1.0) : Num{a, Kind::kF64};
  const Num angle = Mul(Weak(3), position);
  const Num cosine = Weak(std::cos(angle.v));
  velocity = Add(velocity, Sub(Mul(force, Weak(kPower)), Mul(Weak(0.0025), cosine)));
  if (velocity.v > Cmp(velocity, kMaxSpeed)) velocity = Weak(kMaxSpeed);
  if (velocity.v < Cmp(velocity, -kMaxSpeed)) velocity = Weak(-kMaxSpeed);
  position = Add(position, velocity);
  if (position.v > Cmp(position, kMaxPosition)) position = Weak(kMaxPosition);
  if (position.v < Cmp(position, kMinPosition)) position = Weak(kMinPosition);
  if (position.v == Cmp(position, kMinPosition) && velocity.v < 0) velocity = Weak(0.0);
  const bool terminated =
      position.v >= Cmp(position, kGoalPosition) && velocity.v >= Cmp(velocity, kGoalVelocity);
  double reward = terminated ? 100.0 : 0.0;
  reward -= a * a * 0.1;  // the unclipped action, as Gymnasium
  s_[0] = F32(position.v);
  s_[1] = F32(velocity.v);
  float32_state_ = true;
  return {reward, terminated, false};
}

}  // namespace cai::env
