#include "cai/inference/soft_bellman.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"

// No a * b + c contracted into an FMA, so that every code path (and every target the fast path
// below is compiled for, AVX-512 and -march=native included) rounds the same way: the build passes
// -ffp-contract=off for this file (src/CMakeLists.txt); Clang is told here as well.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace cai {
namespace {

// Continuation value of one (s, a) given next-step values.
template <Backup kBackup>
inline double Continuation(const std::int32_t* next, const double* prob, std::int64_t n,
                           const double* v_next, double temperature, double discount) {
  if constexpr (kBackup == Backup::kVariational) {
    double acc = 0.0;
    for (std::int64_t k = 0; k < n; ++k) acc += prob[k] * v_next[next[k]];
    return discount * acc;
  } else {
    // temperature * log sum p exp(discount * V / temperature), shifted by the max over p > 0 and
    // with p normalised (the sum is 1 only to the loader's tolerance): discount * M +
    // temperature * log E_p[exp(z)] with z = discount * (V - M) / temperature <= 0. When every
    // z >= -1 the mean is taken as log1p(E_p[expm1(z)]), which keeps full precision at huge
    // temperatures where log(sum) would lose temperature * 1e-16 (see LogMeanExp).
    double m = kNegInf;
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) m = std::max(m, v_next[next[k]]);
    }
    if (temperature == 0.0 || discount == 0.0) return discount * m;
    double zmin = 0.0;
    double total = 0.0;
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) {
        zmin = std::min(zmin, discount * (v_next[next[k]] - m) / temperature);
        total += prob[k];
      }
    }
    double s = 0.0;
    if (zmin >= -1.0) {
      for (std::int64_t k = 0; k < n; ++k) {
        if (prob[k] > 0.0) s += prob[k] * std::expm1(discount * (v_next[next[k]] - m) / temperature);
      }
      return discount * m + temperature * std::log1p(s / total);
    }
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) s += prob[k] * std::exp(discount * (v_next[next[k]] - m) / temperature);
    }
    return discount * m + temperature * std::log(s / total);
  }
}

// Soft maximum over the actions of one state: temperature * log sum_a p(a|s) exp(q_a / temperature)
// with log p given as a per-action array (a table, normalised), or as a constant offset (none: 0,
// uniform: -log |A|). `z` is scratch space for num_actions doubles. Prior none:
// m + temperature * log sum exp((q - m) / temperature), accurate relative to the result (at least
// temperature * 0, at most temperature * log |A| above m). A uniform or table prior gives a mean,
// m + temperature * LogMeanExp, which also stays accurate when temperature dwarfs the spread of
// q and the result tends to the prior mean of q.
inline double SoftMaxRow(const double* q, int num_actions, double temperature,
                         const double* log_prior_row, double log_prior_const, double* z) {
  double m = kNegInf;
  for (int a = 0; a < num_actions; ++a) {
    if (log_prior_row == nullptr || log_prior_row[a] != kNegInf) m = std::max(m, q[a]);
  }
  if (temperature == 0.0) return m;
  if (log_prior_row == nullptr && log_prior_const == 0.0) {
    double s = 0.0;
    for (int a = 0; a < num_actions; ++a) s += std::exp((q[a] - m) / temperature);
    return m + temperature * std::log(s);
  }
  if (m == kNegInf || !std::isfinite(m)) {
    return SoftMax(std::span<const double>(q, static_cast<std::size_t>(num_actions)), temperature,
                   log_prior_row == nullptr
                       ? std::span<const double>()
                       : std::span<const double>(log_prior_row,
                                                 static_cast<std::size_t>(num_actions)));
  }
  for (int a = 0; a < num_actions; ++a) z[a] = (q[a] - m) / temperature;
  const auto n = static_cast<std::size_t>(num_actions);
  return m + temperature *
                 LogMeanExp(std::span<const double>(z, n),
                            log_prior_row == nullptr ? std::span<const double>()
                                                     : std::span<const double>(log_prior_row, n));
}

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

template <Backup kBackup>
inline double QValue(const BackupKernel& k, std::size_t sa) {
  const std::int64_t begin = k.offsets[sa];
  const std::int64_t n = k.offsets[sa + 1] - begin;
  return k.rewards[sa] + (n == 0 ? 0.0
                                 : Continuation<kBackup>(k.next + begin, k.prob + begin, n,
                                                         k.v_next, k.temperature, k.discount));
}

// States [begin, end), one at a time: every temperature and prior.
template <Backup kBackup>
void BackupStatesGeneral(const BackupKernel& k, int begin, int end, double& residual) {
  const auto na = static_cast<std::size_t>(k.num_actions);
  double z_small[64];
  std::vector<double> z_large;
  double* z = z_small;
  if (na > 64) {
    z_large.resize(na);
    z = z_large.data();
  }
  std::vector<double> q_row(k.q == nullptr ? na : 0);
  for (int s = begin; s < end; ++s) {
    const std::size_t row = static_cast<std::size_t>(s) * na;
    double* qs = k.q != nullptr ? k.q + row : q_row.data();
    for (std::size_t a = 0; a < na; ++a) qs[a] = QValue<kBackup>(k, row + a);
    k.v[s] = SoftMaxRow(qs, k.num_actions, k.temperature,
                        k.log_table != nullptr ? k.log_table + row : nullptr, k.log_prior_const,
                        z);
    BlockResidual(k, s, 1, residual);
  }
}

