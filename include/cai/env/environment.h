// The common environment interface (Gymnasium's Env + TimeLimit): spaces, seeded reset, step
// returning observation, reward, terminated, truncated. Observations are float32 as in
// Gymnasium; internal state is double.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cai/core/rng.h"

namespace cai::env {

/// Box(low, high) of float vectors, or Discrete(n) = {0, ..., n-1}.
class Space {
 public:
  /// The box {x : low[i] <= x[i] <= high[i]}. Throws cai::Error naming the field unless low and
  /// high have the same non-zero length, no NaN, and low[i] <= high[i] (infinite bounds allowed).
  static Space Box(std::vector<double> low, std::vector<double> high);
  /// The set {0, ..., n-1}; throws cai::Error unless n >= 1.
  static Space Discrete(int n);

  /// True for Discrete(n), false for a Box.
  bool is_discrete() const { return discrete_; }
  /// Box: the vector length. Discrete: 1 (an action is passed as one number).
  int dim() const { return discrete_ ? 1 : static_cast<int>(low_.size()); }
  /// Discrete: n. Box: 0.
  int n() const { return n_; }
  /// Box lower bounds (may be -infinity). Empty for Discrete.
  const std::vector<double>& low() const { return low_; }
  /// Box upper bounds (may be +infinity). Empty for Discrete.
  const std::vector<double>& high() const { return high_; }
  /// True when x (dim() numbers) lies in the space: inside the closed box, or an integral value in
  /// [0, n). A wrong length or a NaN is not contained.
  bool Contains(std::span<const double> x) const;
  /// "Box([-2], [2])" or "Discrete(3)".
  std::string ToString() const;

 private:
  bool discrete_ = false;
  int n_ = 0;
  std::vector<double> low_, high_;
};

/// What one step reports besides the observation.
struct StepResult {
  /// r(s, a) of the step just taken.
  double reward = 0.0;
  /// The step reached a terminal state of the MDP (no value beyond it).
  bool terminated = false;
  /// The step hit the time limit (not terminal: bootstrap from the next observation).
  bool truncated = false;
};

/// A simulator. Non-virtual Reset/Step/SetState validate and count steps, then call the subclass.
///
/// Episode protocol (Gymnasium's OrderEnforcing + TimeLimit, made strict): Step is allowed only
/// between a Reset (or SetState) and the step that reports terminated or truncated; stepping
/// outside that window throws cai::Error instead of Gymnasium's "undefined behaviour" warning.
/// Box actions outside the bounds are not errors: each environment clips them as Gymnasium does.
class Environment {
 public:
  virtual ~Environment() = default;

  /// Gymnasium id, e.g. "Pendulum-v1".
  virtual std::string_view name() const = 0;
  /// The set the observations lie in (their float32 values, widened).
  virtual const Space& observation_space() const = 0;
  /// The set of valid actions; a Box action outside it is clipped by the environment.
  virtual const Space& action_space() const = 0;
  /// Dimension of the internal physical state (see state()).
  virtual int state_dim() const = 0;

  /// Floats per observation.
  int observation_dim() const { return observation_space().dim(); }
  /// Numbers per action (1 for a Discrete space).
  int action_dim() const { return action_space().dim(); }

  /// Time limit: Step reports truncated when the episode's step count reaches it (0 = none).
  int max_episode_steps() const { return max_episode_steps_; }
  /// Throws cai::Error naming the environment unless steps >= 0; takes effect from the next step.
  void set_max_episode_steps(int steps);
  /// Steps taken since the last Reset.
  int elapsed_steps() const { return elapsed_steps_; }
  /// True before the first Reset/SetState and after a step that reported terminated or truncated.
  bool needs_reset() const { return needs_reset_; }

  /// Starts an episode. With a seed, the environment's generator is re-seeded first (as
  /// Gymnasium's reset(seed=...)); without one, it continues its stream. Writes the first
  /// observation (observation_dim floats; another size throws cai::Error).
  void Reset(std::optional<std::uint64_t> seed, std::span<float> observation);

  /// Applies `action` (action_dim numbers; a Discrete action is one integral number in [0, n)).
  /// Throws cai::Error for a wrong size, a NaN or infinite entry, a non-integral or out-of-range
  /// discrete action, a wrong observation size, or a step after the episode ended without Reset;
  /// a throwing call changes nothing. Writes the next observation. Does not allocate.
  StepResult Step(std::span<const double> action, std::span<float> observation);

  /// The checks Step applies to an action, alone: throws cai::Error naming the environment, the
  /// entry (e.g. "action[0]"), its value and what was expected.
  void CheckAction(std::span<const double> action) const;

  /// The internal state (state_dim doubles, e.g. Pendulum [theta, theta_dot]).
  virtual std::vector<double> state() const = 0;
  /// Sets the internal state (for golden-trace tests and planners); throws cai::Error on a wrong
  /// size or non-finite entries. Does not change the step count (the time limit still counts from
  /// the last Reset), but allows stepping from the new state even if the episode had ended.
  void SetState(std::span<const double> state);
  /// Puts the environment back mid-episode, as a checkpoint taken there recorded it: SetState(state)
  /// and the step count since the episode's Reset. Throws cai::Error as SetState does, or unless
  /// 0 <= elapsed_steps and (with a time limit) elapsed_steps < max_episode_steps().
  void RestoreEpisode(std::span<const double> state, int elapsed_steps);
  /// The observation of the current state (observation_dim floats).
  virtual void Observe(std::span<float> observation) const = 0;

  /// The generator behind resets (exposed for checkpointing and for seeding copies).
  Rng& rng() { return rng_; }
  const Rng& rng() const { return rng_; }

 protected:
  /// `max_episode_steps` is the default time limit (0 = none).
  explicit Environment(int max_episode_steps) : max_episode_steps_(max_episode_steps) {}
  /// Samples the initial state from rng_.
  virtual void DoReset() = 0;
  /// Advances the state with a validated action; returns reward and terminated.
  virtual StepResult DoStep(std::span<const double> action) = 0;
  /// Sets a state of the right size with finite entries.
  virtual void DoSetState(std::span<const double> state) = 0;

  /// The generator DoReset draws from (re-seeded by Reset(seed)).
  Rng rng_{0};

 private:
  // Throws unless `observation` holds observation_dim floats.
  void CheckObservationSize(std::span<float> observation) const;

  int max_episode_steps_ = 0;
  int elapsed_steps_ = 0;
  bool needs_reset_ = true;
};

/// Names accepted by MakeEnvironment.
std::vector<std::string> EnvironmentNames();
/// "Pendulum-v1", "MountainCarContinuous-v0", "CartPole-v1", "Acrobot-v1" with Gymnasium's
/// default time limits, or cai's "CartPoleSwingUp-v0" (env::CartPoleSwingUp); throws cai::Error listing the names otherwise.
std::unique_ptr<Environment> MakeEnvironment(std::string_view name);

}  // namespace cai::env
