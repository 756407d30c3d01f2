// The environment interface: spaces, seeding, episode protocol, action validation, time limits,
// termination, the registry and VectorEnv. (Agreement with Gymnasium's dynamics is in
// golden_trace_test.cc.)
#include "cai/env/environment.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/env/acrobot.h"
#include "cai/env/cart_pole.h"
#include "cai/env/mountain_car_continuous.h"
#include "cai/env/pendulum.h"
#include "cai/env/vector_env.h"

namespace cai::env {
namespace {

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = std::numbers::pi;

// The message of the cai::Error that `f` throws ("" and a test failure if it throws none).
template <typename F>
std::string ErrorMessage(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected cai::Error";
  return "";
}

// A valid action for `env` drawn from `rng` (uniform in a bounded box, uniform index if discrete).
std::vector<double> RandomAction(const Environment& env, Rng& rng) {
  const Space& space = env.action_space();
  if (space.is_discrete()) return {static_cast<double>(rng.UniformInt(space.n()))};
  std::vector<double> action(space.dim());
  for (int i = 0; i < space.dim(); ++i) {
    action[i] = space.low()[i] + (space.high()[i] - space.low()[i]) * rng.Uniform();
  }
  return action;
}

std::vector<double> Widen(const std::vector<float>& x) { return {x.begin(), x.end()}; }

// ----- Space ------------------------------------------------------------------------------------

TEST(EnvSpace, BoxAndDiscreteDescribeThemselves) {
  const Space box = Space::Box({-2.0}, {2.0});
  EXPECT_FALSE(box.is_discrete());
  EXPECT_EQ(box.dim(), 1);
  EXPECT_EQ(box.n(), 0);
  EXPECT_EQ(box.ToString(), "Box([-2], [2])");
  const Space discrete = Space::Discrete(3);
  EXPECT_TRUE(discrete.is_discrete());
  EXPECT_EQ(discrete.dim(), 1);
  EXPECT_EQ(discrete.n(), 3);
  EXPECT_TRUE(discrete.low().empty());
  EXPECT_EQ(discrete.ToString(), "Discrete(3)");
  EXPECT_EQ(Space::Box({-1, -kInf}, {1, kInf}).ToString(), "Box([-1, -inf], [1, inf])");
}

TEST(EnvSpace, Contains) {
  const Space box = Space::Box({-1.0, 0.0}, {1.0, kInf});
  EXPECT_TRUE(box.Contains(std::vector<double>{-1.0, 1e300}));
  EXPECT_FALSE(box.Contains(std::vector<double>{1.5, 0.0}));
  EXPECT_FALSE(box.Contains(std::vector<double>{kNaN, 0.0}));
  EXPECT_FALSE(box.Contains(std::vector<double>{0.0}));
  const Space discrete = Space::Discrete(2);
  EXPECT_TRUE(discrete.Contains(std::vector<double>{1.0}));
  EXPECT_FALSE(discrete.Contains(std::vector<double>{2.0}));
  EXPECT_FALSE(discrete.Contains(std::vector<double>{0.5}));
  EXPECT_FALSE(discrete.Contains(std::vector<double>{-1.0}));
}

TEST(EnvSpace, InvalidSpacesThrow) {
  EXPECT_THAT(ErrorMessage([] { Space::Box({0.0, 1.0}, {1.0}); }), HasSubstr("equal lengths"));
  EXPECT_THAT(ErrorMessage([] { Space::Box({2.0}, {1.0}); }), HasSubstr("low[0] = 2"));
  EXPECT_THAT(ErrorMessage([] { Space::Box({kNaN}, {1.0}); }), HasSubstr("low[0] = nan"));
  EXPECT_THAT(ErrorMessage([] { Space::Box({}, {}); }), HasSubstr("empty"));
  EXPECT_THAT(ErrorMessage([] { Space::Discrete(0); }), HasSubstr("n = 0"));
}

// ----- Registry and per-environment facts --------------------------------------------------------

TEST(EnvRegistry, MakesEveryNamedEnvironmentWithGymnasiumDefaults) {
  struct Expected {
    std::string name;
    int max_steps, state_dim, obs_dim;
    std::string action_space;
  };
  const std::vector<Expected> expected = {
      {"Pendulum-v1", 200, 2, 3, "Box([-2], [2])"},
      {"MountainCarContinuous-v0", 999, 2, 2, "Box([-1], [1])"},
      {"CartPole-v1", 500, 4, 4, "Discrete(2)"},
      {"Acrobot-v1", 500, 4, 6, "Discrete(3)"},
      {"CartPoleSwingUp-v0", 500, 4, 5, "Box([-1], [1])"},
  };
  const std::vector<std::string> names = EnvironmentNames();
  ASSERT_EQ(names.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(names[i], expected[i].name);
    const std::unique_ptr<Environment> env = MakeEnvironment(expected[i].name);
    ASSERT_NE(env, nullptr);
    EXPECT_EQ(env->name(), expected[i].name);
    EXPECT_EQ(env->max_episode_steps(), expected[i].max_steps);
    EXPECT_EQ(env->state_dim(), expected[i].state_dim);
    EXPECT_EQ(env->observation_dim(), expected[i].obs_dim);
    EXPECT_EQ(env->action_space().ToString(), expected[i].action_space);
    EXPECT_TRUE(env->needs_reset());
  }
  EXPECT_EQ(MakeEnvironment("Pendulum-v1")->observation_space().ToString(),
            "Box([-1, -1, -8], [1, 1, 8])");
  EXPECT_EQ(MakeEnvironment("MountainCarContinuous-v0")->observation_space().ToString(),
            "Box([-1.2, -0.07], [0.6, 0.07])");
  const Space cart = MakeEnvironment("CartPole-v1")->observation_space();
  EXPECT_DOUBLE_EQ(cart.high()[0], 4.8);
  EXPECT_EQ(cart.high()[1], kInf);
  EXPECT_DOUBLE_EQ(cart.high()[2], 2 * 12 * 2 * kPi / 360);
  const Space acrobot = MakeEnvironment("Acrobot-v1")->observation_space();
  EXPECT_DOUBLE_EQ(acrobot.high()[4], 4 * kPi);
  EXPECT_DOUBLE_EQ(acrobot.high()[5], 9 * kPi);
}

TEST(EnvRegistry, UnknownNameListsTheKnownOnes) {
  const std::string message = ErrorMessage([] { MakeEnvironment("Pendulum-v0"); });
  EXPECT_THAT(message, HasSubstr("\"Pendulum-v0\""));
  for (const std::string& name : EnvironmentNames()) EXPECT_THAT(message, HasSubstr(name));
}

TEST(EnvPendulum, GravityIsAConstructorArgument) {
  EXPECT_EQ(Pendulum().gravity(), 10.0);
  EXPECT_THAT(ErrorMessage([] { Pendulum bad(kNaN); }), HasSubstr("gravity = nan"));
  // Horizontal pendulum at rest, no torque: the speed gained in one step is 3 g / 2 * dt.
  for (double g : {10.0, 9.81}) {
    Pendulum env(g);
    std::vector<float> obs(3);
    env.SetState(std::vector<double>{kPi / 2, 0.0});
    env.Step(std::vector<double>{0.0}, obs);
    EXPECT_NEAR(env.state()[1], 1.5 * g * 0.05, 1e-15);
  }
}

TEST(EnvPendulum, NormalizeAngleIsFloorModIntoMinusPiPi) {
  EXPECT_EQ(Pendulum::NormalizeAngle(0.0), 0.0);
  EXPECT_EQ(Pendulum::NormalizeAngle(kPi), -kPi);
  EXPECT_EQ(Pendulum::NormalizeAngle(-kPi), -kPi);
  EXPECT_NEAR(Pendulum::NormalizeAngle(1.5 * kPi), -0.5 * kPi, 1e-15);
  EXPECT_NEAR(Pendulum::NormalizeAngle(-1.5 * kPi), 0.5 * kPi, 1e-15);
  EXPECT_NEAR(Pendulum::NormalizeAngle(7.0 * kPi + 0.25), -kPi + 0.25, 1e-13);
}

TEST(EnvPendulum, OutOfBoundsTorqueIsClippedNotRejected) {
  Pendulum clipped, bound;
  std::vector<float> obs_clipped(3), obs_bound(3);
  clipped.SetState(std::vector<double>{0.3, -1.0});
  bound.SetState(std::vector<double>{0.3, -1.0});
  const StepResult a = clipped.Step(std::vector<double>{50.0}, obs_clipped);
  const StepResult b = bound.Step(std::vector<double>{2.0}, obs_bound);
  EXPECT_EQ(clipped.state(), bound.state());
  EXPECT_EQ(a.reward, b.reward);  // the cost uses the clipped torque
  EXPECT_EQ(obs_clipped, obs_bound);
}

TEST(EnvMountainCar, RewardUsesTheUnclippedActionAndTheStateIsFloat32) {
  MountainCarContinuous over, bound;
  std::vector<float> obs(2);
  over.SetState(std::vector<double>{-0.5, 0.01});
  bound.SetState(std::vector<double>{-0.5, 0.01});
  const StepResult a = over.Step(std::vector<double>{3.0}, obs);
  const StepResult b = bound.Step(std::vector<double>{1.0}, obs);
  EXPECT_EQ(over.state(), bound.state());
  EXPECT_DOUBLE_EQ(a.reward, -0.1 * 9.0);
  EXPECT_DOUBLE_EQ(b.reward, -0.1);
  for (double v : over.state()) EXPECT_EQ(v, static_cast<double>(static_cast<float>(v)));
  // SetState rounds to float32 (documented); a value beyond float range is an error.
  MountainCarContinuous env;
  env.SetState(std::vector<double>{-0.1, 0.0});
  EXPECT_EQ(env.state()[0], static_cast<double>(-0.1f));
  EXPECT_THAT(ErrorMessage([&] {
                env.SetState(std::vector<double>{1e300, 0.0});
              }),
              HasSubstr("float32"));
}

TEST(EnvMountainCar, LeftWallStopsTheCar) {
  MountainCarContinuous env;
  std::vector<float> obs(2);
  env.SetState(std::vector<double>{-1.19, -0.05});
  env.Step(std::vector<double>{-1.0}, obs);
  EXPECT_EQ(env.state()[0], static_cast<double>(static_cast<float>(-1.2)));
  EXPECT_EQ(env.state()[1], 0.0);
}

TEST(EnvAcrobot, WrapAngle) {
  EXPECT_EQ(Acrobot::WrapAngle(kPi), kPi);
  EXPECT_EQ(Acrobot::WrapAngle(-kPi), -kPi);
  EXPECT_EQ(Acrobot::WrapAngle(1.0), 1.0);
  EXPECT_NEAR(Acrobot::WrapAngle(kPi + 0.5), -kPi + 0.5, 1e-15);
  EXPECT_NEAR(Acrobot::WrapAngle(-kPi - 0.5), kPi - 0.5, 1e-15);
  EXPECT_NEAR(Acrobot::WrapAngle(20.0), 20.0 - 6 * kPi, 1e-13);
  const double huge = Acrobot::WrapAngle(1e12);  // reduced without a trillion loop iterations
  EXPECT_LE(std::abs(huge), kPi);
  EXPECT_TRUE(std::isnan(Acrobot::WrapAngle(kNaN)));
}

// ----- Reset
// --------------------------------------------------------------------------------------

TEST(EnvReset, SameSeedSameObservationAndUnseededResetContinuesTheStream) {
  for (const std::string& name : EnvironmentNames()) {
    SCOPED_TRACE(name);
    const auto a = MakeEnvironment(name);
    const auto b = MakeEnvironment(name);
    std::vector<float> a1(a->observation_dim()), a2(a1), b1(a1), b2(a1), c(a1);
    a->Reset(42, a1);
    b->Reset(42, b1);
    EXPECT_EQ(a1, b1);
    EXPECT_EQ(a->state(), b->state());
    a->Reset(std::nullopt, a2);
    b->Reset(std::nullopt, b2);
    EXPECT_EQ(a2, b2);  // both continue the same stream
    EXPECT_NE(a1, a2);  // ... which moves on
    a->Reset(42, c);
    EXPECT_EQ(c, a1);  // re-seeding restarts it
    a->Reset(43, c);
    EXPECT_NE(c, a1);
  }
}

TEST(EnvReset, InitialStatesFollowTheReferenceDistributions) {
  struct Range {
    std::string name;
    std::vector<double> low, high;
  };
  const std::vector<Range> ranges = {
      {"Pendulum-v1", {-kPi, -1.0}, {kPi, 1.0}},
      {"MountainCarContinuous-v0", {-0.6, 0.0}, {-0.4, 0.0}},
      {"CartPole-v1", {-0.05, -0.05, -0.05, -0.05}, {0.05, 0.05, 0.05, 0.05}},
      {"Acrobot-v1", {-0.1, -0.1, -0.1, -0.1}, {0.1, 0.1, 0.1, 0.1}},
  };
  for (const Range& range : ranges) {
    SCOPED_TRACE(range.name);
    const auto env = MakeEnvironment(range.name);
    std::vector<float> obs(env->observation_dim());
    const std::size_t d = range.low.size();
    std::vector<double> lo(d, kInf), hi(d, -kInf), sum(d, 0.0);
    const int n = 2000;
    env->Reset(7, obs);
    for (int k = 0; k < n; ++k) {
      env->Reset(std::nullopt, obs);
      EXPECT_EQ(env->elapsed_steps(), 0);
      EXPECT_TRUE(env->observation_space().Contains(Widen(obs)));
      const std::vector<double> s = env->state();
      for (std::size_t i = 0; i < d; ++i) {
        // float32 rounding (MountainCar, Acrobot) may land one float ulp past a bound.
        ASSERT_GE(s[i], range.low[i] - 1e-8) << "state[" << i << "]";
        ASSERT_LE(s[i], range.high[i] + 1e-8) << "state[" << i << "]";
        lo[i] = std::min(lo[i], s[i]);
        hi[i] = std::max(hi[i], s[i]);
        sum[i] += s[i];
      }
      if (range.name == "Acrobot-v1") {
        for (double v : s) EXPECT_EQ(v, static_cast<double>(static_cast<float>(v)));
      }
    }
    for (std::size_t i = 0; i < d; ++i) {
      const double width = range.high[i] - range.low[i];
      if (width == 0.0) continue;
      // Uniform: the extremes of 2000 draws come within 1% of the ends, the mean within
      // 5 standard errors (width / sqrt(12 n)) of the centre.
      EXPECT_LT(lo[i], range.low[i] + 0.01 * width);
      EXPECT_GT(hi[i], range.high[i] - 0.01 * width);
      EXPECT_NEAR(sum[i] / n, 0.5 * (range.low[i] + range.high[i]),
                  5 * width / std::sqrt(12.0 * n));
    }
  }
}

TEST(EnvReset, ObservationBufferOfTheWrongSizeThrows) {
  const auto env = MakeEnvironment("Acrobot-v1");
  std::vector<float> obs(5);
  EXPECT_THAT(ErrorMessage([&] { env->Reset(1, obs); }), HasSubstr("observation buffer has 5"));
  EXPECT_TRUE(env->needs_reset());
}

// ----- Step: protocol, time limit, termination, validation
// ------------------------------------------

TEST(EnvStep, StepBeforeResetThrows) {
  for (const std::string& name : EnvironmentNames()) {
    const auto env = MakeEnvironment(name);
    std::vector<float> obs(env->observation_dim());
    const std::string message = ErrorMessage([&] { env->Step(std::vector<double>{0.0}, obs); });
    EXPECT_THAT(message, HasSubstr(name));
    EXPECT_THAT(message, HasSubstr("before Reset"));
  }
}

TEST(EnvStep, TimeLimitTruncatesAtExactlyMaxEpisodeSteps) {
  for (const std::string& name : EnvironmentNames()) {
    SCOPED_TRACE(name);
    const auto env = MakeEnvironment(name);
    std::vector<float> obs(env->observation_dim());
    const std::vector<double> zero(env->action_dim(), 0.0);
    const int limit = env->max_episode_steps();
    env->Reset(3, obs);
    int steps = 0;
    StepResult result;
    // Hold a state that does not terminate: re-set a resting initial state before each step.
    const std::vector<double> start = env->state();
    do {
      env->SetState(start);
      result = env->Step(zero, obs);
      ++steps;
      ASSERT_FALSE(result.terminated);
      ASSERT_EQ(env->elapsed_steps(), steps);
    } while (!result.truncated && steps < limit + 5);
    EXPECT_EQ(steps, limit);
    EXPECT_TRUE(env->needs_reset());
    EXPECT_THAT(ErrorMessage([&] { env->Step(zero, obs); }), HasSubstr("after the episode ended"));
    env->Reset(std::nullopt, obs);
    EXPECT_EQ(env->elapsed_steps(), 0);
    EXPECT_FALSE(env->Step(zero, obs).truncated);
  }
}

TEST(EnvStep, TimeLimitCanBeChangedOrRemoved) {
  Pendulum env;
  std::vector<float> obs(3);
  const std::vector<double> action = {0.5};
  env.set_max_episode_steps(5);
  env.Reset(1, obs);
  for (int t = 1; t <= 5; ++t) EXPECT_EQ(env.Step(action, obs).truncated, t == 5);
  env.set_max_episode_steps(0);  // no limit
  env.Reset(1, obs);
  for (int t = 1; t <= 1000; ++t) ASSERT_FALSE(env.Step(action, obs).truncated);
  EXPECT_THAT(ErrorMessage([&] { env.set_max_episode_steps(-1); }),
              HasSubstr("max_episode_steps = -1"));
}

TEST(EnvStep, CartPoleTerminatesWhenThePoleFallsAndPaysForThatStep) {
  CartPole env;
  std::vector<float> obs(4);
  env.Reset(11, obs);
  StepResult result;
  int steps = 0;
  do {
    result = env.Step(std::vector<double>{1.0}, obs);  // always push right: the pole falls left
    ++steps;
    EXPECT_EQ(result.reward, 1.0);
  } while (!result.terminated && steps < 500);
  EXPECT_TRUE(result.terminated);
  EXPECT_FALSE(result.truncated);
  EXPECT_LT(steps, 50);
  EXPECT_LT(env.state()[2], -CartPole::kThetaThreshold);
  EXPECT_THAT(ErrorMessage([&] { env.Step(std::vector<double>{0.0}, obs); }), HasSubstr("Reset"));
  // The cart leaving the track terminates too.
  env.SetState(std::vector<double>{2.39, 1.0, 0.0, 0.0});
  EXPECT_TRUE(env.Step(std::vector<double>{1.0}, obs).terminated);
}

TEST(EnvStep, AcrobotTerminatesAboveTheLineWithZeroReward) {
  Acrobot env;
  std::vector<float> obs(6);
  env.Reset(5, obs);
  StepResult result = env.Step(std::vector<double>{1.0}, obs);
  EXPECT_FALSE(result.terminated);
  EXPECT_EQ(result.reward, -1.0);
  env.SetState(std::vector<double>{kPi, 0.0, 0.0, 0.0});  // balanced upright
  result = env.Step(std::vector<double>{1.0}, obs);
  EXPECT_TRUE(result.terminated);
  EXPECT_EQ(result.reward, 0.0);
}

TEST(EnvStep, MountainCarTerminatesAtTheGoalWithTheBonus) {
  MountainCarContinuous env;
  std::vector<float> obs(2);
  env.SetState(std::vector<double>{0.44, 0.05});
  const StepResult result = env.Step(std::vector<double>{0.5}, obs);
  EXPECT_TRUE(result.terminated);
  EXPECT_DOUBLE_EQ(result.reward, 100.0 - 0.1 * 0.25);
  EXPECT_GE(obs[0], 0.45f);
}

TEST(EnvStep, PendulumNeverTerminates) {
  Pendulum env;
  std::vector<float> obs(3);
  Rng rng(9);
  env.Reset(9, obs);
  for (int t = 0; t < 199; ++t) ASSERT_FALSE(env.Step(RandomAction(env, rng), obs).terminated);
}

TEST(EnvStep, InvalidActionsThrowNamingEnvironmentFieldAndValue) {
  struct Case {
    std::string env;
    std::vector<double> action;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"Pendulum-v1", {0.0, 1.0}, {"action has 2 entries", "expected 1", "Box([-2], [2])"}},
      {"Pendulum-v1", {}, {"action has 0 entries"}},
      {"Pendulum-v1", {kNaN}, {"action[0] = nan", "finite"}},
      {"MountainCarContinuous-v0", {-kInf}, {"action[0] = -inf", "finite"}},
      {"CartPole-v1", {0.5}, {"action[0] = 0.5", "integer in [0, 2)"}},
      {"CartPole-v1", {2.0}, {"action[0] = 2", "integer in [0, 2)"}},
      {"CartPole-v1", {-1.0}, {"action[0] = -1", "Discrete(2)"}},
      {"Acrobot-v1", {3.0}, {"action[0] = 3", "integer in [0, 3)"}},
      {"Acrobot-v1", {kNaN}, {"action[0] = nan"}},
      {"Acrobot-v1", {1.0, 1.0}, {"action has 2 entries"}},
  };
  for (const Case& c : cases) {
    const auto env = MakeEnvironment(c.env);
    std::vector<float> obs(env->observation_dim());
    env->Reset(1, obs);
    const std::vector<double> before = env->state();
    const std::string message = ErrorMessage([&] { env->Step(c.action, obs); });
    EXPECT_THAT(message, HasSubstr(c.env));
    for (const std::string& fragment : c.fragments) EXPECT_THAT(message, HasSubstr(fragment));
    EXPECT_EQ(ErrorMessage([&] { env->CheckAction(c.action); }), message);
    // A rejected step changes nothing.
    EXPECT_EQ(env->state(), before);
    EXPECT_EQ(env->elapsed_steps(), 0);
    EXPECT_FALSE(env->needs_reset());
  }
}

TEST(EnvStep, WrongObservationBufferThrows) {
  CartPole env;
  std::vector<float> obs(4), small(3);
  env.Reset(1, obs);
  EXPECT_THAT(ErrorMessage([&] { env.Step(std::vector<double>{1.0}, small); }),
              HasSubstr("observation buffer has 3 floats; expected 4"));
  EXPECT_EQ(env.elapsed_steps(), 0);
}

TEST(EnvStep, SetStateValidatesAndAllowsSteppingWithoutReset) {
  for (const std::string& name : EnvironmentNames()) {
    const auto env = MakeEnvironment(name);
    std::vector<double> state(env->state_dim(), 0.0);
    EXPECT_THAT(ErrorMessage([&] { env->SetState(std::vector<double>(7, 0.0)); }),
                HasSubstr("state has 7 entries"));
    state[1] = kNaN;
    EXPECT_THAT(ErrorMessage([&] { env->SetState(state); }), HasSubstr("state[1] = nan"));
    EXPECT_TRUE(env->needs_reset());
    state[1] = 0.0;
    env->SetState(state);
    EXPECT_FALSE(env->needs_reset());
    std::vector<float> obs(env->observation_dim()), seen(env->observation_dim());
    env->Observe(seen);
    env->Step(std::vector<double>(env->action_dim(), 0.0), obs);
    EXPECT_EQ(env->elapsed_steps(), 1);
  }
}

TEST(EnvStep, ObservationsMatchTheDocumentedLayout) {
  std::vector<float> obs(6);
  Acrobot acrobot;
  acrobot.SetState(std::vector<double>{0.3, -0.7, 1.5, -2.5});
  acrobot.Observe(obs);
  EXPECT_EQ(
      obs, (std::vector<float>{static_cast<float>(std::cos(0.3)), static_cast<float>(std::sin(0.3)),
                               static_cast<float>(std::cos(-0.7)),
                               static_cast<float>(std::sin(-0.7)), 1.5f, -2.5f}));
  Pendulum pendulum;
  pendulum.SetState(std::vector<double>{2.0, -3.0});
  pendulum.Observe(std::span<float>(obs).first(3));
  EXPECT_EQ(obs[0], static_cast<float>(std::cos(2.0)));
  EXPECT_EQ(obs[1], static_cast<float>(std::sin(2.0)));
  EXPECT_EQ(obs[2], -3.0f);
}

// ----- VectorEnv
// ----------------------------------------------------------------------------------

// Steps a VectorEnv and N stand-alone copies side by side with the same actions, resetting the
// stand-alone copies by hand as VectorEnv documents, and requires identical outputs.
void CheckAgainstStandAloneCopies(const VectorEnv::Factory& factory, int num_envs, int steps,
                                  std::uint64_t seed, int* episodes_ended) {
  VectorEnv vec(num_envs, factory);
  const int d = vec.observation_dim();
  const int a = vec.action_dim();
  std::vector<std::unique_ptr<Environment>> copies;
  std::vector<float> obs(num_envs * d), final_obs(num_envs * d), expected(num_envs * d);
  std::vector<double> rewards(num_envs);
  std::vector<std::uint8_t> terminated(num_envs), truncated(num_envs);
  for (int i = 0; i < num_envs; ++i) {
    copies.push_back(factory());
    copies[i]->Reset(seed + i, std::span<float>(expected).subspan(i * d, d));
  }
  vec.Reset(seed, obs);
  ASSERT_EQ(obs, expected);

  Rng rng(seed);
  std::vector<double> actions(num_envs * a);
  std::vector<float> step_obs(d);
  *episodes_ended = 0;
  for (int t = 0; t < steps; ++t) {
    for (int i = 0; i < num_envs; ++i) {
      const std::vector<double> action = RandomAction(*copies[i], rng);
      std::copy(action.begin(), action.end(), actions.begin() + i * a);
    }
    vec.Step(actions, {.observations = obs,
                       .rewards = rewards,
                       .terminated = terminated,
                       .truncated = truncated,
                       .final_observations = final_obs});
    for (int i = 0; i < num_envs; ++i) {
      SCOPED_TRACE(::testing::Message() << "step " << t << " copy " << i);
      const StepResult r =
          copies[i]->Step(std::span<const double>(actions).subspan(i * a, a), step_obs);
      ASSERT_EQ(rewards[i], r.reward);
      ASSERT_EQ(terminated[i], r.terminated ? 1 : 0);
      ASSERT_EQ(truncated[i], r.truncated ? 1 : 0);
      // The final observation is where the action led, reset or not.
      ASSERT_TRUE(std::equal(step_obs.begin(), step_obs.end(), final_obs.begin() + i * d));
      std::vector<float> next = step_obs;
      if (r.terminated || r.truncated) {
        ++*episodes_ended;
        copies[i]->Reset(std::nullopt, next);  // the copy's own stream continues
      }
      ASSERT_TRUE(std::equal(next.begin(), next.end(), obs.begin() + i * d));
      ASSERT_EQ(vec.env(i).state(), copies[i]->state());
    }
  }
}

TEST(VectorEnv, AutoResetOnTerminationMatchesStandAloneCopies) {
  int ended = 0;
  CheckAgainstStandAloneCopies([] { return std::make_unique<CartPole>(); }, 4, 300, 100, &ended);
  EXPECT_GT(ended, 20);  // random CartPole episodes last ~20 steps
}

TEST(VectorEnv, AutoResetOnTruncationMatchesStandAloneCopies) {
  int ended = 0;
  CheckAgainstStandAloneCopies(
      [] {
        auto env = std::make_unique<Pendulum>();
        env->set_max_episode_steps(7);
        return env;
      },
      3, 50, 5, &ended);
  EXPECT_EQ(ended, 3 * (50 / 7));
}

TEST(VectorEnv, FinalObservationIsThePreResetObservation) {
  VectorEnv vec(2, [] {
    auto env = std::make_unique<Pendulum>();
    env->set_max_episode_steps(1);
    return env;
  });
  std::vector<float> obs(6), final_obs(6);
  std::vector<double> rewards(2);
  std::vector<std::uint8_t> terminated(2), truncated(2);
  vec.Reset(0, obs);
  vec.Step(std::vector<double>{0.0, 0.0}, {.observations = obs,
                                           .rewards = rewards,
                                           .terminated = terminated,
                                           .truncated = truncated,
                                           .final_observations = final_obs});
  EXPECT_EQ(truncated, (std::vector<std::uint8_t>{1, 1}));
  EXPECT_EQ(terminated, (std::vector<std::uint8_t>{0, 0}));
  EXPECT_NE(obs, final_obs);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(vec.env(i).elapsed_steps(), 0);  // already reset
    std::vector<float> current(3);
    vec.env(i).Observe(current);
    EXPECT_TRUE(std::equal(current.begin(), current.end(), obs.begin() + 3 * i));
  }
  // final_observations may be omitted.
  vec.Step(std::vector<double>{0.0, 0.0}, {.observations = obs,
                                           .rewards = rewards,
                                           .terminated = terminated,
                                           .truncated = truncated,
                                           .final_observations = {}});
}