#if defined(__GNUC__)  // GCC and Clang: vector extensions
#define CAI_FAST_SOFT_MAX 1

// ---- The fast path: temperature > 0, prior none or uniform ----
//
// The same operations as QValue and SoftMaxRow, in blocks of states so that they vectorise: Q for
// the block; the max over actions per state; the shifted logits (Q - max) / temperature and their
// exponentials, several at a time; the sum in action order; its log, several states at a time.
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

// Q entries per block: the block's Q and temporaries stay in L1.
constexpr int kSoftBlock = 1024;

// With a uniform prior, V = max + temperature * (log sum - log |A|) cancels when the temperature
// dwarfs the spread of Q (every logit >= -1): those states of [s0, s0 + count) are redone by
// SoftMaxRow's accurate mean form. Prior none needs no such care (see SoftMaxRow).
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
      k.v[s0 + j] = SoftMaxRow(qs, na, k.temperature, nullptr, k.log_prior_const, z);
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
                 : Continuation<kBackup>(next + t, prob + t, e - t, v_next, temperature, discount);
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
    // Max over actions, in std::max order as in SoftMaxRow.
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

template <Backup kBackup>
void BackupStatesSoft(const BackupKernel& k, int begin, int end, double& residual) {
  if (k.num_actions == 4) {
    BackupStatesSoftN<kBackup, 2, 4>(k, begin, end, residual);
  } else {
    BackupStatesSoftN<kBackup, 2, 0>(k, begin, end, residual);
  }
}

#if defined(__x86_64__) && !defined(CAI_NO_AVX2_KERNEL)
#define CAI_HAVE_AVX2_KERNEL 1

// AVX2 versions, chosen at run time. They use no FMA (and the build contracts none), so every
// result is the same to the last bit as on the SSE2 path.

// Q of the variational backup for `count` states of four actions from their state patterns, into
// qb (row-major); their transitions start at t; returns where the next state's start. A state
// whose rows have c successors each is done as one vector over its actions:
// q = r + discount * (((0 + p_0 v_0) + p_1 v_1) + ...), lane by lane the operations of QRows. Other
// states go row by row.
__attribute__((target("avx2"))) inline std::int64_t QStatesFromPatternsAvx2(
    const BackupKernel& k, std::size_t row0, int count, std::int64_t t, double* __restrict qb) {
  using D = Vec<4>::D;
  const std::uint8_t* __restrict sp = k.state_pattern + row0 / 4;
  const RowPatterns::StatePattern4* __restrict patterns = k.state_patterns;
  const std::int32_t* __restrict next = k.next;
  const double* __restrict v = k.v_next;
  const double discount = k.discount;
  for (int j = 0; j < count; ++j) {
    const RowPatterns::StatePattern4& pat = patterns[sp[j]];
    D r;
    std::memcpy(&r, pat.reward, sizeof r);
    D acc = D{};
    if (pat.count == 3) {  // gridworlds
      const std::int32_t* __restrict n = next + t;
      const D v0 = {v[n[0]], v[n[3]], v[n[6]], v[n[9]]};
      const D v1 = {v[n[1]], v[n[4]], v[n[7]], v[n[10]]};
      const D v2 = {v[n[2]], v[n[5]], v[n[8]], v[n[11]]};
      D p0;
      D p1;
      D p2;
      std::memcpy(&p0, pat.prob[0], sizeof p0);
      std::memcpy(&p1, pat.prob[1], sizeof p1);
      std::memcpy(&p2, pat.prob[2], sizeof p2);
      acc += p0 * v0;
      acc += p1 * v1;
      acc += p2 * v2;
      t += 12;
    } else if (pat.count >= 0) {
      const int c = pat.count;
      const std::int32_t* __restrict n = next + t;
      for (int u = 0; u < c; ++u) {
        const D vu = {v[n[u]], v[n[c + u]], v[n[2 * c + u]], v[n[3 * c + u]]};
        D pu;
        std::memcpy(&pu, pat.prob[u], sizeof pu);
        acc += pu * vu;
      }
      t += 4 * c;
    } else {
      t = QRowsFromPatterns(k, row0 + 4 * static_cast<std::size_t>(j), 4, t, qb + 4 * j);
      continue;
    }
    const D q = r + discount * acc;
    std::memcpy(qb + 4 * j, &q, sizeof q);
  }
  return t;
}

