// The AVX-512 part of the soft Bellman sweep (sweep_kernel.h): the exponentials of a block, eight
// at a time, for the AVX2 level on processors with AVX-512F.
#include "sweep_kernel.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace cai::sweep {

#ifdef CAI_HAVE_AVX512_KERNEL
namespace {

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
}  // namespace

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


#endif  // CAI_HAVE_AVX512_KERNEL

}  // namespace cai::sweep