TEST(VectorEnv, SeedingGivesCopyIThePlusISeed) {
  VectorEnv vec(3, "Acrobot-v1");
  std::vector<float> obs(18), unseeded(18);
  vec.Reset(1000, obs);
  for (int i = 0; i < 3; ++i) {
    Acrobot single;
    std::vector<float> first(6);
    single.Reset(1000 + i, first);
    EXPECT_TRUE(std::equal(first.begin(), first.end(), obs.begin() + 6 * i));
  }
  // Never seeded: behaves as Reset(0), and the copies differ from one another.
  VectorEnv fresh(3, "Acrobot-v1"), zero(3, "Acrobot-v1");
  fresh.Reset(std::nullopt, unseeded);
  zero.Reset(0, obs);
  EXPECT_EQ(unseeded, obs);
  EXPECT_FALSE(std::equal(obs.begin(), obs.begin() + 6, obs.begin() + 6));
}

TEST(VectorEnv, InvalidUseThrowsAndMovesNoCopy) {
  EXPECT_THAT(ErrorMessage([] { VectorEnv v(0, "CartPole-v1"); }), HasSubstr("num_envs = 0"));
  EXPECT_THAT(ErrorMessage([] { VectorEnv v(2, "Nope-v0"); }), HasSubstr("CartPole-v1"));
  EXPECT_THAT(ErrorMessage([] { VectorEnv v(2, [] { return std::unique_ptr<Environment>(); }); }),
              HasSubstr("null"));
  int made = 0;
  EXPECT_THAT(ErrorMessage([&] {
                VectorEnv v(2, [&]() -> std::unique_ptr<Environment> {
                  if (made++ == 0) return std::make_unique<CartPole>();
                  return std::make_unique<Acrobot>();
                });
              }),
              HasSubstr("copy 1 (Acrobot-v1)"));

  VectorEnv vec(3, "CartPole-v1");
  std::vector<float> obs(12), final_obs(12);
  std::vector<double> rewards(3);
  std::vector<std::uint8_t> terminated(3), truncated(3);
  const VectorStepOutputs outputs{.observations = obs,
                                  .rewards = rewards,
                                  .terminated = terminated,
                                  .truncated = truncated,
                                  .final_observations = final_obs};
  EXPECT_THAT(ErrorMessage([&] {
                vec.Step(std::vector<double>{0, 1, 0}, outputs);
              }),
              HasSubstr("before Reset"));
  vec.Reset(4, obs);
  EXPECT_THAT(ErrorMessage([&] {
                vec.Step(std::vector<double>{0, 1}, outputs);
              }),
              HasSubstr("actions has 2 entries; expected 3"));
  const std::string message = ErrorMessage([&] {
    vec.Step(std::vector<double>{0, 1, 7}, outputs);
  });
  EXPECT_THAT(message, HasSubstr("actions row 2"));
  EXPECT_THAT(message, HasSubstr("action[0] = 7"));
  std::vector<double> short_rewards(2);
  EXPECT_THAT(ErrorMessage([&] {
                vec.Step(std::vector<double>{0, 1, 0}, {.observations = obs,
                                                        .rewards = short_rewards,
                                                        .terminated = terminated,
                                                        .truncated = truncated,
                                                        .final_observations = final_obs});
              }),
              HasSubstr("rewards has 2 entries; expected 3"));
  EXPECT_THAT(ErrorMessage([&] { vec.Reset(1, std::span<float>(obs).first(8)); }),
              HasSubstr("observations has 8 entries; expected 12"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(vec.env(i).elapsed_steps(), 0);
}

}  // namespace
}  // namespace cai::env