// Q of `count` states of four actions (rows [row0, row0 + 4 count)) whose transitions start at t;
// returns where the next state's start. Variational states whose four rows have three successors
// each (gridworlds but for the edges) take a straight-line path: the same operations as QRows.
// (No SLP vectorisation: packing the gathered values into vectors costs more than it saves.)
template <Backup kBackup>
#if defined(__clang__)
__attribute__((target("avx2"))) inline std::int64_t
#else
__attribute__((target("avx2"), optimize("no-tree-slp-vectorize"))) inline std::int64_t
#endif
QRowsOf4Avx2(const BackupKernel& k, std::size_t row0, int count, std::int64_t t,
             double* __restrict qb) {
  if constexpr (kBackup != Backup::kVariational) {
    return QRows<kBackup>(k, row0, 4 * count, t, qb);
  } else {
    if (k.state_pattern != nullptr) return QStatesFromPatternsAvx2(k, row0, count, t, qb);
    if (k.row_pattern != nullptr) return QRowsFromPatterns(k, row0, 4 * count, t, qb);
    using I = Vec<4>::I;
    const std::int64_t* __restrict ends = k.offsets + row0 + 1;
    const double* __restrict rb = k.rewards + row0;
    const std::int32_t* __restrict next = k.next;
    const double* __restrict prob = k.prob;
    const double* __restrict v_next = k.v_next;
    const double discount = k.discount;
    for (int j = 0; j < count; ++j) {
      I e;
      std::memcpy(&e, ends + 4 * j, sizeof e);
      const I three_each = (t + I{3, 6, 9, 12}) == e;
      if (_mm256_movemask_pd(__builtin_bit_cast(__m256d, three_each)) == 0xf) {
        for (int a = 0; a < 4; ++a) {
          const std::int64_t u = t + 3 * a;
          double acc = 0.0;
          acc += prob[u] * v_next[next[u]];
          acc += prob[u + 1] * v_next[next[u + 1]];
          acc += prob[u + 2] * v_next[next[u + 2]];
          qb[4 * j + a] = rb[4 * j + a] + discount * acc;
        }
        t += 12;
      } else {
        t = QRows<kBackup>(k, row0 + 4 * static_cast<std::size_t>(j), 4, t, qb + 4 * j);
      }
    }
    return t;
  }
}

#if !defined(CAI_NO_AVX512_KERNEL)
#define CAI_HAVE_AVX512_KERNEL 1
// The heads and the tails of kExp2Table apart, for in-register lookups.
struct Exp2Halves {
  alignas(64) double head[32];
  alignas(64) double tail[32];
};
constexpr Exp2Halves MakeExp2Halves() {
  Exp2Halves h{};
  for (int j = 0; j < 32; ++j) {
    h.head[j] = kExp2Table[2 * j];
    h.tail[j] = kExp2Table[2 * j + 1];
  }
  return h;
}
constexpr Exp2Halves kExp2Halves = MakeExp2Halves();

// x[i] = ExpNonPositive(x[i]) for i < n (a multiple of 8), eight at a time with AVX-512: the same
// operations lane by lane (no FMA: the build contracts none), so the same results to the last bit;
// the table is looked up in registers (two two-source permutes and a blend per half).
__attribute__((target("avx512f"))) void ExpInPlaceAvx512(double* x, int n) {
  using D = Vec<8>::D;
  using U = Vec<8>::U;
  const __m512d h0 = _mm512_load_pd(kExp2Halves.head);
  const __m512d h1 = _mm512_load_pd(kExp2Halves.head + 8);
  const __m512d h2 = _mm512_load_pd(kExp2Halves.head + 16);
  const __m512d h3 = _mm512_load_pd(kExp2Halves.head + 24);
  const __m512d t0 = _mm512_load_pd(kExp2Halves.tail);
  const __m512d t1 = _mm512_load_pd(kExp2Halves.tail + 8);
  const __m512d t2 = _mm512_load_pd(kExp2Halves.tail + 16);
  const __m512d t3 = _mm512_load_pd(kExp2Halves.tail + 24);
  for (int i = 0; i < n; i += 8) {
    D v;
    std::memcpy(&v, x + i, sizeof v);
    D r;
    U ki;
    ExpReduce<8>(v, r, ki);
    // Entries 0-15 from (h0, h1), 16-31 from (h2, h3): the permutes use the low 4 bits of j.
    const U j = ki & 31u;
    const __m512i index = __builtin_bit_cast(__m512i, j);
    const __mmask8 upper = _mm512_test_epi64_mask(index, _mm512_set1_epi64(16));
    const __m512d head = _mm512_mask_blend_pd(upper, _mm512_permutex2var_pd(h0, index, h1),
                                              _mm512_permutex2var_pd(h2, index, h3));
    const __m512d tail = _mm512_mask_blend_pd(upper, _mm512_permutex2var_pd(t0, index, t1),
                                              _mm512_permutex2var_pd(t2, index, t3));
    D out;
    ExpFinish<8>(v, r, ki, __builtin_bit_cast(D, head), __builtin_bit_cast(D, tail), out);
    std::memcpy(x + i, &out, sizeof out);
  }
}

#endif

