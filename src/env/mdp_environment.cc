#include "cai/env/mdp_environment.h"

#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::env {
namespace {

const Mdp& Require(const std::shared_ptr<const Mdp>& mdp) {
  if (mdp == nullptr) throw Error("MdpEnvironment: mdp is null");
  return *mdp;
}

int CheckedLimit(int max_episode_steps) {
  if (max_episode_steps < 0) {
    throw Error(fmt::format("MdpEnvironment: max_episode_steps {} is invalid (expected >= 0)", max_episode_steps));
  }
  return max_episode_steps;
}

Space OneHotBox(int n) { return Space::Box(std::vector<double>(n, 0.0), std::vector<double>(n, 1.0)); }

}  // namespace

MdpEnvironment::MdpEnvironment(std::shared_ptr<const Mdp> mdp, int max_episode_steps)
    : Environment(CheckedLimit(max_episode_steps)),
      mdp_(std::move(mdp)),
      observation_space_(OneHotBox(Require(mdp_).num_states())),
      action_space_(Space::Discrete(mdp_->num_actions())) {}

void MdpEnvironment::Observe(std::span<float> observation) const {
  for (float& x : observation) x = 0.0f;
  observation[static_cast<std::size_t>(s_)] = 1.0f;
}

void MdpEnvironment::DoReset() { s_ = static_cast<int>(rng_.Categorical(mdp_->initial_distribution())); }

StepResult MdpEnvironment::DoStep(std::span<const double> action) {
  const int a = static_cast<int>(action[0]);
  StepResult result;
  result.reward = mdp_->reward(s_, a);
  if (mdp_->IsTerminal(s_, a)) {
    result.terminated = true;
    return result;
  }
  const auto next = mdp_->NextStates(s_, a);
  const auto probabilities = mdp_->NextProbabilities(s_, a);
  s_ = next[rng_.Categorical(probabilities)];
  return result;
}

void MdpEnvironment::DoSetState(std::span<const double> state) {
  const double v = state[0];
  if (v != std::floor(v) || v < 0 || v >= mdp_->num_states()) {
    throw Error(fmt::format("cai.mdp: state[0] = {}; expected a state index in [0, {})", v, mdp_->num_states()));
  }
  s_ = static_cast<int>(v);
}

}  // namespace cai::env
