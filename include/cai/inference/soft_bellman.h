// The soft Bellman backup shared by every exact solver (discounted and finite horizon).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cai/inference/soft_backup.h"
#include "cai/mdp/action_prior.h"
#include "cai/mdp/mdp.h"

namespace cai {

/// Everything that defines the soft Bellman operator apart from the MDP.
struct SoftBellmanParams {
  double temperature = 1.0;  ///< alpha >= 0; 0 is the hard Bellman backup
  double discount = 0.99;    ///< gamma in [0, 1]
  Backup backup = Backup::kVariational;
  ActionPrior prior;         ///< p(a|s); default: counting measure
  /// Threads for one backup, 1 to 1024. Problems with fewer than about 10^6 Q entries plus
  /// transitions always use one; larger ones split the states into contiguous blocks, each
  /// computed exactly as on one thread (the result does not depend on the thread count), on the
  /// workers of the shared persistent pool (core/thread_pool.h), started once.
  int threads = 1;
};

/// Throws cai::Error naming the field and value when params are invalid for `mdp`
/// (temperature negative or not finite, discount outside [0, 1], prior of the wrong size,
/// threads outside [1, 1024]).
void ValidateSoftBellmanParams(const SoftBellmanParams& params, const Mdp& mdp);

/// One application of the soft Bellman operator: from next-step values `v_next` (size S), writes
/// Q (S x A, row-major) and V (size S). `v_next` and `v` may not alias. If `residual` is not null it
/// receives max_s |V(s) - v_next(s)| (+inf if any difference is NaN), computed in the same pass
/// (the sweep-to-sweep change of value iteration). Stateless; allocates only for threads > 1 or more
/// than 64 actions.
void SoftBellmanBackup(const Mdp& mdp, const SoftBellmanParams& params,
                       std::span<const double> v_next, std::span<double> q, std::span<double> v,
                       double* residual = nullptr);

/// The rows (s, a) of an MDP grouped by their contents: the reward and the successor probabilities
/// in order. When an MDP has at most 256 distinct such patterns (a gridworld has a handful), a
/// variational backup can read one byte per row instead of its reward, its row offset and every one
/// of its probabilities: on the 1000 x 1000 gridworld, 4 MB instead of 160 MB per sweep. The
/// successor states are still read from the MDP. The arithmetic is unchanged, so the results are
/// identical to the last bit. Built once per MDP (one pass over the rows).
class RowPatterns {
 public:
  static constexpr int kMaxPatterns = 256;
  struct Pattern {
    double reward = 0.0;
    std::int32_t count = 0;       ///< successors
    std::int32_t prob_begin = 0;  ///< index of the first probability in probs()
  };
  /// With four actions, the four row patterns of a state together, laid out for vector code
  /// (entry [i][a] belongs to action a), when every row has the same number of successors, at
  /// most kMaxStateSuccessors (count -1 otherwise: the state is done row by row). When few enough
  /// patterns result, the successors' offsets from the state are part of the pattern too
  /// (`stencil`): translation-invariant dynamics such as a gridworld's interior, where four
  /// neighbouring states of one pattern are backed up together from contiguous values.
  static constexpr int kMaxStateSuccessors = 4;
  struct alignas(32) StatePattern4 {
    double reward[4] = {};
    double prob[kMaxStateSuccessors][4] = {};
    std::int32_t offset[kMaxStateSuccessors][4] = {};  ///< successor - state (stencil only)
    std::int32_t count = -1;  ///< successors of each row, or -1
    bool stencil = false;     ///< offsets are part of the pattern
  };
  /// The patterns of `mdp`'s rows, or nothing when there are more than kMaxPatterns.
  static std::optional<RowPatterns> Build(const Mdp& mdp);
  int num_patterns() const { return static_cast<int>(patterns_.size()); }
  /// Pattern index of each row, S x A row-major.
  std::span<const std::uint8_t> row_pattern() const { return row_pattern_; }
  std::span<const Pattern> patterns() const { return patterns_; }
  std::span<const double> probs() const { return probs_; }
  /// Four actions and at most kMaxPatterns distinct states: the pattern index of each state and
  /// the state patterns; empty otherwise.
  std::span<const std::uint8_t> state_pattern() const { return state_pattern_; }
  std::span<const StatePattern4> state_patterns() const { return state_patterns_; }
  /// Whether some state patterns are stencils (offsets included).
  bool has_stencil() const {
    for (const StatePattern4& p : state_patterns_) {
      if (p.stencil) return true;
    }
    return false;
  }
  int num_states() const { return num_states_; }
  int num_actions() const { return num_actions_; }

 private:
  bool BuildStatePatterns(const Mdp& mdp, bool with_offsets);
  int num_states_ = 0;
  int num_actions_ = 0;
  std::vector<std::uint8_t> row_pattern_;
  std::vector<Pattern> patterns_;
  std::vector<double> probs_;
  std::vector<std::uint8_t> state_pattern_;
  std::vector<StatePattern4> state_patterns_;
};

/// SoftBellmanBackup with two savings for repeated sweeps. `patterns` (may be null; built from the
/// same `mdp`) replaces the reads of rewards, row offsets and probabilities in variational backups
/// with temperature > 0 and prior none or uniform (the other cases ignore it). An empty `q` means
/// that Q is not wanted: it is computed block by block in a small buffer and never stored. The
/// values and the residual are identical to the last bit to those of the plain call.
void SoftBellmanBackup(const Mdp& mdp, const SoftBellmanParams& params, const RowPatterns* patterns,
                       std::span<const double> v_next, std::span<double> q, std::span<double> v,
                       double* residual = nullptr);

/// The vector instructions of the backup's fast path (temperature > 0, prior none or uniform).
/// Every level computes the same results to the last bit; they differ only in speed.
enum class SimdLevel {
  kAuto = -1,     ///< for SetSoftBellmanSimd: the best available
  kPortable = 0,  ///< GCC/Clang vector extensions, two doubles (SSE2 on x86-64)
  kAvx2 = 1,      ///< four doubles; four actions transposed (x86-64, chosen at run time)
  kAvx512 = 2,    ///< AVX2, with the exponentials eight at a time (x86-64 with AVX-512F)
};
/// "auto", "portable", "avx2" or "avx512".
std::string SimdLevelName(SimdLevel level);
/// The level in use: the best the processor offers unless SetSoftBellmanSimd chose another.
SimdLevel SoftBellmanSimd();
/// Chooses the level for every later backup (for tests and benchmarks; not to be called while a
/// backup runs) and returns the previous one. Throws cai::Error naming the level when the
/// processor or the build lacks it.
SimdLevel SetSoftBellmanSimd(SimdLevel level);

/// pi(a|s) = p(a|s) exp((Q(s,a) - V(s)) / temperature), computed as a max-shifted softmax of Q so
/// that huge temperatures lose no precision; temperature 0 splits the mass of the maximising
/// actions in proportion to the prior (evenly for none / uniform). Writes S x A.
void SoftPolicy(const Mdp& mdp, const SoftBellmanParams& params, std::span<const double> q,
                std::span<double> policy);

}  // namespace cai