// The 4 x 4 transpose: out[c][l] = in[l][c] (rows of Q to actions across states, and back).
CAI_INLINE void Transpose4(const Vec<4>::D in[4], Vec<4>::D out[4]) {
  using D = Vec<4>::D;
#if defined(__clang__)
  const D lo01 = __builtin_shufflevector(in[0], in[1], 0, 4, 2, 6);
  const D hi01 = __builtin_shufflevector(in[0], in[1], 1, 5, 3, 7);
  const D lo23 = __builtin_shufflevector(in[2], in[3], 0, 4, 2, 6);
  const D hi23 = __builtin_shufflevector(in[2], in[3], 1, 5, 3, 7);
  out[0] = __builtin_shufflevector(lo01, lo23, 0, 1, 4, 5);
  out[1] = __builtin_shufflevector(hi01, hi23, 0, 1, 4, 5);
  out[2] = __builtin_shufflevector(lo01, lo23, 2, 3, 6, 7);
  out[3] = __builtin_shufflevector(hi01, hi23, 2, 3, 6, 7);
#else
  using I = Vec<4>::I;
  const D lo01 = __builtin_shuffle(in[0], in[1], I{0, 4, 2, 6});
  const D hi01 = __builtin_shuffle(in[0], in[1], I{1, 5, 3, 7});
  const D lo23 = __builtin_shuffle(in[2], in[3], I{0, 4, 2, 6});
  const D hi23 = __builtin_shuffle(in[2], in[3], I{1, 5, 3, 7});
  out[0] = __builtin_shuffle(lo01, lo23, I{0, 1, 4, 5});
  out[1] = __builtin_shuffle(hi01, hi23, I{0, 1, 4, 5});
  out[2] = __builtin_shuffle(lo01, lo23, I{2, 3, 6, 7});
  out[3] = __builtin_shuffle(hi01, hi23, I{2, 3, 6, 7});
#endif
}

// Q of the four states s..s+3, which share the stencil pattern `pat`, with action c of each in
// a[c]: the successors of state s + l lie at s + l + offset, so each term is a contiguous load of
// four values. Lane by lane the operations of QRowsFromPatterns.
CAI_INLINE void StencilGroup(const BackupKernel& k, const RowPatterns::StatePattern4& pat, int s,
                             Vec<4>::D a[4]) {
  using D = Vec<4>::D;
  const double* v = k.v_next + s;
  const D discount = D{} + k.discount;
  const int count = pat.count;
  // Broadcasts are copies ({x, x, x, x}): D{} + x would turn -0.0 into +0.0.
  for (int c = 0; c < 4; ++c) {
    D acc = D{};
    if (count == 3) {  // gridworlds
      for (int u = 0; u < 3; ++u) {
        D vu;
        std::memcpy(&vu, v + pat.offset[u][c], sizeof vu);
        const double p = pat.prob[u][c];
        acc += D{p, p, p, p} * vu;
      }
    } else {
      for (int u = 0; u < count; ++u) {
        D vu;
        std::memcpy(&vu, v + pat.offset[u][c], sizeof vu);
        const double p = pat.prob[u][c];
        acc += D{p, p, p, p} * vu;
      }
    }
    const double r = pat.reward[c];
    a[c] = D{r, r, r, r} + discount * acc;
  }
}

