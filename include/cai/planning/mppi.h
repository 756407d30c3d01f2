// Model Predictive Path Integral control (MPPI) as Monte Carlo posterior inference over action
// sequences: sample K sequences around the current plan U (T x action_dim) from a Gaussian proposal,
// roll each through the batched dynamics, weight sample k by exp(R_k / temperature) (max-shifted),
// and take the weighted mean of the sampled sequences as the new plan. For a proposal N(U, Sigma)
// and unbounded actions, the weighted samples approximate the proposal tilted by exp(R / temperature).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/core/solver_summary.h"
#include "cai/planning/batched_dynamics.h"

namespace cai {
template <typename T>
class OptionList;
}

namespace cai::planning {

/// Standard normal float32 numbers in blocks: eight xoshiro128** streams side by side (seeded from
/// one 64-bit seed and a stream index through splitmix64) and Box-Muller with float polynomials
/// for log, sin and cos, written as lane loops the compiler vectorises. Same seed and stream, same
/// numbers. Values are bounded by sqrt(2 * 24 ln 2) ~ 5.77 (24-bit uniforms).
class FastNormal {
 public:
  static constexpr int kLanes = 8;
  static constexpr int kBlock = 2 * kLanes;  // normals per block

  FastNormal(std::uint64_t seed, std::uint64_t stream);
  /// Writes out.size() standard normals. Does not allocate.
  void Fill(std::span<float> out);

 private:
  void NextBlock(float* out);  // kBlock normals
  alignas(32) std::uint32_t s_[4][kLanes];
};

/// How the plan is smoothed along time after each update.
enum class MppiSmoothing {
  kNone,
  /// Centred moving average over `smoothing_window` steps (odd), truncated at the ends.
  kMovingAverage,
  /// u'_0 = u_0, u'_t = alpha u_t + (1 - alpha) u'_{t-1} with alpha = `smoothing_alpha`.
  kExponential,
};

struct MppiOptions {
  /// K, sampled action sequences per iteration (>= 1).
  int samples = 1000;
  /// T, steps per sequence (>= 1).
  int horizon = 30;
  /// lambda > 0 of the weights exp(R / lambda).
  double temperature = 1.0;
  /// Proposal standard deviation per action dimension (diagonal covariance); one entry is used for
  /// every dimension. Entries >= 0 (0: no exploration in that dimension).
  std::vector<double> noise_std = {1.0};
  /// Action bounds the samples are clipped to (action_dim entries each, low <= high); empty: the
  /// dynamics' bounds.
  std::vector<double> action_low = {};
  std::vector<double> action_high = {};
  /// Sample-and-update rounds per Plan call (>= 1).
  int iterations = 1;
  /// Each Plan call after the first starts from the previous plan shifted by one step (the last
  /// action repeated). Off: each call starts from the nominal plan (zeros clipped to the bounds).
  bool warm_start = true;
  MppiSmoothing smoothing = MppiSmoothing::kNone;
  /// Odd, >= 1 (kMovingAverage).
  int smoothing_window = 3;
  /// In (0, 1] (kExponential).
  double smoothing_alpha = 0.5;
  /// Seed of the proposal noise.
  std::uint64_t seed = 0;
  /// Threads the samples are split over (>= 1; the calling thread is one of them). Thread j draws
  /// its noise from its own stream (seed, j), so results depend on the seed and the thread count.
  int threads = 1;
};

/// The fields of MppiOptions: names, docs, the rules that need no model (JSON, validation, CLI
/// flags, Python keywords). Messages are qualified: "MppiOptions.samples = 0; expected ...".
const OptionList<MppiOptions>& MppiOptionList();
nlohmann::json MppiOptionsToJson(const MppiOptions& options);
/// Starts from `base` and overrides the keys present (not validated: that needs the model).
MppiOptions MppiOptionsFromJson(const nlohmann::json& json, const MppiOptions& base = {});
/// Throws cai::OptionError naming the field, its value and what was expected unless `options` suits
/// `dynamics` (noise_std of size 1 or action_dim, bounds of size action_dim with low <= high, ...).
void ValidateMppiOptions(const MppiOptions& options, const BatchedDynamics& dynamics);

/// What one Plan call's last iteration saw (returns are undiscounted sums over the horizon).
/// The SolverSummary part: kBudgetReached (MPPI runs its fixed number of iterations), iterations
/// = MppiOptions::iterations, no residual, error bound or message (Plan does not allocate).
struct MppiSummary : SolverSummary {
  /// 1 / sum_k w_k^2 of the normalised weights, in [1, K].
  double effective_sample_size = 0.0;
  /// sum_k w_k R_k.
  double weighted_return = 0.0;
  /// max_k R_k.
  double best_return = 0.0;
  /// (1 / K) sum_k R_k.
  double mean_return = 0.0;
};

/// The MPPI planner. Everything is allocated by the constructor; Plan does not allocate.
class Mppi {
 public:
  /// `dynamics` must outlive the planner. Throws cai::Error as ValidateMppiOptions.
  Mppi(const BatchedDynamics& dynamics, MppiOptions options);
  ~Mppi();
  Mppi(Mppi&&) noexcept;
  Mppi& operator=(Mppi&&) noexcept;
  Mppi(const Mppi&) = delete;
  Mppi& operator=(const Mppi&) = delete;

  /// Plans from `state` (state_dim numbers) and writes the first action of the updated plan to
  /// `action` (action_dim numbers). Warm start (see MppiOptions) happens at the start of the call.
  /// Throws cai::Error on wrong sizes or a non-finite state.
  MppiSummary Plan(std::span<const double> state, std::span<double> action);

  /// Back to the nominal plan; the next Plan call does not shift.
  void Reset();
  /// Sets the plan (horizon x action_dim numbers, row t = action at step t, within the bounds);
  /// the next Plan call starts from it unshifted. Throws cai::Error on a wrong size or a value
  /// outside the bounds.
  void SetPlan(std::span<const float> plan);

  /// The current plan, horizon x action_dim (row-major).
  std::span<const float> plan() const;
  /// The clipped sampled actions of the last iteration: entry (t, a, k) at (t * action_dim + a) * K + k.
  std::span<const float> samples() const;
  /// The normalised weights of the last iteration (K entries).
  std::span<const double> weights() const;
  /// The returns of the last iteration (K entries).
  std::span<const float> returns() const;

  const MppiOptions& options() const;
  const BatchedDynamics& dynamics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cai::planning
