// Soft DQN: the soft value and Boltzmann policy against their closed forms, and the learned Q on a
// tabular MDP (one-hot observations, linear network) against soft value iteration of the same MDP,
// temperature, discount and prior; checkpoints continue bit for bit; bad options are named.
#include "cai/rl/soft_dqn.h"

#include <cmath>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/env/mdp_environment.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {
namespace {

// Initial distribution uniform over all states, so that every state is visited.
std::shared_ptr<const Mdp> RandomMdpWithUniformStart(std::uint64_t seed) {
  MdpSpec spec = MakeRandomMdp({.num_states = 5, .num_actions = 3, .branching = 2, .seed = seed}).ToSpec();
  spec.initial.clear();
  for (int s = 0; s < 5; ++s) spec.initial.emplace_back(s, 0.2);
  return std::make_shared<const Mdp>(Mdp::FromSpec(spec));
}

std::vector<double> LearnedQ(SoftQAgent& agent, int num_states, int num_actions) {
  std::vector<double> q(static_cast<std::size_t>(num_states) * num_actions);
  std::vector<float> obs(num_states);
  for (int s = 0; s < num_states; ++s) {
    std::fill(obs.begin(), obs.end(), 0.0f);
    obs[s] = 1.0f;
    agent.policy().QValues(obs, std::span<double>(q).subspan(static_cast<std::size_t>(s) * num_actions, num_actions));
  }
  return q;
}

TEST(SoftDqn, BoltzmannPolicyIsTheSoftmaxOfQOverTheTemperatureTimesThePrior) {
  // A network with no hidden layer and zero weights: Q(s, .) = bias.
  Rng rng(0);
  nn::Mlp q({1, {}, 3, nn::Activation::kRelu, nn::Activation::kIdentity}, rng);
  std::fill(q.parameters().begin(), q.parameters().end(), 0.0f);
  q.bias(0) << 2.0f, 1.0f, 0.0f;
  const std::vector<double> prior = {0.2, 0.3, 0.5};
  BoltzmannQPolicy policy(q, {std::log(prior[0]), std::log(prior[1]), std::log(prior[2])});
  const float obs[] = {0.0f};
  for (const double alpha : {0.5, 1.0, 5.0}) {
    double z = 0;
    for (int a = 0; a < 3; ++a) z += prior[a] * std::exp((2.0 - a) / alpha);
    Rng draw(1);
    std::vector<int> counts(3, 0);
    const int n = 100000;
    for (int k = 0; k < n; ++k) ++counts[policy.Sample(obs, alpha, draw)];
    for (int a = 0; a < 3; ++a) {
      const double p = prior[a] * std::exp((2.0 - a) / alpha) / z;
      EXPECT_NEAR(counts[a] / static_cast<double>(n), p, 5 * std::sqrt(p * (1 - p) / n)) << alpha << " " << a;
    }
  }
  // The lesson's three-action example r = (2, 1, 0), no prior: greedy at a small temperature.
  BoltzmannQPolicy plain(q, {0.0, 0.0, 0.0});
  EXPECT_EQ(plain.Greedy(obs, 0.01), 0);
  // With a strong enough prior the most probable action changes: 0.01 exp(2) < 0.98 exp(0).
  BoltzmannQPolicy skewed(q, {std::log(0.01), std::log(0.01), std::log(0.98)});
  EXPECT_EQ(skewed.Greedy(obs, 1.0), 2);
}

struct TabularCase {
  double temperature;
  double discount;
  std::vector<double> prior;
};

// Soft DQN with a linear network on one-hot observations is tabular soft Q-learning with a target
// network: it must land on soft value iteration's Q (variational backup) for the same problem.
// Returns the sup error over the pairs the soft-optimal policy takes with probability >= 0.01:
// on-policy sampling visits the others too rarely to pin them down (at T 0.2 an action with
// pi* = 0.003 stays 0.2-0.4 off after 40k-120k steps), and Adam's constant step leaves a noise floor
// of a few hundredths (measured 0.02-0.09 for learning rates 1e-3 and 3e-3).
double SoftDqnErrorAgainstSoftVi(std::uint64_t seed, const TabularCase& c, double* scale) {
  const auto mdp = RandomMdpWithUniformStart(seed);
  SoftQOptions o;
  o.hidden = {};
  o.batch_size = 32;
  o.buffer_size = 20000;
  o.discount = c.discount;
  o.learning_rate = 1e-3;
  o.learning_starts = 500;
  o.train_frequency = 1;
  o.gradient_steps = 1;
  o.target_update_interval = 50;
  o.temperature = c.temperature;
  o.loss = TdLoss::kSquared;
  o.max_grad_norm = 0;
  o.action_prior = c.prior;
  o.seed = seed;
  const std::int64_t steps = 40000;
  SoftQTrainer trainer(std::make_unique<env::MdpEnvironment>(mdp, 20), std::make_unique<env::MdpEnvironment>(mdp, 20),
                       o, steps);
  while (trainer.step() < steps) trainer.Step();

  SoftValueIterationOptions vi;
  vi.temperature = c.temperature;
  vi.discount = c.discount;
  if (!c.prior.empty()) {
    std::vector<double> table;
    for (int s = 0; s < mdp->num_states(); ++s) table.insert(table.end(), c.prior.begin(), c.prior.end());
    vi.prior = ActionPrior::Table(mdp->num_states(), mdp->num_actions(), table);
  }
  const auto exact = SolveSoftValueIteration(*mdp, vi);
  EXPECT_TRUE(exact.summary.converged);
  const auto learned = LearnedQ(trainer.agent(), mdp->num_states(), mdp->num_actions());
  double error = 0, lo = 1e300, hi = -1e300, all = 0;
  for (std::size_t i = 0; i < learned.size(); ++i) {
    all = std::max(all, std::abs(learned[i] - exact.solution.q_values[i]));
    if (exact.solution.policy[i] >= 0.01) error = std::max(error, std::abs(learned[i] - exact.solution.q_values[i]));
    lo = std::min(lo, exact.solution.q_values[i]);
    hi = std::max(hi, exact.solution.q_values[i]);
  }
  *scale = hi - lo;
  std::printf("  sup over all pairs %.4f (the largest errors sit on actions the policy almost never takes)\n", all);
  return error;
}

TEST(SoftDqn, LinearNetworkOnOneHotStatesConvergesToSoftValueIteration) {
  const TabularCase cases[] = {{0.5, 0.8, {}}, {0.2, 0.9, {}}, {0.5, 0.8, {0.6, 0.3, 0.1}}};
  std::uint64_t seed = 0;
  for (const TabularCase& c : cases) {
    double scale = 0;
    const double error = SoftDqnErrorAgainstSoftVi(seed++, c, &scale);
    std::printf("soft DQN (linear, one-hot) vs soft VI: T %.1f gamma %.1f prior %s: sup |Q - Q*| over pi* >= 0.01 = %.4f (Q* spans %.2f)\n",
                c.temperature, c.discount, c.prior.empty() ? "none" : "table", error, scale);
    EXPECT_LT(error, 0.1);  // Q* is about 5 to 8 here; measured 0.062, 0.034, 0.026
  }
}

TEST(SoftDqn, CheckpointContinuesBitForBit) {
  SoftQOptions o;
  o.hidden = {16};
  o.batch_size = 16;
  o.learning_starts = 100;
  o.buffer_size = 5000;
  o.seed = 7;
  o.auto_temperature = true;
  const std::int64_t total = 3000;
  SoftQTrainer a("CartPole-v1", o, total);
  while (a.step() < 1000 || !a.can_checkpoint()) a.Step();
  nn::SafetensorsFile checkpoint;
  a.SaveCheckpoint(checkpoint);
  const nn::SafetensorsFile reread = nn::ParseSafetensors(nn::SerializeSafetensors(checkpoint), "checkpoint");
  while (a.step() < total) a.Step();

  SoftQTrainer b("CartPole-v1", o, total);
  b.RestoreCheckpoint(reread);
  while (b.step() < total) b.Step();
  const auto pa = a.agent().q().parameters(), pb = b.agent().q().parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) ASSERT_EQ(pa[i], pb[i]) << i;
  EXPECT_EQ(a.agent().temperature(), b.agent().temperature());
  EXPECT_EQ(a.Evaluate(3, 5).returns, b.Evaluate(3, 5).returns);