// Four actions (gridworlds): Q as above, then four states at a time with their actions transposed
// into four vectors, so that the max, the logits, the exponentials and the sum in action order are
// vector operations; then the logs, four states at a time. The exponentials run as a loop of their
// own over the block's logits: independent iterations short enough for the processor to overlap
// many of them (one exponential is a long chain of dependent operations).
template <Backup kBackup>
__attribute__((target("avx2"))) void BackupStates4Avx2(const BackupKernel& k, int begin, int end,
                                                       double& residual,
                                                       [[maybe_unused]] bool avx512) {
  using D = Vec<4>::D;
  constexpr int kBlock = kSoftBlock / 4;
  const double temperature = k.temperature;
  const LogitScale logit(temperature);
  alignas(32) double m[kBlock];
  alignas(32) double sums[kBlock];
  alignas(64) double terms[kSoftBlock + 16];  // logits, then their exponentials, 4 states x 4 actions
  alignas(32) double q_local[kSoftBlock];  // Q of the block when it is not stored
  std::int64_t t = k.offsets[static_cast<std::size_t>(begin) * 4];
  for (int s0 = begin; s0 < end; s0 += kBlock) {
    const int count = std::min(kBlock, end - s0);
    const std::size_t row0 = static_cast<std::size_t>(s0) * 4;
    double* __restrict qb = k.q != nullptr ? k.q + row0 : q_local;
    // Stencil patterns: Q is computed per group of four states below; else for the whole block.
    const bool stencil = kBackup == Backup::kVariational && k.stencil;
    if (!stencil) t = QRowsOf4Avx2<kBackup>(k, row0, count, t, qb);
    const bool need_q = k.q != nullptr || k.log_prior_const != 0.0;  // stored, or redone
    for (int j = 0; j < count; j += 4) {
      // a[c] = Q of action c of states j..j+3 (padded with 0 past the end).
      D a[4];
      bool done = false;
      if (stencil) {
        const std::uint8_t* sp = k.state_pattern + s0 + j;
        const RowPatterns::StatePattern4& pat = k.state_patterns[sp[0]];
        if (j + 4 <= count && pat.stencil && sp[1] == sp[0] && sp[2] == sp[0] && sp[3] == sp[0]) {
          StencilGroup(k, pat, s0 + j, a);
          t += 16 * pat.count;
          if (need_q) {
            D rows[4];
            Transpose4(a, rows);
            std::memcpy(qb + 4 * j, rows, sizeof rows);
          }
          done = true;
        } else {
          t = QStatesFromPatternsAvx2(k, row0 + 4 * static_cast<std::size_t>(j),
                                      std::min(4, count - j), t, qb + 4 * j);
        }
      }
      if (!done) {
        alignas(32) double padded[16];
        const double* qs = qb + 4 * j;
        if (j + 4 > count) {
          for (int u = 0; u < 16; ++u) padded[u] = u < 4 * (count - j) ? qs[u] : 0.0;
          qs = padded;
        }
        D rows[4];
        std::memcpy(rows, qs, sizeof rows);
        Transpose4(rows, a);
      }
      // The max over actions as a tree, vmaxpd(x, y) = x > y ? x : y: the same value as
      // std::max in action order whenever no Q is NaN (up to the sign of a zero maximum, which
      // V = max + temperature * log(sum) does not show, as log(sum) >= 0). A NaN Q makes V NaN
      // either way through its exponential.
      __m256d qv[4];
      for (int u = 0; u < 4; ++u) qv[u] = __builtin_bit_cast(__m256d, a[u]);
      const D mx = __builtin_bit_cast(
          D, _mm256_max_pd(_mm256_max_pd(qv[1], qv[0]), _mm256_max_pd(qv[3], qv[2])));
      for (int c = 0; c < 4; ++c) {
        D x;
        logit(a[c] - mx, x);
        std::memcpy(terms + 4 * j + 4 * c, &x, sizeof x);
      }
      std::memcpy(m + j, &mx, sizeof mx);
    }
    const int groups = (count + 3) / 4;
#ifdef CAI_HAVE_AVX512_KERNEL
    if (avx512) {
      ExpInPlaceAvx512(terms, 16 * groups);
    } else
#endif
    {
      for (int i = 0; i < 16 * groups; i += 4) {
        D x;
        std::memcpy(&x, terms + i, sizeof x);
        ExpNonPositive<4>(x, x);
        std::memcpy(terms + i, &x, sizeof x);
      }
    }
    for (int j = 0; j < count; j += 4) {
      // ((0 + e_0) + e_1) + ..., where 0 + e_0 = e_0 (e_0 is +0, positive or NaN).
      D sum;
      D e;
      std::memcpy(&sum, terms + 4 * j, sizeof sum);
      for (int c = 1; c < 4; ++c) {
        std::memcpy(&e, terms + 4 * j + 4 * c, sizeof e);
        sum += e;
      }
      std::memcpy(sums + j, &sum, sizeof sum);
    }
    for (int j = 0; j < count; j += 4) {
      D mx;
      D sum;
      std::memcpy(&mx, m + j, sizeof mx);
      std::memcpy(&sum, sums + j, sizeof sum);
      D out;
      SoftValue<4>(mx, sum, temperature, k.log_prior_const, out);
      if (j + 4 <= count) {
        std::memcpy(k.v + s0 + j, &out, sizeof out);
      } else {
        for (int l = 0; j + l < count; ++l) k.v[s0 + j + l] = out[l];
      }
    }
    RedoNearlyUniformStates(k, qb, s0, count);
    BlockResidualN<4>(k, s0, count, residual);
  }
}

template <Backup kBackup>
__attribute__((target("avx2"))) void BackupStatesSoftAvx2(const BackupKernel& k, int begin,
                                                          int end, double& residual, bool avx512) {
  if (k.num_actions == 4) {
    BackupStates4Avx2<kBackup>(k, begin, end, residual, avx512);
  } else {
    BackupStatesSoftN<kBackup, 4, 0>(k, begin, end, residual);
  }
}
#endif  // x86-64

#endif  // __GNUC__

// The best level this build and processor offer.
SimdLevel DetectSimd() {
#ifdef CAI_HAVE_AVX2_KERNEL
#ifdef CAI_HAVE_AVX512_KERNEL
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2")) return SimdLevel::kAvx512;
#endif
  if (__builtin_cpu_supports("avx2")) return SimdLevel::kAvx2;
#endif
  return SimdLevel::kPortable;
}

// The level in use (a SimdLevel; -1 until first asked for).
std::atomic<int> g_simd{-1};

}  // namespace

SimdLevel SoftBellmanSimd() {
  int level = g_simd.load(std::memory_order_relaxed);
  if (level < 0) {
    level = static_cast<int>(DetectSimd());
    g_simd.store(level, std::memory_order_relaxed);
  }
  return static_cast<SimdLevel>(level);
}

std::string SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAuto:
      return "auto";
    case SimdLevel::kPortable:
      return "portable";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "?";
}

SimdLevel SetSoftBellmanSimd(SimdLevel level) {
  const SimdLevel before = SoftBellmanSimd();
  const SimdLevel best = DetectSimd();
  if (level == SimdLevel::kAuto) level = best;
  if (static_cast<int>(level) > static_cast<int>(best)) {
    throw Error(fmt::format("simd: {} is not available here (best: {})", SimdLevelName(level),
                            SimdLevelName(best)));
  }
  g_simd.store(static_cast<int>(level), std::memory_order_relaxed);
  return before;
}

