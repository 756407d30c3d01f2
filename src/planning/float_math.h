// Float32 polynomial approximations written so that loops calling them vectorise (no libm calls,
// no branches): used by the batched dynamics and the Gaussian noise of the planners.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace cai::planning::detail {

inline constexpr float kPiF = 3.14159265358979323846f;
inline constexpr float kHalfPiF = 1.57079632679489661923f;
// 2 pi = kTwoPiHi + kTwoPiLo with kTwoPiHi exact in few bits (Cody-Waite reduction).
inline constexpr float kTwoPiHi = 6.28125f;
inline constexpr float kTwoPiLo = 1.9353071795864769253e-3f;
inline constexpr float kInvTwoPi = 0.15915494309189533577f;

// Nearest integer of x (ties to even) for |x| < 2^22, without a libm call.
inline float RoundSmall(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (x + kMagic) - kMagic;
}

// x - 2 pi round(x / 2 pi): the angle in [-pi, pi] (|x| < 2^24 rad).
inline float WrapAngle(float x) {
  const float n = RoundSmall(x * kInvTwoPi);
  return (x - n * kTwoPiHi) - n * kTwoPiLo;
}

// sin(x) for x in [-pi/2, pi/2]: Taylor polynomial of degree 11 (error < 6e-8 plus rounding).
inline float SinKernel(float x) {
  const float x2 = x * x;
  float p = -2.5052108385441720e-8f;
  p = p * x2 + 2.7557319223985893e-6f;
  p = p * x2 - 1.9841269841269841e-4f;
  p = p * x2 + 8.3333333333333333e-3f;
  p = p * x2 - 1.6666666666666667e-1f;
  return x + x * x2 * p;
}

// cos(x) for x in [-pi/2, pi/2]: Taylor polynomial of degree 12 (error < 1e-8 plus rounding).
inline float CosKernel(float x) {
  const float x2 = x * x;
  float p = 2.0876756987868099e-9f;
  p = p * x2 - 2.7557319223985891e-7f;
  p = p * x2 + 2.4801587301587302e-5f;
  p = p * x2 - 1.3888888888888889e-3f;
  p = p * x2 + 4.1666666666666667e-2f;
  p = p * x2 - 0.5f;
  return 1.0f + x2 * p;
}

// sin of an angle already in [-pi, pi].
inline float SinWrapped(float r) {
  // sin(r) = sin(pi - r) = sin(-pi - r): fold into [-pi/2, pi/2].
  float f = r > kHalfPiF ? kPiF - r : r;
  f = f < -kHalfPiF ? -kPiF - f : f;
  return SinKernel(f);
}

// sin and cos of an angle in [-pi, pi].
inline void SinCosWrapped(float r, float& s, float& c) {
  const bool high = r > kHalfPiF;
  const bool low = r < -kHalfPiF;
  float f = high ? kPiF - r : r;
  f = low ? -kPiF - r : f;
  s = SinKernel(f);
  const float ck = CosKernel(f);
  c = (high || low) ? -ck : ck;
}

// Natural log of x > 0 (normal floats): x = 2^e m with m in [sqrt(1/2), sqrt(2)), then
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, odd series to s^9 (error < 1e-9).
inline float LogPositive(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  std::int32_t e = static_cast<std::int32_t>(bits >> 23) - 127;
  float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f800000u);
  const bool big = m > 1.41421356f;
  m = big ? 0.5f * m : m;
  e = big ? e + 1 : e;
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float p = 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return static_cast<float>(e) * 0.69314718055994531f + 2.0f * s * p;
}

}  // namespace cai::planning::detail
