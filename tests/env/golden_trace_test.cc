// Replays transitions recorded from Gymnasium itself (tests/data/golden/, made by
// scripts/gen_golden_traces.py) through cai::env and compares.
//
// Tolerances. A one-step transition is a handful of floating-point operations plus sin/cos.
// NumPy's sin/cos and the C library's may differ in the last bit or two, and one step multiplies
// such a relative difference of ~1e-16 by at most the step's sensitivity (below ~1e3 even for the
// wild states recorded), so honest implementations agree to ~1e-13. We require 1e-10, relative to
// max(1, |value|): three orders of margin, while any wrong constant, operation order that matters,
// or update that uses a new value instead of an old one shows up as 1e-6 or more.
// MountainCarContinuous involves no cancellation-prone trigonometry on its state (one cos whose
// argument is a float32) and is rounded to float32 after every step, so it must match exactly.
// Observations are float32 roundings of double values: one float32 unit (relative to
// max(1, |value|)) absorbs a rounding that lands on the other side of a float boundary.
// Terminated flags are compared exactly; the generator drops the rare Acrobot transitions that sit
// within 1e-9 of the termination line or the angle wrap.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/env/environment.h"
#include "cai/env/pendulum.h"

namespace cai::env {
namespace {

using nlohmann::json;

constexpr double kStateTolerance = 1e-10;
constexpr double kRewardTolerance = 1e-10;

json LoadGolden(const std::string& file) {
  const std::string path = std::string(CAI_TEST_DATA_DIR) + "/golden/" + file;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path << " (regenerate with scripts/gen_golden_traces.py)";
    return json();
  }
  return json::parse(in);
}

std::unique_ptr<Environment> MakeWithParams(const std::string& id, const json& params) {
  if (id == "Pendulum-v1" && params.contains("g")) {
    return std::make_unique<Pendulum>(params["g"].get<double>());
  }
  EXPECT_TRUE(params.empty()) << id << " params " << params.dump();
  return MakeEnvironment(id);
}

double RelativeError(double ours, double reference) {
  return std::abs(ours - reference) / std::max(1.0, std::abs(reference));
}

// Difference of two angles as a point on the circle (for chaotic trajectories, where a state
// near +-pi may wrap on one side in one implementation and on the other in the other).
double AngleError(double ours, double reference) {
  return std::abs(std::remainder(ours - reference, 2.0 * std::numbers::pi));
}

std::string Describe(const json& transition) {
  // repr-style 17 significant digits so a failing case can be pasted into Python.
  auto numbers = [](const json& values) {
    std::vector<std::string> out;
    for (const auto& v : values) out.push_back(fmt::format("{:.17g}", v.get<double>()));
    return fmt::format("[{}]", fmt::join(out, ", "));
  };
  return fmt::format("state {} action {}", numbers(transition[0]), numbers(transition[1]));
}

struct Worst {
  double state = 0.0, reward = 0.0, observation = 0.0;
};

// Checks every one-step transition in `file`; `exact_state` demands bit equality of the state.
void CheckTransitions(const std::string& file, bool exact_state) {
  const json golden = LoadGolden(file);
  ASSERT_FALSE(golden.is_null());
  const std::string id = golden.at("env").get<std::string>();
  ASSERT_EQ(golden.at("transition_fields"),
            json({"state", "action", "next_state", "observation", "reward", "terminated"}));
  EXPECT_EQ(golden.at("gymnasium_version").get<std::string>().substr(0, 2), "1.");
  int count = 0;
  Worst worst;
  for (const json& group : golden.at("groups")) {
    const std::string name = group.at("name").get<std::string>();
    std::unique_ptr<Environment> env = MakeWithParams(id, group.at("params"));
    std::vector<float> observation(env->observation_dim());
    for (const json& t : group.at("transitions")) {
      SCOPED_TRACE(fmt::format("{} group {} #{}: {}", id, name, count, Describe(t)));
      ++count;
      const auto state = t[0].get<std::vector<double>>();
      const auto action = t[1].get<std::vector<double>>();
      const auto next_state = t[2].get<std::vector<double>>();
      const auto expected_observation = t[3].get<std::vector<double>>();
      const double reward = t[4].get<double>();
      const bool terminated = t[5].get<bool>();

      env->SetState(state);
      ASSERT_EQ(env->state(), state) << "SetState must keep the recorded state exactly";
      const StepResult result = env->Step(action, observation);
      const std::vector<double> ours = env->state();
      ASSERT_EQ(ours.size(), next_state.size());
      for (std::size_t i = 0; i < ours.size(); ++i) {
        if (exact_state) {
          EXPECT_EQ(ours[i], next_state[i]) << "next_state[" << i << "]";
        } else {
          EXPECT_LE(RelativeError(ours[i], next_state[i]), kStateTolerance)
              << "next_state[" << i << "] = " << fmt::format("{:.17g}", ours[i]) << ", expected "
              << fmt::format("{:.17g}", next_state[i]);
        }
        worst.state = std::max(worst.state, RelativeError(ours[i], next_state[i]));
      }
      EXPECT_LE(RelativeError(result.reward, reward), kRewardTolerance)
          << fmt::format("reward {:.17g}, expected {:.17g}", result.reward, reward);
      worst.reward = std::max(worst.reward, RelativeError(result.reward, reward));
      EXPECT_EQ(result.terminated, terminated);
      EXPECT_FALSE(result.truncated);
      ASSERT_EQ(observation.size(), expected_observation.size());
      for (std::size_t i = 0; i < observation.size(); ++i) {
        const double error = RelativeError(observation[i], expected_observation[i]);
        EXPECT_LE(error, FLT_EPSILON) << "observation[" << i << "] = " << observation[i]
                                      << ", expected " << expected_observation[i];
        worst.observation = std::max(worst.observation, error);
      }
    }
  }
  EXPECT_GT(count, 300) << "the golden file should hold hundreds of transitions";
  std::printf("  %s: %d transitions; worst relative error: state %.2g, reward %.2g, obs %.2g\n",
              id.c_str(), count, worst.state, worst.reward, worst.observation);
}

// Replays the recorded multi-step trajectories. Errors compound from step to step, so the
// tolerance is per environment: `state_tolerance` relative to max(1, |value|) (angles of
// `angle_indices` compared on the circle). Rewards use the same tolerance scaled by 10 for
// Pendulum, whose cost sums squares of the state.
void CheckTrajectories(const std::string& file, double state_tolerance,
                       const std::vector<int>& angle_indices = {}) {
  const json golden = LoadGolden(file);
  ASSERT_FALSE(golden.is_null());
  const std::string id = golden.at("env").get<std::string>();
  const json& trajectories = golden.at("trajectories");
  ASSERT_GE(trajectories.size(), 3u);
  double worst = 0.0;
  for (std::size_t k = 0; k < trajectories.size(); ++k) {
    const json& trajectory = trajectories[k];
    std::unique_ptr<Environment> env = MakeEnvironment(id);
    std::vector<float> observation(env->observation_dim());
    env->SetState(trajectory.at("initial_state").get<std::vector<double>>());
    const json& actions = trajectory.at("actions");
    ASSERT_GE(actions.size(), 5u);
    for (std::size_t step = 0; step < actions.size(); ++step) {
      SCOPED_TRACE(fmt::format("{} trajectory {} step {}", id, k, step));
      const StepResult result = env->Step(actions[step].get<std::vector<double>>(), observation);
      const auto expected = trajectory.at("states")[step].get<std::vector<double>>();
      const std::vector<double> ours = env->state();
      for (std::size_t i = 0; i < ours.size(); ++i) {
        const bool angle =
            std::find(angle_indices.begin(), angle_indices.end(), static_cast<int>(i)) !=
            angle_indices.end();
        const double error =
            angle ? AngleError(ours[i], expected[i]) : RelativeError(ours[i], expected[i]);
        EXPECT_LE(error, state_tolerance) << "state[" << i << "]";
        worst = std::max(worst, error);
      }
      EXPECT_LE(RelativeError(result.reward, trajectory.at("rewards")[step].get<double>()),
                10 * state_tolerance);
      EXPECT_EQ(result.terminated, trajectory.at("terminated")[step].get<bool>());
    }
  }
  std::printf("  %s trajectories: worst state error %.2g\n", id.c_str(), worst);
}

TEST(GoldenTrace, PendulumOneStep) { CheckTransitions("pendulum.json", false); }
TEST(GoldenTrace, MountainCarContinuousOneStepBitExact) {
  CheckTransitions("mountain_car_continuous.json", true);
}
TEST(GoldenTrace, CartPoleOneStep) { CheckTransitions("cart_pole.json", false); }
TEST(GoldenTrace, AcrobotOneStep) { CheckTransitions("acrobot.json", false); }

// Pendulum and CartPole are smooth and short: the one-step bound barely grows over 20 steps.
TEST(GoldenTrace, PendulumTrajectories) { CheckTrajectories("pendulum.json", 1e-9); }
TEST(GoldenTrace, CartPoleTrajectories) { CheckTrajectories("cart_pole.json", 1e-9); }
// Bit-exact step after step.
TEST(GoldenTrace, MountainCarContinuousTrajectories) {
  CheckTrajectories("mountain_car_continuous.json", 0.0);
}
// Acrobot is chaotic: a last-bit difference in sin/cos grows exponentially along a trajectory, so
// only a loose bound is meaningful over 20 RK4 steps of 0.2 s (angles compared on the circle). On
// the recorded data the agreement is in fact ~1e-15 (exact with the default flags); 1e-6 leaves
// room for other libm's and FMA contraction while still catching any error in the dynamics.
TEST(GoldenTrace, AcrobotTrajectoriesLoosely) {
  CheckTrajectories("acrobot.json", 1e-6, /*angle_indices=*/{0, 1});
}

}  // namespace
}  // namespace cai::env