namespace {

// States [begin, end); *residual receives max |v - v_next| over them (if asked for).
template <Backup kBackup>
void BackupStates(const BackupKernel& k, int begin, int end, double* residual) {
  double r = 0.0;
#ifdef CAI_FAST_SOFT_MAX
  if (k.temperature > 0.0 && k.log_table == nullptr && k.num_actions <= kSoftBlock) {
#ifdef CAI_HAVE_AVX2_KERNEL
    const SimdLevel simd = SoftBellmanSimd();
    if (simd == SimdLevel::kAvx2 || simd == SimdLevel::kAvx512) {
      BackupStatesSoftAvx2<kBackup>(k, begin, end, r, simd == SimdLevel::kAvx512);
      *residual = r;
      return;
    }
#endif
    BackupStatesSoft<kBackup>(k, begin, end, r);
    *residual = r;
    return;
  }
#endif
  BackupStatesGeneral<kBackup>(k, begin, end, r);
  *residual = r;
}

// Problems with fewer Q entries plus transitions than this always run on the calling thread.
constexpr std::int64_t kMinParallelWork = std::int64_t{1} << 20;

// Threads for one backup: as asked, but 1 for small problems and at least kMinParallelWork / 4 of
// work per thread.
int BackupThreads(const Mdp& mdp, int asked) {
  const std::int64_t work =
      std::int64_t{mdp.num_states()} * mdp.num_actions() + mdp.num_transitions();
  if (asked <= 1 || work < kMinParallelWork) return 1;
  const auto useful = static_cast<int>(std::min<std::int64_t>(1024, 4 * work / kMinParallelWork));
  return std::min(asked, useful);
}

template <Backup kBackup>
double BackupImpl(const Mdp& mdp, const SoftBellmanParams& p, const RowPatterns* patterns,
                  std::span<const double> v_next, std::span<double> q, std::span<double> v,
                  bool want_residual) {
  const int num_actions = mdp.num_actions();
  const bool table = p.prior.kind() == PriorKind::kTable;
  const BackupKernel k{
      .offsets = mdp.row_offsets().data(),
      .next = mdp.next_states().data(),
      .prob = mdp.next_probabilities().data(),
      .rewards = mdp.rewards().data(),
      .num_transitions = mdp.num_transitions(),
      .v_next = v_next.data(),
      .q = q.empty() ? nullptr : q.data(),
      .v = v.data(),
      .num_actions = num_actions,
      .temperature = p.temperature,
      .discount = p.discount,
      .log_table = table ? p.prior.log_table().data() : nullptr,
      .log_prior_const = p.prior.kind() == PriorKind::kUniform
                             ? -std::log(static_cast<double>(num_actions))
                             : 0.0,
      .want_residual = want_residual,
      .row_pattern = patterns != nullptr ? patterns->row_pattern().data() : nullptr,
      .patterns = patterns != nullptr ? patterns->patterns().data() : nullptr,
      .pattern_probs = patterns != nullptr ? patterns->probs().data() : nullptr,
      .state_pattern = patterns != nullptr && !patterns->state_pattern().empty()
                           ? patterns->state_pattern().data()
                           : nullptr,
      .state_patterns = patterns != nullptr ? patterns->state_patterns().data() : nullptr,
      .stencil = patterns != nullptr && patterns->has_stencil(),
  };
  const int num_states = mdp.num_states();
  const int threads = BackupThreads(mdp, p.threads);
  if (threads == 1) {
    double r = 0.0;
    BackupStates<kBackup>(k, 0, num_states, &r);
    return r;
  }
  // Contiguous blocks of states; every state is computed exactly as on one thread.
  auto bound = [&](int t) {
    return static_cast<int>(std::int64_t{num_states} * t / threads);
  };
  std::vector<double> residuals(static_cast<std::size_t>(threads), 0.0);
  std::vector<std::thread> workers;
  int started = 1;
  try {
    workers.reserve(static_cast<std::size_t>(threads - 1));
    for (; started < threads; ++started) {
      workers.emplace_back(BackupStates<kBackup>, std::cref(k), bound(started), bound(started + 1),
                           &residuals[static_cast<std::size_t>(started)]);
    }
  } catch (const std::exception&) {
    // Could not start more threads: the calling thread does the rest.
  }
  for (int t = started; t < threads; ++t) {
    BackupStates<kBackup>(k, bound(t), bound(t + 1), &residuals[static_cast<std::size_t>(t)]);
  }
  BackupStates<kBackup>(k, 0, bound(1), &residuals[0]);
  for (auto& w : workers) w.join();
  double r = 0.0;
  for (double x : residuals) r = std::max(r, x);  // +inf (NaN seen) wins
  return r;
}

}  // namespace

