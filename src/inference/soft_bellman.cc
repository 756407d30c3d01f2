#include "cai/inference/soft_bellman.h"

#include <algorithm>
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

#if defined(__clang__)
// As GCC does in ISO C++ mode: no a * b + c contracted into an FMA, so that every code path (and
// every target the fast path below is compiled for) rounds the same way.
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
  double* q;
  double* v;
  int num_actions;
  double temperature;
  double discount;
  const double* log_table;  // the table prior's log p(a|s), row-major; nullptr for none / uniform
  double log_prior_const;   // log p(a|s) for none (0) / uniform (-log |A|)
  bool want_residual;       // accumulate max_s |v[s] - v_next[s]|
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
  for (int s = begin; s < end; ++s) {
    const std::size_t row = static_cast<std::size_t>(s) * na;
    double* qs = k.q + row;
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

#define CAI_INLINE inline __attribute__((always_inline))

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
template <int N>
CAI_INLINE void ExpNonPositive(const typename Vec<N>::D& x, typename Vec<N>::D& out) {
  using D = typename Vec<N>::D;
  using I = typename Vec<N>::I;
  using U = typename Vec<N>::U;  // unsigned: the bit arithmetic wraps (NaN input) without UB
  constexpr double k32InvLn2 = 0x1.71547652b82fep+5;
  constexpr double kLn2By32Hi = 0x1.62e42fee00000p-6;  // 32 bits: (32 k + j) kLn2By32Hi is exact
  constexpr double kLn2By32Lo = 0x1.a39ef35793c76p-38;
  constexpr double kShift = 0x1.8p52;  // t = y + kShift holds round(y) in its low bits
  constexpr std::uint64_t kShiftBits = 0x4338000000000000;
  const D t = x * k32InvLn2 + kShift;
  const D kj = t - kShift;
  const D r = (x - kj * kLn2By32Hi) - kj * kLn2By32Lo;
  const U ki = __builtin_bit_cast(U, t) - kShiftBits;  // 32 k + j, two's complement
  const U j = ki & 31u;
  const D scale = __builtin_bit_cast(D, ((ki - j) << 47) + (std::uint64_t{1023} << 52));  // 2^k
  const D p =
      r + (r * r) * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720)))));
  D head;
  D tail;
  for (int l = 0; l < N; ++l) {
    head[l] = kExp2Table[2 * j[l]];
    tail[l] = kExp2Table[2 * j[l] + 1];
  }
  const D e = (head + (tail + head * p)) * scale;
  const I underflow = x < -708.0;
  out = __builtin_bit_cast(D, __builtin_bit_cast(I, e) & ~underflow);
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

// Q entries per block: the block's Q and temporaries stay in L1.
constexpr int kSoftBlock = 1024;

