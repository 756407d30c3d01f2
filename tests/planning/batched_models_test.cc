// The batched float32 models of MountainCarContinuous-v0 and CartPoleSwingUp-v0 against their
// double-precision simulators (the dual path for the planners' models), the swing-up task against
// CartPole-v1's Gymnasium-checked physics, and closed-loop MPPI on both tasks with the true model.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/env/cart_pole.h"
#include "cai/env/cart_pole_swing_up.h"
#include "cai/env/mountain_car_continuous.h"
#include "cai/env/pendulum.h"
#include "cai/planning/batched_dynamics.h"
#include "cai/planning/mppi.h"

namespace cai::planning {
namespace {

using ::testing::HasSubstr;

// Steps every (state, action) pair through the batch once and through `sim` from the same state;
// returns the largest state difference and the largest reward difference.
struct Diff {
  double state = 0, reward = 0;
};
Diff CompareOneStep(const BatchedDynamics& model, env::Environment& sim, const std::vector<std::vector<double>>& s,
                    const std::vector<double>& u) {
  const std::size_t n = s.size();
  const int d = model.state_dim();
  std::vector<float> states(d * n), actions(n), rewards(n);
  for (std::size_t k = 0; k < n; ++k) {
    for (int i = 0; i < d; ++i) states[i * n + k] = static_cast<float>(s[k][i]);
    actions[k] = static_cast<float>(u[k]);
  }
  model.Step({states.data(), n}, {actions.data(), n}, rewards);
  Diff diff;
  std::vector<float> obs(sim.observation_dim());
  for (std::size_t k = 0; k < n; ++k) {
    sim.SetState(s[k]);
    const double r = sim.Step(std::vector<double>{u[k]}, obs).reward;
    const std::vector<double> next = sim.state();
    for (int i = 0; i < d; ++i) diff.state = std::max(diff.state, std::abs(next[i] - states[i * n + k]));
    diff.reward = std::max(diff.reward, std::abs(r - rewards[k]));
  }
  return diff;
}

TEST(BatchedModels, MountainCarMatchesTheSimulatorOutsideTheGoal) {
  BatchedMountainCarContinuous model;
  env::MountainCarContinuous sim;
  std::vector<std::vector<double>> s;
  std::vector<double> u;
  // A grid over the whole box, the walls included; actions inside and outside [-1, 1].
  for (int i = 0; i <= 36; ++i) {
    for (int j = -7; j <= 7; ++j) {
      const double x = static_cast<float>(-1.2 + 0.05 * i), v = static_cast<float>(0.01 * j);
      if (static_cast<float>(x) >= 0.45f && v >= 0) continue;  // goal states (float32 comparison, as the simulator)
      for (double a : {-1.7, -1.0, -0.3, 0.0, 0.6, 1.0, 2.5}) {
        s.push_back({x, v});
        u.push_back(a);
      }
    }
  }
  const Diff d = CompareOneStep(model, sim, s, u);
  std::printf("MountainCar one step: max |state diff| %.3g, max |reward diff| %.3g\n", d.state, d.reward);
  // float32 cos of 3x against the simulator's double cos: the state is float32 in both.
  EXPECT_LT(d.state, 1e-6);
  EXPECT_LT(d.reward, 1e-5);
}

TEST(BatchedModels, MountainCarReachesTheGoalOnceAndThenStays) {
  BatchedMountainCarContinuous model;
  // Just below the goal moving right: the step reaches it (reward 100 - 0.1 a^2); the next steps
  // stay put and earn nothing, whatever the action.
  std::vector<float> s = {0.44f, 0.02f}, a = {0.5f}, r(1);
  model.Step({s.data(), 1}, {a.data(), 1}, r);
  EXPECT_NEAR(r[0], 100.0 - 0.1 * 0.25, 1e-4);
  const std::vector<float> at_goal = s;
  EXPECT_GE(at_goal[0], 0.45f);
  for (float action : {-1.0f, 1.0f}) {
    a[0] = action;
    model.Step({s.data(), 1}, {a.data(), 1}, r);
    EXPECT_EQ(r[0], 0.0f);
    EXPECT_EQ(s, at_goal);
  }
}

TEST(BatchedModels, MountainCarEnergyTerminalReward) {
  EXPECT_NEAR(BatchedMountainCarContinuous::NormalizedEnergy(-std::numbers::pi / 6, 0.0), 0.0, 1e-15);
  EXPECT_NEAR(BatchedMountainCarContinuous::NormalizedEnergy(0.45, 0.0), 1.0, 1e-15);
  BatchedMountainCarContinuous plain, shaped(MountainCarModelOptions{.energy_weight = 50.0});
  std::vector<float> s = {-1.0f, -0.6f, 0.1f, 0.5f, 0.03f, -0.05f, 0.0f, 0.06f}, r(4, 1.0f), r0(4, 1.0f);
  plain.AddTerminalReward({s.data(), 4}, r0);
  shaped.AddTerminalReward({s.data(), 4}, r);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(r0[k], 1.0f);  // the plain model adds nothing
    EXPECT_NEAR(r[k], 1.0 + 50.0 * BatchedMountainCarContinuous::NormalizedEnergy(s[k], s[4 + k]), 1e-4) << k;
  }
  EXPECT_THAT(
      [] {
        try {
          BatchedMountainCarContinuous bad(MountainCarModelOptions{.energy_weight = -1});
        } catch (const Error& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("MountainCarModelOptions.energy_weight = -1"));
}

TEST(BatchedModels, PendulumEnergyTerminalReward) {
  BatchedPendulum plain, shaped(10.0, 4.0);
  // Rest upright (E = E_up): nothing; rest hanging (E = E_down): -w; upright spinning at 2 rad/s:
  // -w ((2^2 / 2) / 30)^2; hanging at 8 rad/s: E - E_up = 32 - 30 = 2.
  std::vector<float> s = {0.0f, std::numbers::pi_v<float>, 0.0f, -std::numbers::pi_v<float>,
                          0.0f, 0.0f,                      2.0f, 8.0f};
  std::vector<float> r(4, 0.0f), r0(4, 0.0f);
  plain.AddTerminalReward({s.data(), 4}, r0);
  shaped.AddTerminalReward({s.data(), 4}, r);
  EXPECT_EQ(r0, std::vector<float>(4, 0.0f));
  EXPECT_NEAR(r[0], 0.0, 1e-6);
  EXPECT_NEAR(r[1], -4.0, 1e-5);
  EXPECT_NEAR(r[2], -4.0 * (2.0 / 30) * (2.0 / 30), 1e-6);
  EXPECT_NEAR(r[3], -4.0 * (2.0 / 30) * (2.0 / 30), 1e-5);
  EXPECT_THROW(BatchedPendulum(10.0, -1.0), Error);
}

TEST(BatchedModels, CartPoleSwingUpMatchesTheSimulator) {
  BatchedCartPoleSwingUp model;
  env::CartPoleSwingUp sim;
  sim.set_max_episode_steps(0);
  std::vector<std::vector<double>> s;
  std::vector<double> u;
  for (int i = -6; i <= 6; ++i) {
    for (int j = -3; j <= 3; ++j) {
      for (double a : {-1.5, -1.0, -0.2, 0.0, 0.7, 1.0}) {
        s.push_back({0.3 * j, 0.5 * i, 1.1 * i, -2.0 * j});
        u.push_back(a);
      }
    }
  }
  const Diff d = CompareOneStep(model, sim, s, u);
  std::printf("CartPoleSwingUp one step: max |state diff| %.3g, max |reward diff| %.3g\n", d.state, d.reward);
  EXPECT_LT(d.state, 1e-5);
  EXPECT_LT(d.reward, 1e-5);

  // 50 steps (1 s) from the hanging start under a bang-bang-ish force sequence.
  double max_traj = 0;
  std::vector<float> obs(5);
  sim.Reset(7, obs);
  const std::vector<double> start = sim.state();
  std::vector<float> fs(start.begin(), start.end()), fr(1);
  for (int t = 0; t < 50; ++t) {
    const double a = std::sin(0.4 * t);
    const float fa = static_cast<float>(a);
    const double r = sim.Step(std::vector<double>{a}, obs).reward;
    model.Step({fs.data(), 1}, {&fa, 1}, fr);
    const std::vector<double> next = sim.state();
    for (int i = 0; i < 4; ++i) max_traj = std::max(max_traj, std::abs(next[i] - fs[i]));
    max_traj = std::max(max_traj, std::abs(r - fr[0]));
  }
  std::printf("CartPoleSwingUp 50-step trajectory: max |diff| %.3g\n", max_traj);
  EXPECT_LT(max_traj, 1e-4);
}

// Full force +-1 is CartPole-v1's push (action 1 / 0): the same physics, checked against
// Gymnasium's equations in tests/env.
TEST(BatchedModels, CartPoleSwingUpAtFullForceIsCartPole) {
  env::CartPoleSwingUp swing;
  env::CartPole cart;
  std::vector<float> o5(5), o4(4);
  const std::vector<double> start = {0.1, -0.2, 0.05, 0.3};
  swing.SetState(start);
  cart.SetState(start);
  for (int t = 0; t < 8; ++t) {
    const bool right = (t % 3) != 0;
    const double r = swing.Step(std::vector<double>{right ? 1.0 : -1.0}, o5).reward;
    const std::vector<double> before = cart.state();
    cart.Step(std::vector<double>{right ? 1.0 : 0.0}, o4);
    EXPECT_EQ(swing.state(), cart.state()) << "step " << t;
    EXPECT_DOUBLE_EQ(r, std::cos(before[2]) - 0.05 * before[0] * before[0] - 0.01);
  }
}

TEST(BatchedModels, CartPoleSwingUpResetsHanging) {
  env::CartPoleSwingUp sim;
  std::vector<float> obs(5);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    sim.Reset(seed, obs);
    const std::vector<double> s = sim.state();
    EXPECT_NEAR(s[2], std::numbers::pi, 0.05);
    for (int i : {0, 1, 3}) EXPECT_LE(std::abs(s[i]), 0.05);
    EXPECT_FLOAT_EQ(obs[2], static_cast<float>(std::cos(s[2])));
    EXPECT_FLOAT_EQ(obs[3], static_cast<float>(std::sin(s[2])));
  }
}

// Closed loop with the true model: the energy terminal reward makes a horizon-30 planner pump the
// car up the hill (the plain model, whose goal lies beyond the horizon, only idles).
TEST(BatchedModels, MppiDrivesTheCarUpTheHillWithTheEnergyHeuristic) {
  const auto episode = [](double weight) {
    BatchedMountainCarContinuous model(MountainCarModelOptions{.energy_weight = weight});
    env::MountainCarContinuous sim;
    Mppi mppi(model, MppiOptions{.samples = 500, .horizon = 30, .temperature = 1.0, .noise_std = {1.0}, .seed = 0});
    std::vector<float> obs(2);
    sim.Reset(0, obs);
    std::vector<double> action(1);
    double total = 0;
    for (int t = 0; t < 999; ++t) {
      mppi.Plan(sim.state(), action);
      const env::StepResult r = sim.Step(action, obs);
      total += r.reward;
      if (r.terminated) return std::pair{t + 1, total};
    }
    return std::pair{-1, total};
  };
  const auto [steps, total] = episode(50.0);
  std::printf("MountainCar with energy weight 50: goal at step %d, return %.2f\n", steps, total);
  EXPECT_GT(steps, 0);
  EXPECT_LE(steps, 200);
  EXPECT_GE(total, 90.0);  // Gymnasium's "solved" threshold for this task
  EXPECT_EQ(episode(0.0).first, -1);
}

TEST(BatchedModels, MppiSwingsTheCartPoleUpAndBalances) {
  BatchedCartPoleSwingUp model;
  env::CartPoleSwingUp sim;
  // T = 50 (1 s): at T = 30 the planner swings the pole up but lets the cart wander off.
  Mppi mppi(model, MppiOptions{.samples = 1000, .horizon = 50, .temperature = 1.0, .noise_std = {1.0}, .seed = 0});
  std::vector<float> obs(5);
  sim.Reset(0, obs);
  std::vector<double> action(1);
  int upright_since = -1;
  double total = 0;
  for (int t = 0; t < 300; ++t) {
    mppi.Plan(sim.state(), action);
    total += sim.Step(action, obs).reward;
    const bool up = std::abs(env::Pendulum::NormalizeAngle(sim.state()[2])) < 0.2;
    if (!up) upright_since = -1;
    else if (upright_since < 0) upright_since = t + 1;
  }
  std::printf("CartPoleSwingUp: upright from step %d, return over 300 steps %.1f, x = %.2f\n", upright_since, total,
              sim.state()[0]);
  EXPECT_GE(upright_since, 0);
  EXPECT_LE(upright_since, 150);
  EXPECT_LT(std::abs(sim.state()[0]), 1.5);
}

}  // namespace
}  // namespace cai::planning
