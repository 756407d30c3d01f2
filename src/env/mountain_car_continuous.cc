#include "cai/env/mountain_car_continuous.h"

#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::env {
namespace {

// A number as the reference implementation holds it, so that its arithmetic can be reproduced
// bit for bit. NumPy 2's promotion rules (NEP 50): float32 op Python float -> float32 (the Python
// float is rounded to float32 first), float32 op float64 -> float64, and a comparison of a float32
// with a Python float is done in float32. Python floats and float64 otherwise behave as doubles.
enum class Kind { kFloat32, kFloat64, kPython };

struct Scalar {
  double value;
  Kind kind;
};

Kind Promote(Kind a, Kind b) {
  if (a == Kind::kFloat64 || b == Kind::kFloat64) return Kind::kFloat64;
  if (a == Kind::kFloat32 || b == Kind::kFloat32) return Kind::kFloat32;
  return Kind::kPython;
}

Scalar Add(Scalar a, Scalar b) {
  const Kind kind = Promote(a.kind, b.kind);
  if (kind == Kind::kFloat32) {
    const float sum = static_cast<float>(a.value) + static_cast<float>(b.value);
    return {sum, kind};
  }
  return {a.value + b.value, kind};
}

// a > bound, a < bound, a >= bound, a == bound for a Python-float `bound`.
double ComparisonValue(const Scalar& a, double bound) {
  return a.kind == Kind::kFloat32 ? static_cast<double>(static_cast<float>(bound)) : bound;
}
bool Greater(const Scalar& a, double bound) { return a.value > ComparisonValue(a, bound); }
bool Less(const Scalar& a, double bound) { return a.value < ComparisonValue(a, bound); }
bool GreaterEqual(const Scalar& a, double bound) { return a.value >= ComparisonValue(a, bound); }
bool Equal(const Scalar& a, double bound) { return a.value == ComparisonValue(a, bound); }

}  // namespace

MountainCarContinuous::MountainCarContinuous()
    : Environment(kMaxEpisodeSteps),
      observation_space_(Space::Box({kMinPosition, -kMaxSpeed}, {kMaxPosition, kMaxSpeed})),
      action_space_(Space::Box({-1.0}, {1.0})) {}

void MountainCarContinuous::Observe(std::span<float> observation) const {
  observation[0] = position_;
  observation[1] = velocity_;
}

void MountainCarContinuous::DoReset() {
  position_ = static_cast<float>(-0.6 + 0.2 * rng_.Uniform());
  velocity_ = 0.0f;
}

StepResult MountainCarContinuous::DoStep(std::span<const double> action) {
  const double a = action[0];
  // Clipping replaces the action by a Python-float bound; an in-range action stays float64.
  const Scalar force = a < -1.0 ? Scalar{-1.0, Kind::kPython}
                       : a > 1.0 ? Scalar{1.0, Kind::kPython}
                                 : Scalar{a, Kind::kFloat64};
  // 3 * position is a float32 product (exact in double, then rounded once to float32).
  const double three_position = static_cast<float>(3.0 * static_cast<double>(position_));
  const Scalar drive{force.value * kPower - 0.0025 * std::cos(three_position), force.kind};

  Scalar velocity = Add(Scalar{velocity_, Kind::kFloat32}, drive);
  if (Greater(velocity, kMaxSpeed)) velocity = {kMaxSpeed, Kind::kPython};
  if (Less(velocity, -kMaxSpeed)) velocity = {-kMaxSpeed, Kind::kPython};
  Scalar position = Add(Scalar{position_, Kind::kFloat32}, velocity);
  if (Greater(position, kMaxPosition)) position = {kMaxPosition, Kind::kPython};
  if (Less(position, kMinPosition)) position = {kMinPosition, Kind::kPython};
  if (Equal(position, kMinPosition) && velocity.value < 0.0) velocity = {0.0, Kind::kPython};

  const bool terminated = GreaterEqual(position, kGoalPosition) && velocity.value >= 0.0;
  const double reward = (terminated ? 100.0 : 0.0) - (a * a) * 0.1;

  position_ = static_cast<float>(position.value);
  velocity_ = static_cast<float>(velocity.value);
  return StepResult{.reward = reward, .terminated = terminated, .truncated = false};
}

void MountainCarContinuous::DoSetState(std::span<const double> state) {
  const float position = static_cast<float>(state[0]);
  const float velocity = static_cast<float>(state[1]);
  if (!std::isfinite(position) || !std::isfinite(velocity)) {
    throw Error(fmt::format("{}: state = [{}, {}] overflows float32; expected |entries| <= {}",
                            name(), state[0], state[1], 3.4028234663852886e38));
  }
  position_ = position;
  velocity_ = velocity;
}

}  // namespace cai::env
