// The soft Bellman sweep's kernels, private to the inference module: what one backup reads and
// writes (BackupKernel), the helpers every vector level shares (vector exp and log, the logits,
// Q of a block of rows) and the entry points of the levels, one file each:
//   sweep_portable.cc  GCC/Clang vector extensions, two doubles (SSE2 on x86-64)
//   sweep_avx2.cc      four doubles, four actions transposed (x86-64, chosen at run time)
//   sweep_avx512.cc    the exponentials eight at a time (AVX-512F, inside the AVX2 level)
// The operator (soft_bellman.cc) chooses the level and splits the states over threads. Every level
// computes the same operations as the general path (SoftContinuation, SoftStateValue of
// soft_backup.h), to the last bit: no a * b + c is fused into an FMA in any of these files
// (src/CMakeLists.txt passes -ffp-contract=off for them; Clang is told here as well). The vector
// code is compiled per function with target attributes, not per file with -m flags, so that no
// inline function of a shared header (the standard library's included) is emitted with AVX
// instructions for the whole program.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "cai/core/numerics.h"
#include "cai/inference/soft_backup.h"
#include "cai/inference/soft_bellman.h"
#include "soft_continuation.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#if defined(__GNUC__)  // GCC and Clang: vector extensions
#define CAI_FAST_SOFT_MAX 1
#if defined(__x86_64__) && !defined(CAI_NO_AVX2_KERNEL)
#define CAI_HAVE_AVX2_KERNEL 1
#if !defined(CAI_NO_AVX512_KERNEL)
#define CAI_HAVE_AVX512_KERNEL 1
#endif
#endif
#endif

