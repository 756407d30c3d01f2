// Float32 polynomial approximations written so that loops calling them vectorise (no libm calls,
// no branches): used by the batched dynamics and the Gaussian noise of the planners.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

// GCC 12 stops vectorising some of the kernel loops ("control flow in loop") once interprocedural
// constant propagation has specialised them for their call site; the kernels are marked noipa.
#if defined(__GNUC__) && !defined(__clang__)
#define CAI_PLANNING_KERNEL __attribute__((noipa))
#else
#define CAI_PLANNING_KERNEL
#endif

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

// sin of an angle already in [-pi, pi]: sin(r) = sign(r) sin(min(|r|, pi - |r|)). Only abs and
// copysign (no selects, which GCC does not always if-convert for floats), so loops vectorise.
inline float SinWrapped(float r) {
  // min(a, pi - a) = pi/2 - |pi/2 - a| for a in [0, pi] (a select here stops GCC vectorising).
  const float a = std::fabs(r);
  return std::copysign(SinKernel(kHalfPiF - std::fabs(kHalfPiF - a)), r);
}

// sin and cos of an angle in [-pi, pi]; cos(r) = cos(|r|) = +-cos(min(|r|, pi - |r|)), negative
// where |r| > pi / 2.
inline void SinCosWrapped(float r, float& s, float& c) {
  const float a = std::fabs(r);
  const float f = kHalfPiF - std::fabs(kHalfPiF - a);
  s = std::copysign(SinKernel(f), r);
  c = std::copysign(CosKernel(f), kHalfPiF - a);
}

// Natural log of x > 0 (normal floats): x = 2^e m with m in [sqrt(1/2), sqrt(2)) (integer
// operations only, as musl's logf), then log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172,
// odd series to s^9 (truncation error < 1e-9).
inline float LogPositive(float x) {
  constexpr std::uint32_t kOff = 0x3f3504f3u;  // bits of sqrt(1/2)
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t tmp = bits - kOff;
  const std::int32_t e = static_cast<std::int32_t>(tmp) >> 23;
  const float m = std::bit_cast<float>(bits - (tmp & 0xff800000u));
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
