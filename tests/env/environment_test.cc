#include "cai/env/environment.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/env/pendulum.h"
#include "cai/env/vector_env.h"

namespace cai::env {
namespace {

using ::testing::HasSubstr;

TEST(Environment, SpacesAndTimeLimitsAreGymnasiums) {
  struct Expect {
    const char* name;
    std::string obs, act;
    int limit;
  };
  for (const Expect& e : {Expect{"Pendulum-v1", "Box([-1, -1, -8], [1, 1, 8])", "Box([-2], [2])", 200},
                          Expect{"MountainCarContinuous-v0", "Box([-1.2, -0.07], [0.6, 0.07])", "Box([-1], [1])", 999},
                          Expect{"CartPole-v1", "", "Discrete(2)", 500},
                          Expect{"Acrobot-v1", "", "Discrete(3)", 500}}) {
    auto env = MakeEnvironment(e.name);
    EXPECT_EQ(env->name(), e.name);
    if (!e.obs.empty()) {
      EXPECT_EQ(env->observation_space().ToString(), e.obs);
    }
    EXPECT_EQ(env->action_space().ToString(), e.act);
    EXPECT_EQ(env->max_episode_steps(), e.limit);
  }
  EXPECT_EQ(MakeEnvironment("Acrobot-v1")->observation_dim(), 6);
  EXPECT_THAT([] { MakeEnvironment("HalfCheetah-v4"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("unknown environment \"HalfCheetah-v4\" (expected one of: Pendulum-v1")));
}

TEST(Environment, SeededResetIsReproducibleAndUnseededResetContinues) {
  for (const auto& name : EnvironmentNames()) {
    auto a = MakeEnvironment(name), b = MakeEnvironment(name);
    std::vector<float> oa(a->observation_dim()), ob(b->observation_dim()), oc(a->observation_dim());
    a->Reset(7, oa);
    b->Reset(7, ob);
    EXPECT_EQ(oa, ob) << name;
    a->Reset(std::nullopt, oc);
    EXPECT_NE(oa, oc) << name << ": an unseeded reset continues the stream";
    b->Reset(8, ob);
    EXPECT_NE(oa, ob) << name;
  }
}

TEST(Environment, ResetDistributionsAreWithinTheirRanges) {
  auto p = MakeEnvironment("Pendulum-v1"), c = MakeEnvironment("CartPole-v1"), m = MakeEnvironment("MountainCarContinuous-v0"),
       a = MakeEnvironment("Acrobot-v1");
  std::vector<float> o(6);
  for (int i = 0; i < 200; ++i) {
    p->Reset(i, std::span<float>(o.data(), 3));
    EXPECT_LE(std::abs(p->state()[0]), M_PI);
    EXPECT_LE(std::abs(p->state()[1]), 1.0);
    c->Reset(i, std::span<float>(o.data(), 4));
    for (double v : c->state()) EXPECT_LE(std::abs(v), 0.05);
    m->Reset(i, std::span<float>(o.data(), 2));
    EXPECT_GE(m->state()[0], -0.6);
    EXPECT_LE(m->state()[0], -0.4);
    EXPECT_EQ(m->state()[1], 0.0);
    a->Reset(i, o);
    for (double v : a->state()) {
      EXPECT_LE(std::abs(v), 0.1);
      EXPECT_EQ(v, static_cast<double>(static_cast<float>(v))) << "Acrobot's reset state is float32";
    }
  }
}

TEST(Environment, TruncatesAtTheTimeLimitAndTerminatesCartPole) {
  Pendulum p;
  std::vector<float> o(3);
  p.Reset(1, o);
  const double zero[] = {0.0};
  for (int t = 1; t <= 200; ++t) {
    const StepResult r = p.Step(zero, o);
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(r.truncated, t == 200) << t;
  }
  EXPECT_THAT([&] { p.Step(zero, o); }, ::testing::ThrowsMessage<Error>(HasSubstr("call reset first")));
  p.set_max_episode_steps(5);
  p.Reset(std::nullopt, o);
  for (int t = 1; t <= 5; ++t) EXPECT_EQ(p.Step(zero, o).truncated, t == 5);

  auto c = MakeEnvironment("CartPole-v1");
  std::vector<float> co(4);
  c->Reset(3, co);
  const double right[] = {1.0};
  int steps = 0;
  StepResult r;
  do {
    r = c->Step(right, co);
    ++steps;
    EXPECT_EQ(r.reward, 1.0);  // the terminating step is rewarded too
  } while (!r.terminated && steps < 500);
  EXPECT_TRUE(r.terminated);
  EXPECT_LT(steps, 100) << "always pushing right topples the pole";
  EXPECT_GT(std::abs(c->state()[2]), 12 * 2 * M_PI / 360 - 1e-12);
}

TEST(Environment, InvalidActionsAreClearErrors) {
  auto p = MakeEnvironment("Pendulum-v1");
  auto c = MakeEnvironment("CartPole-v1");
  std::vector<float> po(3), co(4);
  EXPECT_THAT([&] { const double a[] = {0.0}; p->Step(a, po); }, ::testing::ThrowsMessage<Error>(HasSubstr("before reset")));
  p->Reset(0, po);
  c->Reset(0, co);
  const double two[] = {0.0, 1.0};
  EXPECT_THAT([&] { p->Step(two, po); },
              ::testing::ThrowsMessage<Error>(HasSubstr("Pendulum-v1: action has 2 entries (expected 1 for Box([-2], [2]))")));
  const double nan[] = {std::nan("")};
  EXPECT_THAT([&] { p->Step(nan, po); }, ::testing::ThrowsMessage<Error>(HasSubstr("action[0] = nan is not finite")));
  const double big[] = {5.0};  // Box actions are clipped, as in Gymnasium
  EXPECT_NO_THROW(p->Step(big, po));
  for (double bad : {2.0, -1.0, 0.5}) {
    const double a[] = {bad};
    EXPECT_THAT([&] { c->Step(a, co); },
                ::testing::ThrowsMessage<Error>(HasSubstr("expected an integer in [0, 2) for Discrete(2)"))) << bad;
  }
  const double inf_state[] = {std::numeric_limits<double>::infinity(), 0.0};
  EXPECT_THAT([&] { p->SetState(inf_state); }, ::testing::ThrowsMessage<Error>(HasSubstr("state[0] = inf is not finite")));
  const double short_state[] = {0.0};
  EXPECT_THAT([&] { p->SetState(short_state); }, ::testing::ThrowsMessage<Error>(HasSubstr("state has 1 entries (expected 2)")));
  EXPECT_THROW(p->set_max_episode_steps(-1), Error);
}

TEST(VectorEnv, AutoResetsAndReportsTheFinalObservation) {
  VectorEnv v("Pendulum-v1", 3);
  for (int i = 0; i < 3; ++i) v.env(i).set_max_episode_steps(4 + i);
  std::vector<float> obs(9), final_obs(9);
  std::vector<double> actions(3, 0.5), rewards(3);
  std::vector<std::uint8_t> term(3), trunc(3);
  v.Reset(10, obs);
  // Copy i is seeded with 10 + i, exactly as a single environment.
  Pendulum single;
  std::vector<float> so(3);
  single.Reset(11, so);
  single.set_max_episode_steps(5);
  EXPECT_TRUE(std::equal(so.begin(), so.end(), obs.begin() + 3));
  for (int t = 1; t <= 4; ++t) {
    const double a[] = {0.5};
    const StepResult r = single.Step(a, so);
    v.Step(actions, obs, rewards, term, trunc, final_obs);
    EXPECT_EQ(rewards[1], r.reward);
    EXPECT_EQ(trunc[0], t == 4);
    EXPECT_EQ(trunc[1], 0);
  }
  // Copy 0 ended at t = 4: its final observation is the state after step 4, and it was reset.
  EXPECT_EQ(v.env(0).elapsed_steps(), 0);
  EXPECT_NE(std::vector<float>(final_obs.begin(), final_obs.begin() + 3), std::vector<float>(obs.begin(), obs.begin() + 3));
  EXPECT_THROW(VectorEnv("Pendulum-v1", 0), Error);
  std::vector<double> wrong(2);
  EXPECT_THROW(v.Step(wrong, obs, rewards, term, trunc, final_obs), Error);
}

}  // namespace
}  // namespace cai::env
