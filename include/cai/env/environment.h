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
  static Space Box(std::vector<double> low, std::vector<double> high);
  static Space Discrete(int n);

  bool is_discrete() const { return discrete_; }
  /// Box: the vector length. Discrete: 1 (an action is passed as one number).
  int dim() const { return discrete_ ? 1 : static_cast<int>(low_.size()); }
  /// Discrete: n. Box: 0.
  int n() const { return n_; }
  /// Box bounds (may be +-infinity). Empty for Discrete.
  const std::vector<double>& low() const { return low_; }
  const std::vector<double>& high() const { return high_; }
  /// "Box([-2], [2])" or "Discrete(3)".
  std::string ToString() const;

 private:
  bool discrete_ = false;
  int n_ = 0;
  std::vector<double> low_, high_;
};

struct StepResult {
  double reward = 0.0;
  bool terminated = false;  // reached a terminal state of the MDP
  bool truncated = false;   // hit the time limit (not terminal: bootstrapping continues)
};

/// A simulator. Non-virtual Reset/Step validate and count steps, then call the subclass.
class Environment {
 public:
  virtual ~Environment() = default;

  /// Gymnasium id, e.g. "Pendulum-v1".
  virtual std::string_view name() const = 0;
  virtual const Space& observation_space() const = 0;
  virtual const Space& action_space() const = 0;
  /// Dimension of the internal physical state (see state()).
  virtual int state_dim() const = 0;

  int observation_dim() const { return observation_space().dim(); }
  int action_dim() const { return action_space().dim(); }

  /// Time limit: Step reports truncated when the episode's step count reaches it (0 = none).
  int max_episode_steps() const { return max_episode_steps_; }
  void set_max_episode_steps(int steps);  // throws cai::Error unless steps >= 0
  int elapsed_steps() const { return elapsed_steps_; }

  /// Starts an episode. With a seed, the environment's generator is re-seeded first (as
  /// Gymnasium's reset(seed=...)); without one, it continues its stream. Writes the first
  /// observation (observation_dim floats).
  void Reset(std::optional<std::uint64_t> seed, std::span<float> observation);

  /// Applies `action` (action_dim numbers; a Discrete action is one integral number in [0, n)).
  /// Throws cai::Error for a wrong size, a NaN or infinite entry, a non-integral or out-of-range
  /// discrete action, or a step after the episode ended without Reset. Writes the next observation.
  StepResult Step(std::span<const double> action, std::span<float> observation);

  /// The internal state (state_dim doubles, e.g. Pendulum [theta, theta_dot]).
  virtual std::vector<double> state() const = 0;
  /// Sets the internal state (for golden-trace tests and planners); throws cai::Error on a wrong
  /// size or non-finite entries. Does not change the step count.
  void SetState(std::span<const double> state);
  /// The observation of the current state.
  virtual void Observe(std::span<float> observation) const = 0;

  /// The generator behind resets (exposed for checkpointing).
  Rng& rng() { return rng_; }

 protected:
  explicit Environment(int max_episode_steps) : max_episode_steps_(max_episode_steps) {}
  /// Samples the initial state from rng_.
  virtual void DoReset() = 0;
  /// Advances the state with a validated action; returns reward and terminated.
  virtual StepResult DoStep(std::span<const double> action) = 0;
  virtual void DoSetState(std::span<const double> state) = 0;

  Rng rng_{0};

 private:
  int max_episode_steps_ = 0;
  int elapsed_steps_ = 0;
  bool needs_reset_ = true;
};

/// Names accepted by MakeEnvironment.
std::vector<std::string> EnvironmentNames();
/// "Pendulum-v1", "MountainCarContinuous-v0", "CartPole-v1", "Acrobot-v1" with Gymnasium's
/// default time limits; throws cai::Error listing the names otherwise.
std::unique_ptr<Environment> MakeEnvironment(std::string_view name);

}  // namespace cai::env
