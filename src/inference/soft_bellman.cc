// The soft Bellman operator: validation, the choice of the vector level, the split of the states
// over the threads of a persistent pool, and the general per-state path. The vector levels are in
// sweep_*.cc behind sweep_kernel.h; row patterns in row_patterns.cc; the per-state maths in
// soft_backup.cc.
#include "cai/inference/soft_bellman.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"
#include "cai/core/thread_pool.h"
#include "cai/inference/soft_backup.h"
#include "sweep_kernel.h"

// The same rounding as the vector levels (src/CMakeLists.txt: -ffp-contract=off here too).
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace cai {
namespace {

using sweep::BackupKernel;
using sweep::BlockResidual;
using sweep::kSoftBlock;


template <Backup kBackup>
inline double QValue(const BackupKernel& k, std::size_t sa) {
  const std::int64_t begin = k.offsets[sa];
  const std::int64_t n = k.offsets[sa + 1] - begin;
  return k.rewards[sa] + (n == 0 ? 0.0
                                 : detail::SoftContinuationInline<kBackup>(
                                       k.next + begin, k.prob + begin, n, k.v_next, k.temperature,
                                       k.discount));
}

// States [begin, end), one at a time: every temperature and prior.
template <Backup kBackup>
void BackupStatesGeneral(const BackupKernel& k, int begin, int end, double& residual) {
  const auto na = static_cast<std::size_t>(k.num_actions);
  // SoftStateValue's scratch: its own stack buffer serves up to 64 actions.
  std::vector<double> z(na > 64 ? na : 0);
  std::vector<double> q_row(k.q == nullptr ? na : 0);
  for (int s = begin; s < end; ++s) {
    const std::size_t row = static_cast<std::size_t>(s) * na;
    double* qs = k.q != nullptr ? k.q + row : q_row.data();
    for (std::size_t a = 0; a < na; ++a) qs[a] = QValue<kBackup>(k, row + a);
    k.v[s] = SoftStateValue(std::span<const double>(qs, na), k.temperature,
                            StateLogPrior{k.log_table != nullptr ? k.log_table + row : nullptr,
                                          k.log_prior_const},
                            z);
    BlockResidual(k, s, 1, residual);
  }
}

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
      sweep::BackupStatesAvx2<kBackup>(k, begin, end, r, simd == SimdLevel::kAvx512);
      *residual = r;
      return;
    }
#endif
    sweep::BackupStatesPortable<kBackup>(k, begin, end, r);
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
  // Contiguous blocks of states, one per part of a job on the shared pool; every state is computed
  // exactly as on one thread.
  auto bound = [&](int t) {
    return static_cast<int>(std::int64_t{num_states} * t / threads);
  };
  std::vector<double> residuals(static_cast<std::size_t>(threads), 0.0);
  ThreadPool::Shared().Run(threads, [&](int t) {
    BackupStates<kBackup>(k, bound(t), bound(t + 1), &residuals[static_cast<std::size_t>(t)]);
  });
  double r = 0.0;
  for (double x : residuals) r = std::max(r, x);  // +inf (NaN seen) wins
  return r;
}

}  // namespace

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
  for (int s = 0; s < mdp.num_states(); ++s) {
    const auto qs = q.subspan(static_cast<std::size_t>(s) * na, na);
    double qmax = kNegInf;
    for (double x : qs) qmax = std::max(qmax, std::abs(x));
    // At temperature 0, actions within a relative 1e-9 of the best count as ties: values computed
    // by iteration to a tolerance cannot separate them more finely.
    const double tie_tolerance = 1e-9 * (1.0 + qmax);
    SoftStatePolicy(qs, params.temperature, StateLogPrior::Of(params.prior, s, num_actions),
                    policy.subspan(static_cast<std::size_t>(s) * na, na), tie_tolerance);
  }
}

}  // namespace cai
