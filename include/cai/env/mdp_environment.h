// A tabular cai.mdp/1 MDP as a simulator: one-hot observations, Discrete(num_actions) actions,
// s_0 from the MDP's initial distribution, s' ~ p(.|s, a), and an (s, a) without successors ends the
// episode (terminated). Deep learners trained on it can be compared with the exact solution of the
// same MDP (soft value iteration): the dual path for soft DQN and the actor-critic.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cai/env/environment.h"
#include "cai/mdp/mdp.h"

namespace cai::env {

class MdpEnvironment : public Environment {
 public:
  /// `max_episode_steps` 0 = no time limit (then every episode must reach a terminal (s, a)).
  /// Throws cai::Error unless max_episode_steps >= 0.
  MdpEnvironment(std::shared_ptr<const Mdp> mdp, int max_episode_steps);

  std::string_view name() const override { return "cai.mdp"; }
  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  /// The state index, as one double.
  int state_dim() const override { return 1; }
  std::vector<double> state() const override { return {static_cast<double>(s_)}; }
  /// One-hot: observation[s] = 1, the rest 0.
  void Observe(std::span<float> observation) const override;

  const Mdp& mdp() const { return *mdp_; }
  /// The current state index.
  int current_state() const { return s_; }

 protected:
  void DoReset() override;
  StepResult DoStep(std::span<const double> action) override;
  /// Throws cai::Error unless state[0] is an integer in [0, num_states).
  void DoSetState(std::span<const double> state) override;

 private:
  std::shared_ptr<const Mdp> mdp_;
  Space observation_space_;
  Space action_space_;
  int s_ = 0;
};

}  // namespace cai::env
