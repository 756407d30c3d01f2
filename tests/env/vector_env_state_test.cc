// VectorEnv::SaveState/RestoreState: a vector environment restored mid-episode into a fresh copy
// continues exactly as the original (observations, rewards, flags, automatic resets).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/env/vector_env.h"

namespace cai::env {
namespace {

struct Trace {
  std::vector<float> observations;
  std::vector<double> rewards;
  std::vector<std::uint8_t> flags;
};

Trace StepRandomly(VectorEnv& env, std::vector<float>& obs, Rng& rng, int steps) {
  const int n = env.num_envs();
  std::vector<double> actions(n), rewards(n);
  std::vector<std::uint8_t> terminated(n), truncated(n);
  Trace t;
  for (int k = 0; k < steps; ++k) {
    for (double& a : actions) a = static_cast<double>(rng.UniformInt(2));
    env.Step(actions, {obs, rewards, terminated, truncated, {}});
    t.observations.insert(t.observations.end(), obs.begin(), obs.end());
    t.rewards.insert(t.rewards.end(), rewards.begin(), rewards.end());
    t.flags.insert(t.flags.end(), terminated.begin(), terminated.end());
    t.flags.insert(t.flags.end(), truncated.begin(), truncated.end());
  }
  return t;
}

TEST(VectorEnvState, RestoredCopyContinuesBitForBit) {
  VectorEnv a(4, "CartPole-v1");
  std::vector<float> obs(4 * 4);
  a.Reset(42, obs);
  Rng rng(1);
  StepRandomly(a, obs, rng, 37);  // some copies mid-episode, some already reset
  const VectorEnv::State saved = a.SaveState();
  const std::vector<float> saved_obs = obs;
  Rng rng_copy = rng;
  const Trace expected = StepRandomly(a, obs, rng, 300);

  VectorEnv b(4, "CartPole-v1");
  std::vector<float> obs_b(4 * 4);
  b.RestoreState(saved, obs_b);
  EXPECT_EQ(obs_b, saved_obs);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.env(i).elapsed_steps(), saved.elapsed_steps[i]);
  const Trace got = StepRandomly(b, obs_b, rng_copy, 300);
  EXPECT_EQ(got.observations, expected.observations);
  EXPECT_EQ(got.rewards, expected.rewards);
  EXPECT_EQ(got.flags, expected.flags);
}

TEST(VectorEnvState, RejectsBadStatesAndChangesNothing) {
  VectorEnv a(2, "CartPole-v1");
  std::vector<float> obs(2 * 4);
  EXPECT_THROW(a.SaveState(), Error);  // before Reset
  a.Reset(0, obs);
  VectorEnv::State s = a.SaveState();
  VectorEnv::State bad = s;
  bad.elapsed_steps[1] = 500;  // CartPole's limit
  EXPECT_THROW(a.RestoreState(bad, obs), Error);
  bad = s;
  bad.states.pop_back();
  EXPECT_THROW(a.RestoreState(bad, obs), Error);
  bad = s;
  bad.states[5] = std::numeric_limits<double>::quiet_NaN();
  try {
    a.RestoreState(bad, obs);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("state.states[1][1]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(a.SaveState().states, s.states);
}

}  // namespace
}  // namespace cai::env
