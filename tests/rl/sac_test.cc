#include "cai/rl/sac.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"

namespace cai::rl {
namespace {

using ::testing::HasSubstr;

// The dual path between SAC and exact inference. A one-step bandit (every episode ends after one
// action, so Q(s, a) = r(a)) with r(a) = -c (a - a0)^2 on a wide action range [-10, 10] and a fixed
// temperature alpha: the soft-optimal policy is the Boltzmann posterior
//   pi(a) ∝ exp(r(a) / alpha) = N(a0, alpha / (2c)).
// SAC's actor is a tanh-squashed Gaussian; around a0 = 1 the squash a = 10 tanh(u) is nearly linear
// (tanh'(0.1) = 0.99), so the best member of the family has mean and variance within ~1% of the
// posterior's.
TEST(Sac, ActorMatchesTheBoltzmannPosteriorOnABandit) {
  const double c = 0.5, a0 = 1.0, alpha = 1.0;
  const double posterior_mean = a0, posterior_var = alpha / (2 * c);  // 1
  SacOptions o;
  o.hidden = {32, 32};
  o.batch_size = 64;
  o.buffer_size = 2000;  // FIFO: the early, widely spread actions leave the buffer
  o.actor_learning_rate = 3e-4;
  o.critic_learning_rate = 1e-3;
  o.auto_temperature = false;
  o.initial_temperature = alpha;
  o.seed = 3;  // seeds 1..10 all pass; the comments below quote their spread
  SacAgent agent(1, {-10.0}, {10.0}, o);
  const std::vector<float> obs = {0.0f};
  std::vector<float> squashed(1);
  std::vector<double> action(1);
  auto reward = [&](double a) { return -c * (a - a0) * (a - a0); };
  // Moments of the actor's action distribution (from `draws` samples) and of the Boltzmann
  // distribution of the learned min(Q1, Q2), integrated on a grid: in tanh space SAC's optimum is
  // ∝ exp(minQ / alpha), and a_env = 10 tanh(u) has a constant Jacobian, so the shape is the same.
  struct Moments { double mean, var; };
  auto actor_moments = [&](int draws) {
    double sum = 0, sum2 = 0;
    for (int i = 0; i < draws; ++i) {
      agent.Act(obs, false, squashed, action);
      sum += action[0];
      sum2 += action[0] * action[0];
    }
    return Moments{sum / draws, sum2 / draws - (sum / draws) * (sum / draws)};
  };
  auto boltzmann_moments = [&] {
    double z = 0, m1 = 0, m2 = 0;
    for (double a = -6.0; a <= 8.0; a += 1e-3) {
      const float s = static_cast<float>(a / 10.0);
      const double q = std::min(agent.QValue(0, obs, std::span<const float>(&s, 1)),
                                agent.QValue(1, obs, std::span<const float>(&s, 1)));
      const double w = std::exp(q / alpha);
      z += w;
      m1 += w * a;
      m2 += w * a * a;
    }
    return Moments{m1 / z, m2 / z - (m1 / z) * (m1 / z)};
  };
  // (1) The actor step is exact inference against the critic it is given. Both move with the
  // stochastic updates (a u-space fluctuation of ~1e-3 is 1e-2 in a), so the comparison is averaged
  // over 10 snapshots in the last 1000 updates; 5000 draws each make the sampling error of the
  // averaged mean ~1e-3.
  double mean_gap = 0, var_ratio = 0;
  const int snapshots = 10;
  for (int step = 0; step < 6000; ++step) {
    agent.Act(obs, false, squashed, action);
    agent.buffer().Add(obs, squashed, reward(action[0]), obs, true);
    agent.Update();
    if (step >= 5000 && step % 100 == 99) {
      const Moments a = actor_moments(5000), b = boltzmann_moments();
      mean_gap += (a.mean - b.mean) / snapshots;
      var_ratio += a.var / b.var / snapshots;
    }
  }
  // Over seeds 1..10 |gap| <= 0.04 (standard deviation ~0.02) and the variance ratio stayed within 3%.
  EXPECT_NEAR(mean_gap, 0.0, 0.05);
  EXPECT_NEAR(var_ratio, 1.0, 0.08);
  const Moments final_actor = actor_moments(20000);
  const double mean = final_actor.mean, var = final_actor.var;
  // (2) The critic learned r where the policy acts (within 1.5 posterior standard deviations), and
  // so the actor is close to the exact posterior N(1, 1). These tolerances are looser because they
  // include the critic's regression error (over seeds 1..7: |mean - 1| <= 0.1, variance within 7%)
  // and the tanh squash (at 2 sigma, 10 tanh(0.3) = 2.91 instead of 3).
  for (double a = -0.5; a <= 2.51; a += 0.25) {
    const float s = static_cast<float>(a / 10.0);
    EXPECT_NEAR(agent.QValue(0, obs, std::span<const float>(&s, 1)), reward(a), 0.1) << "a = " << a;
    EXPECT_NEAR(agent.QValue(1, obs, std::span<const float>(&s, 1)), reward(a), 0.1) << "a = " << a;
  }
  EXPECT_NEAR(mean, posterior_mean, 0.2);
  EXPECT_NEAR(var, posterior_var, 0.15 * posterior_var);
  std::printf("actor - Boltzmann(learned Q): mean gap %.4f, variance ratio %.3f | actor %.4f %.4f | "
              "posterior %.4f %.4f\n", mean_gap, var_ratio, mean, var, posterior_mean, posterior_var);
}

TEST(Sac, AutomaticTemperatureReachesTheTargetEntropy) {
  // Same bandit, alpha tuned: the actor's entropy (of the tanh-space action, which is what
  // SAC's log pi measures) is driven to the target.
  SacOptions o;
  o.hidden = {32, 32};
  o.batch_size = 64;
  o.buffer_size = 4000;
  o.actor_learning_rate = o.critic_learning_rate = o.temperature_learning_rate = 3e-3;
  o.target_entropy = -2.0;
  o.seed = 4;
  SacAgent agent(1, {-10.0}, {10.0}, o);
  const std::vector<float> obs = {0.0f};
  std::vector<float> squashed(1);
  std::vector<double> action(1);
  double entropy = 0;
  int count = 0;
  for (int step = 0; step < 5000; ++step) {
    agent.Act(obs, false, squashed, action);
    agent.buffer().Add(obs, squashed, -(action[0] - 1) * (action[0] - 1), obs, true);
    const auto& s = agent.Update();
    if (step >= 4000) {
      entropy += s.entropy;
      ++count;
    }
  }
  EXPECT_NEAR(entropy / count, -2.0, 0.15);
}

TEST(Sac, SameSeedSameUpdatesBitForBit) {
  auto run = [](std::uint64_t seed) {
    SacOptions o;
    o.hidden = {16};
    o.batch_size = 8;
    o.buffer_size = 100;
    o.seed = seed;
    SacAgent agent(2, {-1.0, -2.0}, {1.0, 2.0}, o);
    std::vector<float> obs = {0.1f, -0.2f}, squashed(2);
    std::vector<double> action(2);
    std::vector<double> trace;
    for (int step = 0; step < 50; ++step) {
      agent.Act(obs, false, squashed, action);
      agent.buffer().Add(obs, squashed, action[0] - action[1], obs, step % 7 == 0);
      const auto& s = agent.Update();
      trace.push_back(s.qf1_loss);
      trace.push_back(s.actor_loss);
      trace.push_back(s.temperature);
      obs[0] = static_cast<float>(action[0]);
    }
    return trace;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(Sac, OptionsAreValidatedAndRoundTripThroughJson) {
  SacOptions o;
  o.hidden = {64, 64};
  o.batch_size = 100;
  o.target_entropy = -0.5;
  const SacOptions back = SacOptionsFromJson(SacOptionsToJson(o));
  EXPECT_EQ(SacOptionsToJson(back), SacOptionsToJson(o));
  const auto bad = [](const char* json) { return [json] { SacOptionsFromJson(nlohmann::json::parse(json)); }; };
  EXPECT_THAT(bad(R"({"tau": 0})"), ::testing::ThrowsMessage<Error>(HasSubstr("tau: 0 is invalid")));
  EXPECT_THAT(bad(R"({"batch_size": 0})"), ::testing::ThrowsMessage<Error>(HasSubstr("batch_size: 0")));
  EXPECT_THAT(bad(R"({"discount": 1.5})"), ::testing::ThrowsMessage<Error>(HasSubstr("discount: 1.5")));
  EXPECT_THAT(bad(R"({"hidden": [64, 0]})"), ::testing::ThrowsMessage<Error>(HasSubstr("hidden[1]: 0")));
  EXPECT_THAT(bad(R"({"batch": 64})"), ::testing::ThrowsMessage<Error>(HasSubstr("unknown key \"batch\"")));
  EXPECT_THAT(bad(R"({"tau": "x"})"), ::testing::ThrowsMessage<Error>(HasSubstr("\"tau\": \"x\"")));
  EXPECT_THAT(bad(R"({"actor_learning_rate": -1})"),
              ::testing::ThrowsMessage<Error>(HasSubstr("actor_learning_rate: -1")));
  EXPECT_THAT([] { SacAgent(1, {-1.0}, {std::numeric_limits<double>::infinity()}, SacOptions{}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("action bounds[0]")));
}

}  // namespace
}  // namespace cai::rl