namespace cai::sweep {

// Everything one backup reads and writes, as raw pointers (the hot loops index them directly).
struct BackupKernel {
  const std::int64_t* offsets;
  const std::int32_t* next;
  const double* prob;
  const double* rewards;
  std::int64_t num_transitions;
  const double* v_next;
  double* q;  // nullptr: Q is not stored
  double* v;
  int num_actions;
  double temperature;
  double discount;
  const double* log_table;  // the table prior's log p(a|s), row-major; nullptr for none / uniform
  double log_prior_const;   // log p(a|s) for none (0) / uniform (-log |A|)
  bool want_residual;       // accumulate max_s |v[s] - v_next[s]|
  // Row patterns (RowPatterns), or nullptr: replace rewards, offsets and probabilities in the
  // variational fast path.
  const std::uint8_t* row_pattern;
  const RowPatterns::Pattern* patterns;
  const double* pattern_probs;
  const std::uint8_t* state_pattern;  // four actions: per state, or nullptr
  const RowPatterns::StatePattern4* state_patterns;
  bool stencil;  // some state patterns are stencils
};

// Q entries per block of the vector levels: the block's Q and temporaries stay in L1.
constexpr int kSoftBlock = 1024;

#ifdef CAI_FAST_SOFT_MAX
// States [begin, end) with temperature > 0, prior none or uniform and at most kSoftBlock actions;
// `residual` receives max(residual, |v - v_next|) over them (when k.want_residual).
template <Backup kBackup>
void BackupStatesPortable(const BackupKernel& k, int begin, int end, double& residual);
#endif
#ifdef CAI_HAVE_AVX2_KERNEL
// The same with AVX2 (the processor must have it); `avx512`: the exponentials with AVX-512F.
template <Backup kBackup>
__attribute__((target("avx2"))) void BackupStatesAvx2(const BackupKernel& k, int begin, int end,
                                                      double& residual, bool avx512);
#endif
#ifdef CAI_HAVE_AVX512_KERNEL
// x[i] = exp(x[i]) for x[i] <= 0, i < n (a multiple of 8), with AVX-512F (the processor must have
// it): the same results as the other levels' ExpNonPositive, lane by lane.
__attribute__((target("avx512f"))) void ExpInPlaceAvx512(double* x, int n);
#endif

namespace {

// max(residual, |v[s] - v_next[s]|) over [s0, s0 + count), with NaN counted as +inf; called on
// each block right after its V is written, while it is in cache.
inline void BlockResidual(const BackupKernel& k, int s0, int count, double& residual) {
  if (!k.want_residual) return;
  const double* __restrict v = k.v + s0;
  const double* __restrict w = k.v_next + s0;
  double r = residual;
  bool nan = false;
  for (int j = 0; j < count; ++j) {
    const double d = std::abs(v[j] - w[j]);
    r = d > r ? d : r;
    nan |= d != d;
  }
  residual = nan ? std::numeric_limits<double>::infinity() : r;
}

#ifdef CAI_FAST_SOFT_MAX

// ---- The fast path: temperature > 0, prior none or uniform ----
//
// The same operations as the general path (SoftContinuation and SoftStateValue of soft_backup.h),
// in blocks of states so that they vectorise: Q for the block; the max over actions per state;
// the shifted logits (Q - max) / temperature and their exponentials, several at a time; the sum
// in action order; its log, several states at a time.
// Only exp and log differ from the C library's: inline vector versions accurate to about half an
// ulp (exp at most 0.56 ulp; log below 1 ulp), which agree with it to the last bit in all but a
// small fraction of cases.

// N doubles (and N 64-bit integers) in one vector register. The helpers below take and return
// vectors by reference: 32-byte vectors by value would cross an ABI boundary outside AVX code.
template <int N>
struct Vec;
template <>
struct Vec<2> {
  typedef double D __attribute__((vector_size(16)));
  typedef std::int64_t I __attribute__((vector_size(16)));
  typedef std::uint64_t U __attribute__((vector_size(16)));
};
template <>
struct Vec<4> {
  typedef double D __attribute__((vector_size(32)));
  typedef std::int64_t I __attribute__((vector_size(32)));
  typedef std::uint64_t U __attribute__((vector_size(32)));
};
template <>
struct Vec<8> {
  typedef double D __attribute__((vector_size(64)));
  typedef std::int64_t I __attribute__((vector_size(64)));
  typedef std::uint64_t U __attribute__((vector_size(64)));
};

#define CAI_INLINE inline __attribute__((always_inline))

// BlockResidual, N lanes at a time: the same maximum (max is exact, so the order does not matter)
// and the same NaN rule.
template <int N>
CAI_INLINE void BlockResidualN(const BackupKernel& k, int s0, int count, double& residual) {
  if (!k.want_residual) return;
  using D = typename Vec<N>::D;
  using I = typename Vec<N>::I;
  const double* v = k.v + s0;
  const double* w = k.v_next + s0;
  D r = D{} + residual;
  I nan = I{};
  int j = 0;
  for (; j + N <= count; j += N) {
    D a;
    D b;
    std::memcpy(&a, v + j, sizeof a);
    std::memcpy(&b, w + j, sizeof b);
    const D d = __builtin_bit_cast(D, __builtin_bit_cast(I, a - b) & (I{} + 0x7fffffffffffffff));
    const I greater = d > r;
    r = __builtin_bit_cast(
        D, (__builtin_bit_cast(I, d) & greater) | (__builtin_bit_cast(I, r) & ~greater));
    nan |= d != d;
  }
  double out = residual;
  bool any_nan = false;
  for (int l = 0; l < N; ++l) {
    out = r[l] > out ? r[l] : out;
    any_nan = any_nan || nan[l] != 0;
  }
  residual = any_nan ? std::numeric_limits<double>::infinity() : out;
  if (j < count) BlockResidual(k, s0 + j, count - j, residual);
}

// 2^(j/32) for j = 0..31 as (head, tail) pairs, head + tail exact to about 2^-106.
alignas(64) constexpr double kExp2Table[64] = {
    0x1.0000000000000p+0, 0x0.0p+0,
    0x1.059b0d3158574p+0, 0x1.d73e2a475b465p-55,
    0x1.0b5586cf9890fp+0, 0x1.8a62e4adc610bp-54,
    0x1.11301d0125b51p+0, -0x1.6c51039449b3ap-54,
    0x1.172b83c7d517bp+0, -0x1.19041b9d78a76p-55,
    0x1.1d4873168b9aap+0, 0x1.e016e00a2643cp-54,
    0x1.2387a6e756238p+0, 0x1.9b07eb6c70573p-54,
    0x1.29e9df51fdee1p+0, 0x1.612e8afad1255p-55,
    0x1.306fe0a31b715p+0, 0x1.6f46ad23182e4p-55,
    0x1.371a7373aa9cbp+0, -0x1.63aeabf42eae2p-54,
    0x1.3dea64c123422p+0, 0x1.ada0911f09ebcp-55,
    0x1.44e086061892dp+0, 0x1.89b7a04ef80d0p-59,
    0x1.4bfdad5362a27p+0, 0x1.d4397afec42e2p-56,
    0x1.5342b569d4f82p+0, -0x1.07abe1db13cadp-55,
    0x1.5ab07dd485429p+0, 0x1.6324c054647adp-54,
    0x1.6247eb03a5585p+0, -0x1.383c17e40b497p-54,
    0x1.6a09e667f3bcdp+0, -0x1.bdd3413b26456p-54,
    0x1.71f75e8ec5f74p+0, -0x1.16e4786887a99p-55,
    0x1.7a11473eb0187p+0, -0x1.41577ee04992fp-55,
    0x1.82589994cce13p+0, -0x1.d4c1dd41532d8p-54,
    0x1.8ace5422aa0dbp+0, 0x1.6e9f156864b27p-54,
    0x1.93737b0cdc5e5p+0, -0x1.75fc781b57ebcp-57,
    0x1.9c49182a3f090p+0, 0x1.c7c46b071f2bep-56,
    0x1.a5503b23e255dp+0, -0x1.d2f6edb8d41e1p-54,
    0x1.ae89f995ad3adp+0, 0x1.7a1cd345dcc81p-54,
    0x1.b7f76f2fb5e47p+0, -0x1.5584f7e54ac3bp-56,
    0x1.c199bdd85529cp+0, 0x1.11065895048ddp-55,
    0x1.cb720dcef9069p+0, 0x1.503cbd1e949dbp-56,
    0x1.d5818dcfba487p+0, 0x1.2ed02d75b3707p-55,
    0x1.dfc97337b9b5fp+0, -0x1.1a5cd4f184b5cp-54,
    0x1.ea4afa2a490dap+0, -0x1.e9c23179c2893p-54,
    0x1.f50765b6e4540p+0, 0x1.9d3e12dd8a18bp-54,
};

// exp(x) lane-wise for x <= 0; NaN stays NaN, and results below 2^-1021 (x < -708) are 0: they
// are added to a sum of at least 1, where they vanish anyway. x = (32 k + j) ln 2 / 32 + r with
// |r| <= ln 2 / 64; exp(x) = 2^k 2^(j/32) exp(r), exp(r) - 1 by its Taylor polynomial of degree 6
// (truncation error below 4e-18).
// Its two halves, shared by the version below (four or two lanes, the table looked up lane by lane)
// and the AVX-512 loop (eight lanes, the table looked up in registers): the reduction x = (32 k + j) ln 2 / 32 + r, giving r and 32 k + j ...
template <int N>
CAI_INLINE void ExpReduce(const typename Vec<N>::D& x, typename Vec<N>::D& r,
                          typename Vec<N>::U& ki) {
  using D = typename Vec<N>::D;
  using U = typename Vec<N>::U;  // unsigned: the bit arithmetic wraps (NaN input) without UB
  constexpr double k32InvLn2 = 0x1.71547652b82fep+5;
  constexpr double kLn2By32Hi = 0x1.62e42fee00000p-6;  // 32 bits: (32 k + j) kLn2By32Hi is exact
  constexpr double kLn2By32Lo = 0x1.a39ef35793c76p-38;
  constexpr double kShift = 0x1.8p52;  // t = y + kShift holds round(y) in its low bits
  constexpr std::uint64_t kShiftBits = 0x4338000000000000;
  const D t = x * k32InvLn2 + kShift;
  const D kj = t - kShift;
  r = (x - kj * kLn2By32Hi) - kj * kLn2By32Lo;
  ki = __builtin_bit_cast(U, t) - kShiftBits;  // 32 k + j, two's complement
}

// ... and, given 2^(j/32) as head + tail, 2^k 2^(j/32) exp(r).
template <int N>
CAI_INLINE void ExpFinish(const typename Vec<N>::D& x, const typename Vec<N>::D& r,
                          const typename Vec<N>::U& ki, const typename Vec<N>::D& head,
                          const typename Vec<N>::D& tail, typename Vec<N>::D& out) {
  using D = typename Vec<N>::D;
  using I = typename Vec<N>::I;
  using U = typename Vec<N>::U;
  const U j = ki & 31u;
  const D scale = __builtin_bit_cast(D, ((ki - j) << 47) + (std::uint64_t{1023} << 52));  // 2^k
  const D p =
      r + (r * r) * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720)))));
  const D e = (head + (tail + head * p)) * scale;
  const I underflow = x < -708.0;
  out = __builtin_bit_cast(D, __builtin_bit_cast(I, e) & ~underflow);
}