std::optional<RowPatterns> RowPatterns::Build(const Mdp& mdp) {
  const std::span<const std::int64_t> offsets = mdp.row_offsets();
  const std::span<const double> prob = mdp.next_probabilities();
  const std::span<const double> rewards = mdp.rewards();
  RowPatterns out;
  out.num_states_ = mdp.num_states();
  out.num_actions_ = mdp.num_actions();
  out.row_pattern_.resize(rewards.size());
  // Open addressing on a hash of the row's bits (4x more slots than patterns); rows are compared
  // bit for bit, so -0.0 and +0.0 are different patterns and every result keeps its last bit.
  constexpr std::size_t kSlots = 4 * kMaxPatterns;
  std::vector<int> slot_pattern(kSlots, -1);
  auto bits = [](double x) { return std::bit_cast<std::uint64_t>(x); };
  for (std::size_t sa = 0; sa < rewards.size(); ++sa) {
    const std::int64_t begin = offsets[sa];
    const std::int64_t n = offsets[sa + 1] - begin;
    std::uint64_t h = bits(rewards[sa]) * 0x9e3779b97f4a7c15u ^ static_cast<std::uint64_t>(n);
    for (std::int64_t u = 0; u < n; ++u) {
      h = (h ^ bits(prob[static_cast<std::size_t>(begin + u)])) * 0xff51afd7ed558ccdu;
      h ^= h >> 29;
    }
    h ^= h >> 32;
    std::size_t slot = static_cast<std::size_t>(h) & (kSlots - 1);
    int id = -1;
    for (;; slot = (slot + 1) & (kSlots - 1)) {
      const int candidate = slot_pattern[slot];
      if (candidate < 0) break;
      const Pattern& pat = out.patterns_[static_cast<std::size_t>(candidate)];
      bool same = pat.count == n && bits(pat.reward) == bits(rewards[sa]);
      for (std::int64_t u = 0; same && u < n; ++u) {
        same = bits(out.probs_[static_cast<std::size_t>(pat.prob_begin + u)]) ==
               bits(prob[static_cast<std::size_t>(begin + u)]);
      }
      if (same) {
        id = candidate;
        break;
      }
    }
    if (id < 0) {
      if (out.num_patterns() == kMaxPatterns ||
          n > std::numeric_limits<std::int32_t>::max() - static_cast<std::int64_t>(out.probs_.size())) {
        return std::nullopt;
      }
      id = out.num_patterns();
      out.patterns_.push_back({rewards[sa], static_cast<std::int32_t>(n),
                               static_cast<std::int32_t>(out.probs_.size())});
      out.probs_.insert(out.probs_.end(), prob.begin() + begin, prob.begin() + begin + n);
      slot_pattern[slot] = id;
    }
    out.row_pattern_[sa] = static_cast<std::uint8_t>(id);
  }
  if (out.num_actions_ == 4) {
    // Offsets as part of the patterns when that keeps them few, else row patterns alone.
    if (!out.BuildStatePatterns(mdp, true)) out.BuildStatePatterns(mdp, false);
  }
  return out;
}

bool RowPatterns::BuildStatePatterns(const Mdp& mdp, bool with_offsets) {
  // A state's key: its four row patterns, the common successor count (or -1) and, with offsets,
  // where its successors lie relative to it. At most kMaxPatterns distinct keys.
  struct Key {
    std::uint32_t rows = 0;
    std::int32_t count = -1;
    std::int32_t offset[kMaxStateSuccessors][4] = {};
    bool operator==(const Key&) const = default;
  };
  const std::span<const std::int64_t> offsets_csr = mdp.row_offsets();
  const std::span<const std::int32_t> next = mdp.next_states();
  std::vector<std::uint8_t> state_pattern(static_cast<std::size_t>(num_states_));
  std::vector<Key> keys;
  constexpr std::size_t kSlots = 4 * kMaxPatterns;
  std::vector<int> slot_pattern(kSlots, -1);
  for (std::size_t s = 0; s < state_pattern.size(); ++s) {
    const std::uint8_t* rp = row_pattern_.data() + 4 * s;
    Key key;
    key.rows = rp[0] | std::uint32_t{rp[1]} << 8 | std::uint32_t{rp[2]} << 16 |
               std::uint32_t{rp[3]} << 24;
    key.count = patterns_[rp[0]].count;
    for (int a = 1; a < 4; ++a) {
      if (patterns_[rp[a]].count != key.count) key.count = -1;
    }
    if (key.count > kMaxStateSuccessors) key.count = -1;
    std::uint64_t h = key.rows * 0x9e3779b97f4a7c15u ^ static_cast<std::uint32_t>(key.count);
    if (with_offsets && key.count > 0) {
      for (int a = 0; a < 4; ++a) {
        const std::int64_t begin = offsets_csr[4 * s + static_cast<std::size_t>(a)];
        for (int u = 0; u < key.count; ++u) {
          key.offset[u][a] = next[static_cast<std::size_t>(begin + u)] - static_cast<std::int32_t>(s);
          h = (h ^ static_cast<std::uint32_t>(key.offset[u][a])) * 0xff51afd7ed558ccdu;
        }
      }
    }
    h ^= h >> 29;
    std::size_t slot = static_cast<std::size_t>(h >> 40) & (kSlots - 1);
    while (slot_pattern[slot] >= 0 && !(keys[static_cast<std::size_t>(slot_pattern[slot])] == key)) {
      slot = (slot + 1) & (kSlots - 1);
    }
    if (slot_pattern[slot] < 0) {
      if (keys.size() == kMaxPatterns) return false;
      slot_pattern[slot] = static_cast<int>(keys.size());
      keys.push_back(key);
    }
    state_pattern[s] = static_cast<std::uint8_t>(slot_pattern[slot]);
  }
  std::vector<StatePattern4> patterns(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    StatePattern4& sp = patterns[i];
    const Key& key = keys[i];
    sp.count = key.count;
    sp.stencil = with_offsets && key.count >= 0;
    for (int a = 0; a < 4; ++a) {
      const Pattern& row = patterns_[(key.rows >> (8 * a)) & 0xffu];
      sp.reward[a] = row.reward;
      for (int u = 0; u < key.count; ++u) {
        sp.prob[u][a] = probs_[static_cast<std::size_t>(row.prob_begin + u)];
        sp.offset[u][a] = key.offset[u][a];
      }
    }
  }
  state_pattern_ = std::move(state_pattern);
  state_patterns_ = std::move(patterns);
  return true;
}