// With a uniform prior, V = max + temperature * (log sum - log |A|) cancels when the temperature
// dwarfs the spread of Q (every logit >= -1): those states of [s0, s0 + count) are redone by
// SoftMaxRow's accurate mean form. Prior none needs no such care (see SoftMaxRow).
inline void RedoNearlyUniformStates(const BackupKernel& k, int s0, int count) {
  if (k.log_prior_const == 0.0) return;
  const int na = k.num_actions;
  double z[kSoftBlock];
  for (int j = 0; j < count; ++j) {
    const double* qs = k.q + static_cast<std::size_t>(s0 + j) * static_cast<std::size_t>(na);
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

// Q = r + continuation for the rows [row0, row0 + n), whose transitions start at t; returns where
// the next row's start. The same operations as QValue: for the variational backup
// discount * (((0 + p_0 V_0) + p_1 V_1) + ...), which for a row without successors is
// discount * (+0) = +0, the 0 that QValue adds.
template <Backup kBackup>
CAI_INLINE std::int64_t QRows(const BackupKernel& k, std::size_t row0, int n, std::int64_t t) {
  const std::int64_t* __restrict ends = k.offsets + row0 + 1;
  const double* __restrict rb = k.rewards + row0;
  double* __restrict qb = k.q + row0;
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
  const int block = kSoftBlock / na;
  alignas(32) double m[kSoftBlock + N];       // max_a Q per state
  alignas(32) double m_wide[kSoftBlock + N];  // the same per (state, action)
  alignas(32) double terms[kSoftBlock + N];   // exp((Q - max) / temperature)
  alignas(32) double sums[kSoftBlock + N];    // per state
  std::int64_t t = k.offsets[static_cast<std::size_t>(begin) * static_cast<std::size_t>(na)];
  for (int s0 = begin; s0 < end; s0 += block) {
    const int count = std::min(block, end - s0);
    const int n = count * na;
    const std::size_t row0 = static_cast<std::size_t>(s0) * static_cast<std::size_t>(na);
    const double* __restrict qb = k.q + row0;
    t = QRows<kBackup>(k, row0, n, t);
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
      ExpNonPositive<N>((x - mx) / temperature, x);
      std::memcpy(terms + i, &x, sizeof x);
    }
    if (i < n) {
      D x;
      for (int l = 0; l < N; ++l) {
        x[l] = i + l < n ? (qb[i + l] - m_wide[i + l]) / temperature : kNegInf;
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
    RedoNearlyUniformStates(k, s0, count);
    BlockResidual(k, s0, count, residual);
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
QRowsOf4Avx2(const BackupKernel& k, std::size_t row0, int count, std::int64_t t) {
  if constexpr (kBackup != Backup::kVariational) {
    return QRows<kBackup>(k, row0, 4 * count, t);
  } else {
    using I = Vec<4>::I;
    const std::int64_t* __restrict ends = k.offsets + row0 + 1;
    const double* __restrict rb = k.rewards + row0;
    double* __restrict qb = k.q + row0;
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
        t = QRows<kBackup>(k, row0 + 4 * static_cast<std::size_t>(j), 4, t);
      }
    }
    return t;
  }
}

// Four actions (gridworlds): Q as above, then four states at a time with their actions transposed
// into four vectors, so that the max, the logits, the exponentials and the sum in action order are
// vector operations; then the logs, four states at a time.
template <Backup kBackup>
__attribute__((target("avx2"))) void BackupStates4Avx2(const BackupKernel& k, int begin, int end,
                                                       double& residual) {
  using D = Vec<4>::D;
  using I = Vec<4>::I;
  constexpr int kBlock = kSoftBlock / 4;
  const double temperature = k.temperature;
  alignas(32) double m[kBlock];
  alignas(32) double sums[kBlock];
  std::int64_t t = k.offsets[static_cast<std::size_t>(begin) * 4];
  for (int s0 = begin; s0 < end; s0 += kBlock) {
    const int count = std::min(kBlock, end - s0);
    const std::size_t row0 = static_cast<std::size_t>(s0) * 4;
    const double* __restrict qb = k.q + row0;
    t = QRowsOf4Avx2<kBackup>(k, row0, count, t);
    for (int j = 0; j < count; j += 4) {
      // Q of states j..j+3 (padded with 0 past the end), transposed: a[c] = action c of each.
      alignas(32) double padded[16];
      const double* qs = qb + 4 * j;
      if (j + 4 > count) {
        for (int u = 0; u < 16; ++u) padded[u] = u < 4 * (count - j) ? qs[u] : 0.0;
        qs = padded;
      }
      D r0;
      D r1;
      D r2;
      D r3;
      std::memcpy(&r0, qs, sizeof r0);
      std::memcpy(&r1, qs + 4, sizeof r1);
      std::memcpy(&r2, qs + 8, sizeof r2);
      std::memcpy(&r3, qs + 12, sizeof r3);
#if defined(__clang__)
      const D lo01 = __builtin_shufflevector(r0, r1, 0, 4, 2, 6);
      const D hi01 = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
      const D lo23 = __builtin_shufflevector(r2, r3, 0, 4, 2, 6);
      const D hi23 = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
      const D a[4] = {__builtin_shufflevector(lo01, lo23, 0, 1, 4, 5),
                      __builtin_shufflevector(hi01, hi23, 0, 1, 4, 5),
                      __builtin_shufflevector(lo01, lo23, 2, 3, 6, 7),
                      __builtin_shufflevector(hi01, hi23, 2, 3, 6, 7)};
#else
      const D lo01 = __builtin_shuffle(r0, r1, I{0, 4, 2, 6});
      const D hi01 = __builtin_shuffle(r0, r1, I{1, 5, 3, 7});
      const D lo23 = __builtin_shuffle(r2, r3, I{0, 4, 2, 6});
      const D hi23 = __builtin_shuffle(r2, r3, I{1, 5, 3, 7});
      const D a[4] = {__builtin_shuffle(lo01, lo23, I{0, 1, 4, 5}),
                      __builtin_shuffle(hi01, hi23, I{0, 1, 4, 5}),
                      __builtin_shuffle(lo01, lo23, I{2, 3, 6, 7}),
                      __builtin_shuffle(hi01, hi23, I{2, 3, 6, 7})};
#endif
      // std::max(m, x) = m < x ? x : m, in action order.
      D mx = D{} + kNegInf;
      for (int c = 0; c < 4; ++c) {
        const I less = mx < a[c];
        mx = __builtin_bit_cast(
            D, (__builtin_bit_cast(I, a[c]) & less) | (__builtin_bit_cast(I, mx) & ~less));
      }
      // ((0 + e_0) + e_1) + ..., where 0 + e_0 = e_0 (e_0 is +0, positive or NaN).
      D sum;
      ExpNonPositive<4>((a[0] - mx) / temperature, sum);
      for (int c = 1; c < 4; ++c) {
        D e;
        ExpNonPositive<4>((a[c] - mx) / temperature, e);
        sum += e;
      }
      std::memcpy(m + j, &mx, sizeof mx);
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
    RedoNearlyUniformStates(k, s0, count);
    BlockResidual(k, s0, count, residual);
  }
}

template <Backup kBackup>
__attribute__((target("avx2"))) void BackupStatesSoftAvx2(const BackupKernel& k, int begin,
                                                          int end, double& residual) {
  if (k.num_actions == 4) {
    BackupStates4Avx2<kBackup>(k, begin, end, residual);
  } else {
    BackupStatesSoftN<kBackup, 4, 0>(k, begin, end, residual);
  }
}
#endif  // x86-64

#endif  // __GNUC__

// States [begin, end); *residual receives max |v - v_next| over them (if asked for).
template <Backup kBackup>
void BackupStates(const BackupKernel& k, int begin, int end, double* residual) {
  double r = 0.0;
#ifdef CAI_FAST_SOFT_MAX
  if (k.temperature > 0.0 && k.log_table == nullptr && k.num_actions <= kSoftBlock) {
#ifdef CAI_HAVE_AVX2_KERNEL
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (avx2) {
      BackupStatesSoftAvx2<kBackup>(k, begin, end, r);
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
double BackupImpl(const Mdp& mdp, const SoftBellmanParams& p, std::span<const double> v_next,
                  std::span<double> q, std::span<double> v, bool want_residual) {
  const int num_actions = mdp.num_actions();
  const bool table = p.prior.kind() == PriorKind::kTable;
  const BackupKernel k{
      .offsets = mdp.row_offsets().data(),
      .next = mdp.next_states().data(),
      .prob = mdp.next_probabilities().data(),
      .rewards = mdp.rewards().data(),
      .num_transitions = mdp.num_transitions(),
      .v_next = v_next.data(),
      .q = q.data(),
      .v = v.data(),
      .num_actions = num_actions,
      .temperature = p.temperature,
      .discount = p.discount,
      .log_table = table ? p.prior.log_table().data() : nullptr,
      .log_prior_const = p.prior.kind() == PriorKind::kUniform
                             ? -std::log(static_cast<double>(num_actions))
                             : 0.0,
      .want_residual = want_residual,
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
  assert(v_next.size() == static_cast<std::size_t>(mdp.num_states()));
  assert(v.size() == static_cast<std::size_t>(mdp.num_states()));
  assert(q.size() == static_cast<std::size_t>(mdp.num_states()) * mdp.num_actions());
  const bool want = residual != nullptr;
  const double r = params.backup == Backup::kVariational
                       ? BackupImpl<Backup::kVariational>(mdp, params, v_next, q, v, want)
                       : BackupImpl<Backup::kExact>(mdp, params, v_next, q, v, want);
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