  nn::SafetensorsFile wrong = reread;
  wrong.metadata["algorithm"] = "sac";
  SoftQTrainer c("CartPole-v1", o, total);
  EXPECT_THROW(c.RestoreCheckpoint(wrong), Error);
}

TEST(SoftDqn, AutomaticTemperatureReachesTheEntropyTarget) {
  // A one-state bandit (MdpEnvironment over r = (1, 0, -1)): at a fixed point of the critic the
  // policy is softmax(r / alpha), and the temperature settles where its entropy equals the target.
  auto mdp = std::make_shared<const Mdp>(MakeBandit({1.0, 0.0, -1.0}));
  SoftQOptions o;
  o.hidden = {};
  o.batch_size = 32;
  o.learning_starts = 100;
  o.train_frequency = 1;
  o.gradient_steps = 1;
  o.target_update_interval = 1;
  o.auto_temperature = true;
  o.temperature = 1.0;
  o.target_entropy = 0.5;
  o.temperature_learning_rate = 3e-3;
  o.loss = TdLoss::kSquared;
  o.learning_rate = 1e-2;
  o.seed = 3;
  const std::int64_t steps = 20000;
  SoftQTrainer trainer(std::make_unique<env::MdpEnvironment>(mdp, 0), std::make_unique<env::MdpEnvironment>(mdp, 0), o,
                       steps);
  double entropy_sum = 0, alpha_sum = 0;
  int n = 0;
  while (trainer.step() < steps) {
    trainer.Step();
    if (trainer.step() > steps - 2000) {
      entropy_sum += trainer.agent().last_stats().entropy;
      alpha_sum += trainer.agent().temperature();
      ++n;
    }
  }
  const double alpha = alpha_sum / n;
  double z = 0, h = 0;
  for (double r : {1.0, 0.0, -1.0}) z += std::exp(r / alpha);
  for (double r : {1.0, 0.0, -1.0}) {
    const double p = std::exp(r / alpha) / z;
    h -= p * std::log(p);
  }
  std::printf("auto temperature: mean alpha %.4f, batch entropy %.4f, softmax(r / alpha) entropy %.4f (target 0.5)\n",
              alpha, entropy_sum / n, h);
  EXPECT_NEAR(entropy_sum / n, 0.5, 0.05);
  EXPECT_NEAR(h, 0.5, 0.05);  // the learned Q is r, so the closed-form policy at that alpha agrees
}