std::string BackupName(Backup backup) {
  return backup == Backup::kVariational ? "variational" : "exact";
}

Backup ParseBackup(const std::string& name) {
  if (name == "variational") return Backup::kVariational;
  if (name == "exact") return Backup::kExact;
  throw Error(fmt::format("backup: \"{}\" is not a backup (expected variational or exact)", name));
}

void ValidateSoftBellmanParams(const SoftBellmanParams& params, const Mdp& mdp) {
  if (!std::isfinite(params.temperature) || params.temperature < 0.0) {
    throw Error(fmt::format("temperature: {} is invalid (expected a finite number >= 0)",
                            params.temperature));
  }
  if (!(params.discount >= 0.0 && params.discount <= 1.0)) {
    throw Error(fmt::format("discount: {} is invalid (expected a number in [0, 1])",
                            params.discount));
  }
  if (params.threads < 1 || params.threads > 1024) {
    throw Error(fmt::format("threads: {} is invalid (expected an integer from 1 to 1024)",
                            params.threads));
  }
  params.prior.CheckFits(mdp.num_states(), mdp.num_actions());
}

void SoftBellmanBackup(const Mdp& mdp, const SoftBellmanParams& params,
                       std::span<const double> v_next, std::span<double> q, std::span<double> v,
                       double* residual) {
  assert(q.size() == static_cast<std::size_t>(mdp.num_states()) * mdp.num_actions());
  SoftBellmanBackup(mdp, params, nullptr, v_next, q, v, residual);
}

void SoftBellmanBackup(const Mdp& mdp, const SoftBellmanParams& params, const RowPatterns* patterns,
                       std::span<const double> v_next, std::span<double> q, std::span<double> v,
                       double* residual) {
  assert(v_next.size() == static_cast<std::size_t>(mdp.num_states()));
  assert(v.size() == static_cast<std::size_t>(mdp.num_states()));
  assert(q.empty() || q.size() == static_cast<std::size_t>(mdp.num_states()) * mdp.num_actions());
  if (patterns != nullptr &&
      (patterns->num_states() != mdp.num_states() || patterns->num_actions() != mdp.num_actions() ||
       patterns->row_pattern().size() != mdp.rewards().size())) {
    throw Error(fmt::format(
        "row patterns: built for {} states x {} actions, used with an MDP of {} x {}",
        patterns->num_states(), patterns->num_actions(), mdp.num_states(), mdp.num_actions()));
  }
  const bool want = residual != nullptr;
  const double r =
      params.backup == Backup::kVariational
          ? BackupImpl<Backup::kVariational>(mdp, params, patterns, v_next, q, v, want)
          : BackupImpl<Backup::kExact>(mdp, params, nullptr, v_next, q, v, want);
  if (want) *residual = r;
}

void SoftPolicy(const Mdp& mdp, const SoftBellmanParams& params, std::span<const double> q,
                std::span<double> policy) {
  const int num_actions = mdp.num_actions();
  const auto na = static_cast<std::size_t>(num_actions);
  std::vector<double> log_prior(na);
  for (int s = 0; s < mdp.num_states(); ++s) {
    for (int a = 0; a < num_actions; ++a) {
      log_prior[static_cast<std::size_t>(a)] = params.prior.LogProb(s, a, num_actions);
    }
    const auto qs = q.subspan(static_cast<std::size_t>(s) * na, na);
    double qmax = kNegInf;
    for (double x : qs) qmax = std::max(qmax, std::abs(x));
    // At temperature 0, actions within a relative 1e-9 of the best count as ties: values computed
    // by iteration to a tolerance cannot separate them more finely.
    const double tie_tolerance = 1e-9 * (1.0 + qmax);
    SoftArgMax(qs, params.temperature, log_prior, policy.subspan(static_cast<std::size_t>(s) * na, na),
               tie_tolerance);
  }
}

}  // namespace cai