template <int N>
CAI_INLINE void ExpNonPositive(const typename Vec<N>::D& x, typename Vec<N>::D& out) {
  using D = typename Vec<N>::D;
  using U = typename Vec<N>::U;
  D r;
  U ki;
  ExpReduce<N>(x, r, ki);
  const U j = ki & 31u;
  D head;
  D tail;
  for (int l = 0; l < N; ++l) {
    head[l] = kExp2Table[2 * j[l]];
    tail[l] = kExp2Table[2 * j[l] + 1];
  }
  ExpFinish<N>(x, r, ki, head, tail, out);
}

// log(x) lane-wise for normal positive finite x: fdlibm's e_log.c (error below 1 ulp).
template <int N>
CAI_INLINE void LogNormalPositive(const typename Vec<N>::D& x, typename Vec<N>::D& out) {
  using D = typename Vec<N>::D;
  using I = typename Vec<N>::I;
  using U = typename Vec<N>::U;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kLg1 = 6.666666666666735130e-01;
  constexpr double kLg2 = 3.999999999940941908e-01;
  constexpr double kLg3 = 2.857142874366239149e-01;
  constexpr double kLg4 = 2.222219843214978396e-01;
  constexpr double kLg5 = 1.818357216161805012e-01;
  constexpr double kLg6 = 1.531383769920937332e-01;
  constexpr double kLg7 = 1.479819860511658591e-01;
  constexpr double kShift = 0x1.8p52;
  constexpr std::int64_t kShiftBits = 0x4338000000000000;
  // x = 2^k (1 + f) with sqrt(2)/2 <= 1 + f < sqrt(2), on the high 32 bits as fdlibm does.
  const U ix = __builtin_bit_cast(U, x);
  U hx = ix >> 32;
  const U biased_k = hx >> 20;
  hx &= 0x000fffffu;
  const U i = (hx + 0x95f64u) & 0x100000u;
  const D f = __builtin_bit_cast(D, ((hx | (i ^ 0x3ff00000u)) << 32) | (ix & 0xffffffffu)) - 1.0;
  const I k = __builtin_bit_cast(I, biased_k + (i >> 20)) - 1023;
  const D dk = __builtin_bit_cast(D, k + kShiftBits) - kShift;
  const D s = f / (2.0 + f);
  const D z = s * s;
  const D w = z * z;
  const D r = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7))) + w * (kLg2 + w * (kLg4 + w * kLg6));
  const D hfsq = 0.5 * f * f;
  out = dk * kLn2Hi - ((hfsq - (s * (hfsq + r) + dk * kLn2Lo)) - f);
}