TEST(SoftDqn, OptionsAreValidatedAndRoundTripThroughJson) {
  SoftQOptions o;
  o.action_prior = {0.5, 0.5};
  o.auto_temperature = true;
  o.target_entropy = 0.3;
  o.loss = TdLoss::kSquared;
  const SoftQOptions back = SoftQOptionsFromJson(SoftQOptionsToJson(o));
  EXPECT_EQ(SoftQOptionsToJson(back).dump(), SoftQOptionsToJson(o).dump());
  const auto expect_error = [](const nlohmann::json& j, const std::string& needle) {
    try {
      SoftQOptionsFromJson(j);
      ADD_FAILURE() << j.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({{"temperature", 0.0}}, "temperature: 0");
  expect_error({{"temperature", -1.0}}, "temperature");
  expect_error({{"tau", 1.5}}, "tau: 1.5");
  expect_error({{"action_prior", {0.5, 0.6}}}, "action_prior");
  expect_error({{"action_prior", {1.0, 0.0}}}, "action_prior[1]");
  expect_error({{"loss", "l1"}}, "\"loss\"");
  expect_error({{"batch", 3}}, "unknown key \"batch\"");
  expect_error({{"gradient_steps", 0}}, "gradient_steps: 0");
  // A value that does not fit the field is an error, not silently wrapped (2^32 + 5 would be 5).
  expect_error({{"batch_size", 4294967301LL}}, "soft-q option \"batch_size\": 4294967301 is invalid");
  expect_error({{"hidden", {64, -1}}}, "soft-q option \"hidden\"");
  expect_error({{"seed", -1}}, "an integer >= 0");
  expect_error({{"target_entropy", "high"}}, "a number or null");
  SoftQOptions three_actions;
  three_actions.action_prior = {0.2, 0.3, 0.5};  // CartPole has two
  EXPECT_THROW(SoftQTrainer("CartPole-v1", three_actions, 10), Error);
  EXPECT_THROW(SoftQTrainer("Pendulum-v1", SoftQOptions{}, 10), Error);
  EXPECT_THROW(SoftQTrainer("CartPole-v1", SoftQOptions{}, 0), Error);
}

TEST(SoftDqn, PolicyFileRoundTrip) {
  SoftQOptions o;
  o.hidden = {8};
  SoftQTrainer trainer("CartPole-v1", o, 100);
  while (trainer.step() < 100) trainer.Step();
  nn::SafetensorsFile file;
  trainer.SavePolicy(file);
  const auto loaded = LoadSoftQPolicy(nn::ParseSafetensors(nn::SerializeSafetensors(file), "policy"));
  auto env = env::MakeEnvironment("CartPole-v1");
  EXPECT_EQ(EvaluatePolicy(*loaded, *env, 3, 11).returns, trainer.Evaluate(3, 11).returns);
  nn::SafetensorsFile broken = file;
  broken.metadata["policy"] = "{\"kind\": \"squashed_gaussian\"}";
  EXPECT_THROW(LoadSoftQPolicy(broken), Error);
}

}  // namespace
}  // namespace cai::rl
