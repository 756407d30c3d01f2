// The AVX2 level of the soft Bellman sweep (sweep_kernel.h): four doubles per vector, four actions
// transposed across four states; with AVX-512F, the exponentials eight at a time (sweep_avx512.cc).
#include "sweep_kernel.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace cai::sweep {

#ifdef CAI_HAVE_AVX2_KERNEL
namespace {


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

}  // namespace

template <Backup kBackup>
__attribute__((target("avx2"))) void BackupStatesAvx2(const BackupKernel& k, int begin, int end,
                                                      double& residual, bool avx512) {
  if (k.num_actions == 4) {
    BackupStates4Avx2<kBackup>(k, begin, end, residual, avx512);
  } else {
    BackupStatesSoftN<kBackup, 4, 0>(k, begin, end, residual);
  }
}

template void BackupStatesAvx2<Backup::kVariational>(const BackupKernel&, int, int, double&, bool);
template void BackupStatesAvx2<Backup::kExact>(const BackupKernel&, int, int, double&, bool);

#endif  // CAI_HAVE_AVX2_KERNEL

}  // namespace cai::sweep
