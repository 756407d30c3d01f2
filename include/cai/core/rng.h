// Seeded pseudo-random generator: every random draw in cai comes from one of these, passed in
// explicitly (docs/architecture.md, "determinism"). Same seed, same stream, on every platform.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace cai {

/// splitmix64 (Steele, Lea and Flood 2014, in Vigna's reference form): adds the golden gamma
/// 0x9e3779b97f4a7c15 to `state` and returns the mixed value. The one seeding function of cai:
/// it seeds Rng, the planners' vector generators and derived per-stream seeds.
std::uint64_t SplitMix64(std::uint64_t& state);

/// Everything that determines an Rng's future output (for checkpoints: save, restore, same stream).
struct RngState {
  std::array<std::uint64_t, 4> words{};
  bool has_cached_normal = false;
  double cached_normal = 0.0;
};

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64. Output is fully specified by the
/// seed: no std:: distributions, whose results differ between standard libraries.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  /// Next raw 64-bit value.
  std::uint64_t NextU64();
  /// Uniform double in [0, 1) with 53 random bits.
  double Uniform();
  /// Uniform integer in [0, n) without modulo bias; n must be positive.
  std::uint64_t UniformInt(std::uint64_t n);
  /// Standard normal N(0, 1) (Box-Muller, one cached value).
  double Normal();
  /// Index i with probability p_i / sum(p). Requires a non-negative span with a positive sum.
  std::size_t Categorical(std::span<const double> p);

  RngState SaveState() const;
  /// Continues exactly where the Rng that produced `state` was; throws cai::Error if all four words
  /// are zero (not a reachable xoshiro state).
  void RestoreState(const RngState& state);

 private:
  std::uint64_t s_[4];
  bool has_cached_normal_ = false;
  double cached_normal_ = 0.0;
};

}  // namespace cai