// V = max + temperature * (log sum + log prior) for N states. A sum is at least 1 (its largest term
// is exp(0)), so the inline log applies; NaN or inf (from NaN or inf Q) take std::log.
template <int N>
CAI_INLINE void SoftValue(const typename Vec<N>::D& max, const typename Vec<N>::D& sum,
                          double temperature, double log_prior_const, typename Vec<N>::D& out) {
  using D = typename Vec<N>::D;
  using I = typename Vec<N>::I;
  D y;
  LogNormalPositive<N>(sum, y);
  const I ok = (sum >= 1.0) & (sum <= std::numeric_limits<double>::max());
  bool all_ok = true;
  for (int l = 0; l < N; ++l) all_ok = all_ok && ok[l] != 0;
  if (!all_ok) {
    for (int l = 0; l < N; ++l) {
      if (ok[l] == 0) y[l] = std::log(sum[l]);
    }
  }
  out = max + temperature * (y + log_prior_const);
}

// The logits (Q - max) / temperature are computed as (Q - max) * (1 / temperature), a
// multiplication instead of a division (which costs several times more), when 1 / temperature is a
// normal number; the logit then differs from the quotient by at most about an ulp, which moves an
// exponential term by at most about |logit| ulps of a term below exp(logit), under half an ulp of
// the sum. Otherwise (temperatures below about 5.6e-309 or above about 4.5e307) they are divided.
struct LogitScale {
  double temperature;
  double inverse;
  bool by_inverse;
  explicit LogitScale(double t)
      : temperature(t), inverse(1.0 / t), by_inverse(std::isnormal(1.0 / t)) {}
  template <class D>
  CAI_INLINE void operator()(const D& shifted, D& out) const {
    out = by_inverse ? shifted * inverse : shifted / temperature;
  }
};

