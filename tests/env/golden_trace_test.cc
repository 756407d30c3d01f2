// One-step transitions of our simulators against Gymnasium's own (tests/data/golden/, made by
// scripts/gen_golden_traces.py). Tolerances: internal state and reward to 1e-10 (NumPy's sin/cos
// may differ from glibc's by a few ulp; the one-step maps are smooth with O(1) derivatives, so a
// few ulp in, ~1e-15 out); terminated exactly; observations at float32 precision (both sides
// round the same double to float32, so they agree to one float32 ulp). Multi-step trajectories are
// compared loosely (1e-6): Acrobot is chaotic and ulp differences grow over the steps.
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/env/environment.h"

namespace cai::env {
namespace {

nlohmann::json Load(const std::string& env_id) {
  std::ifstream in(std::string(CAI_TEST_DATA_DIR) + "/golden/" + env_id + ".json");
  EXPECT_TRUE(in.good()) << env_id;
  return nlohmann::json::parse(in);
}

class GoldenTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTrace, OneStepTransitionsMatchGymnasium) {
  const auto data = Load(GetParam());
  auto env = MakeEnvironment(GetParam());
  std::vector<float> obs(env->observation_dim());
  int compared = 0;
  for (const auto& step : data["steps"]) {
    env->Reset(0, obs);
    const auto state = step["state"].get<std::vector<double>>();
    env->SetState(state);
    const auto action = step["action"].get<std::vector<double>>();
    const StepResult r = env->Step(action, obs);
    const auto expected = step["next_state"].get<std::vector<double>>();
    const auto next = env->state();
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_NEAR(next[i], expected[i], 1e-10 * std::max(1.0, std::abs(expected[i])))
          << GetParam() << " step " << compared << " state[" << i << "]";
    }
    ASSERT_NEAR(r.reward, step["reward"].get<double>(), 1e-10) << GetParam() << " step " << compared;
    ASSERT_EQ(r.terminated, step["terminated"].get<bool>()) << GetParam() << " step " << compared;
    const auto expected_obs = step["observation"].get<std::vector<double>>();
    for (std::size_t i = 0; i < expected_obs.size(); ++i) {
      const auto e = static_cast<float>(expected_obs[i]);
      ASSERT_LE(std::abs(obs[i] - e), std::abs(e) * 1.2e-7f + 1e-30f)
          << GetParam() << " step " << compared << " observation[" << i << "]";
    }
    ++compared;
  }
  EXPECT_GE(compared, 250);
}

TEST_P(GoldenTrace, TrajectoriesFromResetStayClose) {
  const auto data = Load(GetParam());
  auto env = MakeEnvironment(GetParam());
  std::vector<float> obs(env->observation_dim());
  for (const auto& traj : data["trajectories"]) {
    env->Reset(0, obs);
    env->SetState(traj["start"].get<std::vector<double>>());
    const auto& actions = traj["actions"];
    for (std::size_t t = 0; t < actions.size(); ++t) {
      const StepResult r = env->Step(actions[t].get<std::vector<double>>(), obs);
      const auto expected = traj["states"][t].get<std::vector<double>>();
      const auto next = env->state();
      for (std::size_t i = 0; i < expected.size(); ++i) {
        ASSERT_NEAR(next[i], expected[i], 1e-6 * std::max(1.0, std::abs(expected[i]))) << GetParam() << " t=" << t;
      }
      ASSERT_NEAR(r.reward, traj["rewards"][t].get<double>(), 1e-6);
      ASSERT_EQ(r.terminated, traj["terminated"][t].get<bool>());
      if (r.terminated) break;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ClassicControl, GoldenTrace,
                         ::testing::Values("Pendulum-v1", "MountainCarContinuous-v0", "CartPole-v1", "Acrobot-v1"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (char& c : n) {
                             if (c == '-' || c == '.') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace cai::env
