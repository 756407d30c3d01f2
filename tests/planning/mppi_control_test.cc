// Closed-loop MPPI (include/cai/planning/mppi_control.h): the library loop reproduces a hand-written
// Plan/Step loop exactly, swings the pendulum up, stops at the MountainCar goal, and names the field
// of a bad option.
#include "cai/planning/mppi_control.h"

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/env/pendulum.h"

namespace cai::planning {
namespace {

using ::testing::HasSubstr;

template <typename F>
std::string ErrorMessage(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no cai::Error thrown";
  return "";
}

TEST(MppiControlTest, MatchesAHandWrittenLoopAndSwingsUp) {
  MppiControlOptions o;
  o.mppi = MppiOptions{.samples = 1000, .horizon = 30, .temperature = 1.0, .noise_std = {1.0}, .seed = 0};
  o.steps = 120;
  const MppiControlResult r = RunMppiControl(o);

  BatchedPendulum model;
  Mppi m(model, o.mppi);
  env::Pendulum pendulum;
  std::vector<float> obs(3);
  pendulum.Reset(0, obs);
  const std::vector<double> hanging = {std::numbers::pi, 0.0};
  pendulum.SetState(hanging);
  ASSERT_EQ(r.states.size(), 121u);
  ASSERT_EQ(r.actions.size(), 120u);
  EXPECT_EQ(r.states[0], hanging);
  EXPECT_EQ(r.start, "hanging (theta=pi, theta_dot=0)");
  std::vector<double> action(1);
  double total = 0.0;
  for (int t = 0; t < 120; ++t) {
    const MppiSummary s = m.Plan(pendulum.state(), action);
    const double reward = pendulum.Step(action, obs).reward;
    total += reward;
    EXPECT_EQ(r.actions[t], action) << t;
    EXPECT_EQ(r.rewards[t], reward) << t;
    EXPECT_EQ(r.effective_sample_size[t], s.effective_sample_size) << t;
    EXPECT_EQ(r.states[t + 1], pendulum.state()) << t;
    EXPECT_EQ(r.tracked[t + 1], env::Pendulum::NormalizeAngle(pendulum.state()[0])) << t;
  }
  EXPECT_DOUBLE_EQ(r.total_return, total);
  EXPECT_TRUE(r.tracks_angle);
  EXPECT_GE(r.steps_to_upright, 1);
  EXPECT_LE(r.steps_to_upright, 100);
  for (int t = r.steps_to_upright; t <= 120; ++t) EXPECT_LT(std::abs(r.tracked[t]), 0.2) << t;
  EXPECT_EQ(r.steps_to_goal, -1);
  EXPECT_EQ(r.ms_per_step.size(), 120u);
}

TEST(MppiControlTest, MountainCarStopsAtTheGoal) {
  MppiControlOptions o;
  o.env = "MountainCarContinuous-v0";
  o.mppi.samples = 500;
  o.energy_weight = 50.0;
  const MppiControlResult r = RunMppiControl(o);
  EXPECT_FALSE(r.tracks_angle);
  ASSERT_GE(r.steps_to_goal, 1);
  EXPECT_EQ(r.actions.size(), static_cast<std::size_t>(r.steps_to_goal));
  EXPECT_GE(r.states.back()[0], 0.45);
  EXPECT_EQ(r.start, "reset(seed=0)");
}

TEST(MppiControlTest, OptionErrorsNameTheField) {
  const auto msg = [](MppiControlOptions o) { return ErrorMessage([&] { RunMppiControl(o); }); };
  EXPECT_THAT(msg({.env = "CartPole-v1"}), HasSubstr("MppiControlOptions.env: \"CartPole-v1\" is invalid"));
  EXPECT_THAT(msg({.env = "PointMass2D"}), HasSubstr("MppiControlOptions.env: \"PointMass2D\" is invalid"));
  EXPECT_THAT(msg({.steps = -1}), HasSubstr("MppiControlOptions.steps: -1 is invalid"));
  EXPECT_THAT(msg({.energy_weight = -2}), HasSubstr("MppiControlOptions.energy_weight: -2 is invalid"));
  EXPECT_THAT(msg({.env = "CartPoleSwingUp-v0", .energy_weight = 5}), HasSubstr("MppiControlOptions.energy_weight: 5 is invalid"));
  EXPECT_EQ(msg({.mppi = {.samples = 0}}), "MppiOptions.samples: 0 is invalid (expected an integer >= 1)");
  EXPECT_THAT(ErrorMessage([] { ParseMppiSmoothing("box"); }), HasSubstr("MppiOptions.smoothing: \"box\" is invalid"));
  EXPECT_THAT(ErrorMessage([] { MakePlanningModel("Pendulum-v1", NAN); }), HasSubstr("energy_weight = nan"));
  EXPECT_THAT(ErrorMessage([] { MakePlanningModel("Acrobot"); }), HasSubstr("env = \"Acrobot\""));
}

TEST(MppiControlTest, SmoothingNamesRoundTripAndModelsCarryTheEnergyWeight) {
  for (MppiSmoothing s : {MppiSmoothing::kNone, MppiSmoothing::kMovingAverage, MppiSmoothing::kExponential}) {
    EXPECT_EQ(ParseMppiSmoothing(MppiSmoothingName(s)), s);
  }
  const auto pendulum = MakePlanningModel("Pendulum-v1", 3.0);
  EXPECT_EQ(dynamic_cast<const BatchedPendulum&>(*pendulum).energy_weight(), 3.0);
  EXPECT_EQ(MakePlanningModel("PointMass2D")->name(), "PointMass2D");
}

}  // namespace
}  // namespace cai::planning