// With a uniform prior, V = max + temperature * (log sum - log |A|) cancels when the temperature
// dwarfs the spread of Q (every logit >= -1): those states of [s0, s0 + count) are redone by
// SoftStateValue's accurate mean form. Prior none needs no such care (see SoftStateValue).
inline void RedoNearlyUniformStates(const BackupKernel& k, const double* qb, int s0, int count) {
  if (k.log_prior_const == 0.0) return;
  const int na = k.num_actions;
  double z[kSoftBlock];
  for (int j = 0; j < count; ++j) {
    const double* qs = qb + static_cast<std::size_t>(j) * static_cast<std::size_t>(na);
    double hi = qs[0];
    double lo = qs[0];
    for (int a = 1; a < na; ++a) {
      hi = std::max(hi, qs[a]);
      lo = std::min(lo, qs[a]);
    }
    if ((lo - hi) / k.temperature >= -1.0) {
      k.v[s0 + j] = SoftStateValue(std::span<const double>(qs, static_cast<std::size_t>(na)),
                                   k.temperature, StateLogPrior{nullptr, k.log_prior_const},
                                   std::span<double>(z, static_cast<std::size_t>(na)));
    }
  }
}

// Q of the variational backup for the rows [row0, row0 + n) from their patterns, into qb; their
// transitions start at t; returns where the next row's start. The same operations as QRows below.
CAI_INLINE std::int64_t QRowsFromPatterns(const BackupKernel& k, std::size_t row0, int n,
                                          std::int64_t t, double* __restrict qb) {
  const std::uint8_t* __restrict rp = k.row_pattern + row0;
  const RowPatterns::Pattern* __restrict patterns = k.patterns;
  const double* __restrict probs = k.pattern_probs;
  const std::int32_t* __restrict next = k.next;
  const double* __restrict v_next = k.v_next;
  const double discount = k.discount;
  for (int i = 0; i < n; ++i) {
    const RowPatterns::Pattern pat = patterns[rp[i]];
    const double* __restrict p = probs + pat.prob_begin;
    double acc = 0.0;
    if (pat.count == 3) {  // the common case (gridworlds), straight-line
      acc += p[0] * v_next[next[t]];
      acc += p[1] * v_next[next[t + 1]];
      acc += p[2] * v_next[next[t + 2]];
    } else {
      for (int u = 0; u < pat.count; ++u) acc += p[u] * v_next[next[t + u]];
    }
    t += pat.count;
    qb[i] = pat.reward + discount * acc;
  }
  return t;
}

// Q = r + continuation for the rows [row0, row0 + n), whose transitions start at t, into qb;
// returns where the next row's start. The same operations as QValue: for the variational backup
// discount * (((0 + p_0 V_0) + p_1 V_1) + ...), which for a row without successors is
// discount * (+0) = +0, the 0 that QValue adds.
template <Backup kBackup>
CAI_INLINE std::int64_t QRows(const BackupKernel& k, std::size_t row0, int n, std::int64_t t,
                              double* __restrict qb) {
  if constexpr (kBackup == Backup::kVariational) {
    if (k.row_pattern != nullptr) return QRowsFromPatterns(k, row0, n, t, qb);
  }
  const std::int64_t* __restrict ends = k.offsets + row0 + 1;
  const double* __restrict rb = k.rewards + row0;
  const std::int32_t* __restrict next = k.next;
  const double* __restrict prob = k.prob;
  const double* __restrict v_next = k.v_next;
  const double discount = k.discount;
  const double temperature = k.temperature;
  for (int i = 0; i < n; ++i) {
    const std::int64_t e = ends[i];
    double c;
    if constexpr (kBackup == Backup::kVariational) {
      double acc = 0.0;
      if (e - t == 3) {  // the common case (gridworlds), straight-line
        acc += prob[t] * v_next[next[t]];
        acc += prob[t + 1] * v_next[next[t + 1]];
        acc += prob[t + 2] * v_next[next[t + 2]];
      } else {
        for (std::int64_t u = t; u < e; ++u) acc += prob[u] * v_next[next[u]];
      }
      c = discount * acc;
    } else {
      c = e == t ? 0.0
                 : detail::SoftContinuationInline<kBackup>(next + t, prob + t, e - t, v_next,
                                                           temperature, discount);
    }
    t = e;
    qb[i] = rb[i] + c;
  }
  return t;
}

// States [begin, end), any number of actions, N doubles per vector. kNa: the number of actions if
// known at compile time (loops over actions unroll), else 0.
template <Backup kBackup, int N, int kNa>
CAI_INLINE void BackupStatesSoftN(const BackupKernel& k, int begin, int end, double& residual) {
  using D = typename Vec<N>::D;
  const int na = kNa > 0 ? kNa : k.num_actions;
  const double temperature = k.temperature;
  const LogitScale logit(temperature);
  const int block = kSoftBlock / na;
  alignas(32) double m[kSoftBlock + N];       // max_a Q per state
  alignas(32) double m_wide[kSoftBlock + N];  // the same per (state, action)
  alignas(32) double terms[kSoftBlock + N];   // exp((Q - max) / temperature)
  alignas(32) double sums[kSoftBlock + N];    // per state
  alignas(32) double q_local[kSoftBlock];     // Q of the block when it is not stored
  std::int64_t t = k.offsets[static_cast<std::size_t>(begin) * static_cast<std::size_t>(na)];
  for (int s0 = begin; s0 < end; s0 += block) {
    const int count = std::min(block, end - s0);
    const int n = count * na;
    const std::size_t row0 = static_cast<std::size_t>(s0) * static_cast<std::size_t>(na);
    double* __restrict qb = k.q != nullptr ? k.q + row0 : q_local;
    t = QRows<kBackup>(k, row0, n, t, qb);
    // Max over actions, in std::max order as in SoftStateValue.
    for (int j = 0, i = 0; j < count; ++j, i += na) {
      double mj = kNegInf;
      for (int a = 0; a < na; ++a) mj = std::max(mj, qb[i + a]);
      m[j] = mj;
      for (int a = 0; a < na; ++a) m_wide[i + a] = mj;
    }
    // exp((Q - max) / temperature), N at a time; the last vector is padded with exp(-inf) = 0.
    int i = 0;
    for (; i + N <= n; i += N) {
      D x;
      D mx;
      std::memcpy(&x, qb + i, sizeof x);
      std::memcpy(&mx, m_wide + i, sizeof mx);
      logit(x - mx, x);
      ExpNonPositive<N>(x, x);
      std::memcpy(terms + i, &x, sizeof x);
    }
    if (i < n) {
      D x = D{};
      for (int l = 0; l < N; ++l) {
        double y = kNegInf;
        if (i + l < n) logit(qb[i + l] - m_wide[i + l], y);
        x[l] = y;
      }
      ExpNonPositive<N>(x, x);
      std::memcpy(terms + i, &x, sizeof x);
    }
    // Sums in action order: ((0 + e_0) + e_1) + ...
    for (int j = 0, u = 0; j < count; ++j) {
      double sum = 0.0;
      for (int a = 0; a < na; ++a, ++u) sum += terms[u];
      sums[j] = sum;
    }
    for (int j = count; j < count + N; ++j) {  // pads the last vector
      sums[j] = 1.0;
      m[j] = 0.0;
    }
    for (int j = 0; j < count; j += N) {
      D sum;
      D mx;
      std::memcpy(&sum, sums + j, sizeof sum);
      std::memcpy(&mx, m + j, sizeof mx);
      D out;
      SoftValue<N>(mx, sum, temperature, k.log_prior_const, out);
      if (j + N <= count) {
        std::memcpy(k.v + s0 + j, &out, sizeof out);
      } else {
        for (int l = 0; j + l < count; ++l) k.v[s0 + j + l] = out[l];
      }
    }
    RedoNearlyUniformStates(k, qb, s0, count);
    BlockResidualN<N>(k, s0, count, residual);
  }
}

#endif  // CAI_FAST_SOFT_MAX

}  // namespace
}  // namespace cai::sweep
