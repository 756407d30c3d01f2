#include "cai/rl/actor_critic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "cai/core/error.h"
#include "cai/env/mdp_environment.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"
#include "cai/nn/safetensors.h"

namespace cai::rl {
namespace {

using ::testing::HasSubstr;

// A one-step continuous bandit: constant observation, Box action in [-5, 5], reward -(a - 1)^2 of
// the clipped action, every episode ends after one step.
class QuadraticBandit : public env::Environment {
 public:
  QuadraticBandit() : Environment(0), obs_(env::Space::Box({0.0}, {1.0})), act_(env::Space::Box({-5.0}, {5.0})) {}
  std::string_view name() const override { return "test.quadratic_bandit"; }
  const env::Space& observation_space() const override { return obs_; }
  const env::Space& action_space() const override { return act_; }
  int state_dim() const override { return 1; }
  std::vector<double> state() const override { return {0.0}; }
  void Observe(std::span<float> observation) const override { observation[0] = 1.0f; }

 protected:
  void DoReset() override {}
  env::StepResult DoStep(std::span<const double> action) override {
    const double a = std::clamp(action[0], -5.0, 5.0);
    return {-(a - 1.0) * (a - 1.0), true, false};
  }
  void DoSetState(std::span<const double>) override {}

 private:
  env::Space obs_, act_;
};

// Reward 1 on every step, never terminal, a time limit of `limit` steps: with truncation treated
// as non-terminal, V = 1 / (1 - discount) whatever the step count.
class EndlessReward : public env::Environment {
 public:
  explicit EndlessReward(int limit)
      : Environment(limit), obs_(env::Space::Box({0.0}, {1.0})), act_(env::Space::Discrete(2)) {}
  std::string_view name() const override { return "test.endless"; }
  const env::Space& observation_space() const override { return obs_; }
  const env::Space& action_space() const override { return act_; }
  int state_dim() const override { return 1; }
  std::vector<double> state() const override { return {0.0}; }
  void Observe(std::span<float> observation) const override { observation[0] = 1.0f; }

 protected:
  void DoReset() override {}
  env::StepResult DoStep(std::span<const double>) override { return {1.0, false, false}; }
  void DoSetState(std::span<const double>) override {}

 private:
  env::Space obs_, act_;
};

env::VectorEnv::Factory MdpFactory(std::shared_ptr<const Mdp> mdp, int limit) {
  return [mdp, limit] { return std::make_unique<env::MdpEnvironment>(mdp, limit); };
}

// The categorical policy of the (state-free) actor at observation `obs`.
std::vector<double> PolicyAt(ActorCriticAgent& agent, std::span<const float> obs) {
  std::vector<double> p(static_cast<std::size_t>(agent.policy_dim()));
  nn::MlpWorkspace ws(agent.actor(), 1);
  const Eigen::Map<const nn::Matrix> x(obs.data(), static_cast<Eigen::Index>(obs.size()), 1);
  const auto out = nn::Forward(agent.actor(), ws, x);
  double z = 0, max = out(0, 0);
  for (std::size_t j = 1; j < p.size(); ++j) max = std::max(max, static_cast<double>(out(j, 0)));
  for (std::size_t j = 0; j < p.size(); ++j) z += p[j] = std::exp(out(j, 0) - max);
  for (double& v : p) v /= z;
  return p;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// --- Gradient of the full loss against central finite differences ----------------------------

// The network is float32; the loss is accumulated in double from its float outputs. With step
// h = 1e-2 on a parameter of size O(1) the central difference has truncation error ~h^2 |f'''| ~
// 1e-4 and rounding error ~1e-7 |L| / h ~ 1e-5, so the bound is |fd - g| <= 2e-3 (1 + |g|).
void CheckGradient(ActorCriticAgent& agent, int batch, std::uint64_t seed) {
  Rng rng(seed);
  const int d = agent.observation_dim();
  nn::Matrix obs(d, batch);
  for (int i = 0; i < batch; ++i)
    for (int k = 0; k < d; ++k) obs(k, i) = static_cast<float>(rng.Normal());
  std::vector<double> actions(static_cast<std::size_t>(batch * agent.action_dim())), adv(batch), ret(batch);
  for (int i = 0; i < batch; ++i) {
    if (agent.discrete()) {
      actions[i] = static_cast<double>(rng.UniformInt(static_cast<std::uint64_t>(agent.policy_dim())));
    } else {
      for (int k = 0; k < agent.action_dim(); ++k) actions[i * agent.action_dim() + k] = 1.5 * rng.Normal();
    }
    adv[i] = rng.Normal();
    ret[i] = 2.0 * rng.Normal();
  }
  // Non-zero log-std so that its derivative is not at a special point.
  for (std::size_t k = 0; k < agent.log_std().size(); ++k) agent.log_std()[k] = 0.3f - 0.4f * static_cast<float>(k);
  agent.Loss(obs, actions, adv, ret, true);
  std::vector<std::span<float>> params = {agent.actor().parameters(), agent.critic().parameters(), agent.log_std()};
  std::vector<std::vector<float>> grads = {{agent.actor().gradients().begin(), agent.actor().gradients().end()},
                                           {agent.critic().gradients().begin(), agent.critic().gradients().end()},
                                           {agent.log_std_gradient().begin(), agent.log_std_gradient().end()}};
  double worst = 0;
  int checked = 0;
  for (std::size_t block = 0; block < params.size(); ++block) {
    for (std::size_t i = 0; i < params[block].size(); ++i) {
      float& p = params[block][i];
      const float saved = p;
      const float plus = saved + 1e-2f, minus = saved - 1e-2f;
      p = plus;
      const double lp = agent.Loss(obs, actions, adv, ret, false);
      p = minus;
      const double lm = agent.Loss(obs, actions, adv, ret, false);
      p = saved;
      const double fd = (lp - lm) / (static_cast<double>(plus) - static_cast<double>(minus));
      const double g = grads[block][i];
      EXPECT_NEAR(g, fd, 2e-3 * (1 + std::abs(g))) << "block " << block << " parameter " << i;
      worst = std::max(worst, std::abs(g - fd) / (1 + std::abs(g)));
      ++checked;
    }
  }
  std::printf("%s: %d parameters, max |g - fd| / (1 + |g|) = %.2e\n", agent.discrete() ? "categorical" : "gaussian",
              checked, worst);
}

TEST(ActorCritic, CategoricalLossGradientMatchesFiniteDifferences) {
  ActorCriticOptions o;
  o.hidden = {5};
  o.num_envs = 2;
  o.n_steps = 4;
  o.entropy_coefficient = 0.3;
  o.value_coefficient = 0.7;
  ActorCriticAgent agent(3, env::Space::Discrete(4), o);
  // The policy head starts at 0.01 scale; spread the logits so the softmax is far from uniform.
  for (float& w : agent.actor().parameters()) w *= 30.0f;
  CheckGradient(agent, 8, 1);
  o.action_prior = {0.1, 0.2, 0.3, 0.4};  // KL-to-prior regulariser
  ActorCriticAgent with_prior(3, env::Space::Discrete(4), o);
  for (float& w : with_prior.actor().parameters()) w *= 30.0f;
  CheckGradient(with_prior, 8, 2);
}

TEST(ActorCritic, GaussianLossGradientMatchesFiniteDifferences) {
  ActorCriticOptions o;
  o.hidden = {5};
  o.num_envs = 2;
  o.n_steps = 4;
  o.entropy_coefficient = 0.3;
  ActorCriticAgent agent(3, env::Space::Box({-1.0, -2.0}, {1.0, 2.0}), o);
  for (float& w : agent.actor().parameters()) w *= 30.0f;
  CheckGradient(agent, 8, 3);
}

// --- Convergence to the exact MaxEnt optimum --------------------------------------------------

// One state, every action ends the episode, so Q(a) = r(a) and the MaxEnt optimum is
// pi* ∝ p(a) exp(r(a) / alpha) (p = 1 without a prior). Linear actor on the constant one-hot
// observation (a tabular softmax), 64 samples per update, Adam at 3e-3.
std::vector<double> TrainBandit(const std::vector<double>& rewards, double alpha, std::vector<double> prior,
                                std::uint64_t seed) {
  auto mdp = std::make_shared<const Mdp>(MakeBandit(rewards));
  ActorCriticOptions o;
  o.num_envs = 16;
  o.n_steps = 4;
  o.hidden = {};
  o.entropy_coefficient = alpha;
  o.action_prior = std::move(prior);
  o.learning_rate = 3e-3;
  o.seed = seed;
  ActorCriticTrainer trainer(MdpFactory(mdp, 0), o, 1'000'000);
  for (int i = 0; i < 4 * 3000; ++i) trainer.Step();  // 3000 updates
  const std::vector<float> obs = {1.0f};
  return PolicyAt(trainer.agent(), obs);
}

TEST(ActorCritic, DiscreteBanditConvergesToTheSoftmaxOfRewardsOverAlpha) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double> r = {1.0, 0.0, -1.0};
  const double alpha = 0.5;
  for (bool with_prior : {false, true}) {
    const std::vector<double> prior = with_prior ? std::vector<double>{0.2, 0.3, 0.5} : std::vector<double>{};
    std::vector<double> expected(3);
    double z = 0;
    for (int a = 0; a < 3; ++a) z += expected[a] = (with_prior ? prior[a] : 1.0) * std::exp(r[a] / alpha);
    for (double& p : expected) p /= z;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      const auto pi = TrainBandit(r, alpha, prior, seed);
      double max_diff = 0, kl = 0;
      for (int a = 0; a < 3; ++a) {
        max_diff = std::max(max_diff, std::abs(pi[a] - expected[a]));
        kl += expected[a] * std::log(expected[a] / pi[a]);
      }
      std::printf(
          "bandit (prior %d, seed %d): learned %.4f %.4f %.4f, exact %.4f %.4f %.4f, max |diff| %.4f, "
          "KL %.2e\n",
          with_prior, static_cast<int>(seed), pi[0], pi[1], pi[2], expected[0], expected[1], expected[2], max_diff, kl);
      // Constant-step Adam (3e-3 on the logits, noisy gradients) keeps the policy fluctuating
      // around the optimum: over seeds 1-5, max |diff| 0.002-0.0125 and KL <= 6.1e-4 (both priors).
      EXPECT_LT(max_diff, 0.02) << "seed " << seed;
      EXPECT_LT(kl, 2e-3) << "seed " << seed;
    }
  }
  std::printf("%.2f s\n", Seconds(start));
}

// MaxEnt optimum of the Gaussian: maximise E[-(a - 1)^2] + alpha H = -(mu - 1)^2 - sigma^2 +
// alpha * 0.5 * log(2 pi e sigma^2); d/d sigma^2: -1 + alpha / (2 sigma^2) = 0, so mu = 1 and
// sigma^2 = alpha / 2 (the Boltzmann density exp(r / alpha) is exactly N(1, alpha / 2)).
TEST(ActorCritic, ContinuousBanditConvergesToTheBoltzmannGaussian) {
  const auto start = std::chrono::steady_clock::now();
  const double alpha = 0.5;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    ActorCriticOptions o;
    o.num_envs = 16;
    o.n_steps = 4;
    o.hidden = {};
    o.entropy_coefficient = alpha;
    o.learning_rate = 3e-3;
    o.seed = seed;
    ActorCriticTrainer trainer([] { return std::make_unique<QuadraticBandit>(); }, o, 1'000'000);
    for (int i = 0; i < 4 * 3000; ++i) trainer.Step();  // 3000 updates of 64 samples
    const std::vector<float> obs = {1.0f};
    std::vector<double> action(1);
    trainer.agent().ActDeterministic(obs, action);
    const double mu = action[0], var = std::exp(2.0 * trainer.agent().log_std()[0]);
    std::printf("continuous bandit (seed %d): mu %.4f (exact 1), sigma^2 %.4f (exact %.4f)\n", static_cast<int>(seed),
                mu, var, alpha / 2);
    // Over seeds 1-5: |mu - 1| <= 0.023, sigma^2 within 5.6% of alpha / 2.
    EXPECT_NEAR(mu, 1.0, 0.05) << "seed " << seed;
    EXPECT_NEAR(var, alpha / 2, 0.1 * alpha / 2) << "seed " << seed;
  }
  std::printf("%.2f s\n", Seconds(start));
}

// A stochastic 5-state MDP with terminal (s, a) pairs and a time limit (truncation bootstraps, so
// the objective is the infinite-horizon discounted one). One-hot observations and linear networks
// make actor and critic tabular. The on-policy update weights states by how often they are visited,
// not by the discounted occupancy from s0, but for a tabular softmax the logits of each state have
// their own gradient, rho(s) pi(b|s) [Q_soft(s, b) - alpha log pi(b|s) - V(s)], which vanishes for
// any rho(s) > 0 exactly when pi(.|s) ∝ exp(Q_soft(s, .) / alpha); a policy satisfying that in every
// visited state is the soft-optimal one. So the fixed point is soft value iteration's variational
// policy on every state the policy visits; the state weighting only changes the path to it.
TEST(ActorCritic, TabularMdpPolicyMatchesSoftValueIteration) {
  const auto start = std::chrono::steady_clock::now();
  auto mdp = std::make_shared<const Mdp>(
      MakeRandomMdp({.num_states = 5, .num_actions = 3, .branching = 2, .terminal_probability = 0.15, .seed = 11}));
  const double alpha = 0.5, discount = 0.9;
  SoftValueIterationOptions svi;
  svi.temperature = alpha;
  svi.discount = discount;
  const SoftSolution exact = SolveSoftValueIteration(*mdp, svi).solution;

  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    ActorCriticOptions o;
    o.num_envs = 16;
    o.n_steps = 16;
    o.hidden = {};
    o.discount = discount;
    o.gae_lambda = 0.95;
    o.entropy_coefficient = alpha;
    o.learning_rate = 3e-3;
    o.seed = seed;
    ActorCriticTrainer trainer(MdpFactory(mdp, 50), o, 1'000'000'000);
    std::vector<long> visits(5, 0);
    const int updates = 3000;
    for (int i = 0; i < updates * o.n_steps; ++i) {
      for (int e = 0; e < o.num_envs; ++e)
        ++visits[static_cast<const env::MdpEnvironment&>(trainer.vector_env().env(e)).current_state()];
      trainer.Step();
    }
    long total = 0;
    for (long v : visits) total += v;
    double max_diff = 0;
    for (int s = 0; s < 5; ++s) {
      std::vector<float> obs(5, 0.0f);
      obs[s] = 1.0f;
      const auto pi = PolicyAt(trainer.agent(), obs);
      double diff = 0;
      for (int a = 0; a < 3; ++a) diff = std::max(diff, std::abs(pi[a] - exact.Pi(s, a)));
      std::printf("state %d (visits %.3f): learned %.3f %.3f %.3f exact %.3f %.3f %.3f\n", s,
                  static_cast<double>(visits[s]) / total, pi[0], pi[1], pi[2], exact.Pi(s, 0), exact.Pi(s, 1),
                  exact.Pi(s, 2));
      if (visits[s] >= total / 20) max_diff = std::max(max_diff, diff);  // states visited >= 5% of the time
    }
    // Over seeds 1-3: 0.0098, 0.0184, 0.0107 (constant-step Adam fluctuation, as for the bandit).
    std::printf("seed %d: max |pi - pi*| over visited states %.4f\n", static_cast<int>(seed), max_diff);
    EXPECT_LT(max_diff, 0.05) << "seed " << seed;
  }
  std::printf("%.2f s\n", Seconds(start));
}

// A time limit is not a terminal state: V must learn the infinite-horizon 1 / (1 - discount) = 10,
// not the mean remaining reward of a 5-step episode (3).
TEST(ActorCritic, TruncationBootstrapsFromTheFinalObservation) {
  ActorCriticOptions o;
  o.num_envs = 8;
  o.n_steps = 8;
  o.hidden = {};
  o.discount = 0.9;
  o.learning_rate = 1e-2;
  o.max_grad_norm = 0;
  ActorCriticTrainer trainer([] { return std::make_unique<EndlessReward>(5); }, o, 1'000'000'000);
  for (int i = 0; i < 8 * 1500; ++i) trainer.Step();
  std::vector<double> v(1);
  const nn::Matrix obs = nn::Matrix::Ones(1, 1);
  trainer.agent().Values(obs, v);
  std::printf("V = %.4f (expected 10)\n", v[0]);
  EXPECT_NEAR(v[0], 10.0, 0.1);
}

// --- Checkpoints, policy files, options --------------------------------------------------------

ActorCriticOptions SmallOptions() {
  ActorCriticOptions o;
  o.num_envs = 4;
  o.n_steps = 8;
  o.hidden = {16};
  o.entropy_coefficient = 0.01;
  o.seed = 9;
  return o;
}

// `before` and `after` are rollouts; the checkpoint is taken mid-episode for every copy.
void ExpectSameTraining(const std::string& env, const ActorCriticOptions& o, int rollouts_before, int rollouts_after) {
  const int before = rollouts_before * o.n_steps, after = rollouts_after * o.n_steps;
  ActorCriticTrainer a(env, o, 100000);
  for (int i = 0; i < before; ++i) a.Step();
  ASSERT_TRUE(a.can_checkpoint());
  nn::SafetensorsFile file;
  a.SaveCheckpoint(file);
  // Through the serialised bytes, as a run directory would.
  const nn::SafetensorsFile parsed = nn::ParseSafetensors(nn::SerializeSafetensors(file), "checkpoint");
  ActorCriticTrainer b(env, o, 100000);
  b.RestoreCheckpoint(parsed);
  EXPECT_EQ(b.step(), a.step());
  int episodes = 0;
  for (int i = 0; i < after; ++i) {
    const auto ea = a.Step();
    const std::vector<EpisodeStats> ca(ea.begin(), ea.end());
    const auto eb = b.Step();
    ASSERT_EQ(ca.size(), eb.size()) << "step " << i;
    for (std::size_t k = 0; k < ca.size(); ++k) {
      EXPECT_EQ(ca[k].episodic_return, eb[k].episodic_return);
      EXPECT_EQ(ca[k].length, eb[k].length);
      EXPECT_EQ(ca[k].end_step, eb[k].end_step);
    }
    episodes += static_cast<int>(ca.size());
  }
  EXPECT_GT(episodes, 0);
  const auto same = [](std::span<const float> x, std::span<const float> y) {
    return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
  };
  EXPECT_TRUE(same(a.agent().actor().parameters(), b.agent().actor().parameters()));
  EXPECT_TRUE(same(a.agent().critic().parameters(), b.agent().critic().parameters()));
  EXPECT_TRUE(same(a.agent().log_std(), b.agent().log_std()));
  EXPECT_EQ(a.Scalars(), b.Scalars());
  const EvaluationResult ra = a.Evaluate(3, 42), rb = b.Evaluate(3, 42);
  EXPECT_EQ(ra.returns, rb.returns);
}

TEST(ActorCritic, ResumedRunContinuesBitForBit) {
  // Categorical; CartPole episodes (~20 steps at first) end mid-rollout.
  ExpectSameTraining("CartPole-v1", SmallOptions(), 5, 7);
  // Gaussian (log-std and its Adam state); Pendulum's 200-step episodes are cut by the checkpoint at
  // step 240 of every copy and end (truncated, bootstrapped) at 400.
  ExpectSameTraining("Pendulum-v1", SmallOptions(), 30, 25);
}

TEST(ActorCritic, CheckpointsAreTakenBetweenRolloutsAndCheckedOnRestore) {
  const ActorCriticOptions o = SmallOptions();
  ActorCriticTrainer a("CartPole-v1", o, 1000);
  EXPECT_TRUE(a.can_checkpoint());
  a.Step();
  EXPECT_FALSE(a.can_checkpoint());
  nn::SafetensorsFile file;
  try {
    a.SaveCheckpoint(file);
    ADD_FAILURE() << "mid-rollout checkpoint accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("between rollouts"));
  }
  for (int i = 1; i < o.n_steps; ++i) a.Step();
  ASSERT_TRUE(a.can_checkpoint());
  a.SaveCheckpoint(file);
  EXPECT_EQ(file.metadata.at("algorithm"), "maxent-pg");

  nn::SafetensorsFile wrong = file;
  wrong.metadata["algorithm"] = "sac";
  ActorCriticTrainer b("CartPole-v1", o, 1000);
  try {
    b.RestoreCheckpoint(wrong);
    ADD_FAILURE() << "a SAC checkpoint was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"sac\""));
    EXPECT_THAT(e.what(), HasSubstr("expected \"maxent-pg\""));
  }
  // A damaged file (the policy generator's state missing) is refused and changes nothing.
  nn::SafetensorsFile damaged = file;
  damaged.tensors.erase("ac.rng");
  const std::vector<float> fresh(b.agent().actor().parameters().begin(), b.agent().actor().parameters().end());
  try {
    b.RestoreCheckpoint(damaged);
    ADD_FAILURE() << "a checkpoint without ac.rng was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ac.rng"));
  }
  EXPECT_TRUE(std::equal(fresh.begin(), fresh.end(), b.agent().actor().parameters().begin()));
  EXPECT_EQ(b.step(), 0);
  ActorCriticTrainer other_env("Acrobot-v1", o, 1000);
  EXPECT_THROW(other_env.RestoreCheckpoint(file), Error);
  ActorCriticOptions different = o;
  different.learning_rate = 1e-4;
  ActorCriticTrainer c("CartPole-v1", different, 1000);
  try {
    c.RestoreCheckpoint(file);
    ADD_FAILURE() << "different options accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("options"));
  }
}

TEST(ActorCritic, SavedPolicyLoadsAndActsLikeTheTrainer) {
  for (const char* env : {"CartPole-v1", "Pendulum-v1"}) {
    ActorCriticTrainer t(env, SmallOptions(), 1000);
    for (int i = 0; i < 3 * SmallOptions().n_steps; ++i) t.Step();
    nn::SafetensorsFile file;
    t.SavePolicy(file);
    EXPECT_EQ(file.metadata.at("algorithm"), "maxent-pg");
    EXPECT_EQ(file.metadata.at("env"), env);
    EXPECT_EQ(file.metadata.at("policy"), std::string(env) == "CartPole-v1" ? "categorical" : "gaussian");
    const auto parsed = nn::ParseSafetensors(nn::SerializeSafetensors(file), "policy");
    const std::unique_ptr<Policy> policy = LoadActorCriticPolicy(parsed);
    auto eval_env = env::MakeEnvironment(env);
    const EvaluationResult loaded = EvaluatePolicy(*policy, *eval_env, 2, 5);
    EXPECT_EQ(loaded.returns, t.Evaluate(2, 5).returns) << env;
    nn::SafetensorsFile wrong = file;
    wrong.metadata["algorithm"] = "sac";
    EXPECT_THROW(LoadActorCriticPolicy(wrong), Error);
  }
}

TEST(ActorCritic, OptionsAreValidatedAndRoundTripThroughJson) {
  const auto expect_error = [](const ActorCriticOptions& o, const std::string& field) {
    try {
      ValidateActorCriticOptions(o);
      ADD_FAILURE() << field << " accepted";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(field));
    }
  };
  ActorCriticOptions o;
  ValidateActorCriticOptions(o);
  o.num_envs = 0;
  expect_error(o, "num_envs: 0");
  o = {};
  o.n_steps = 0;
  expect_error(o, "n_steps: 0");
  o = {};
  o.discount = 1.5;
  expect_error(o, "discount: 1.5");
  o = {};
  o.gae_lambda = -0.1;
  expect_error(o, "gae_lambda: -0.1");
  o = {};
  o.entropy_coefficient = -1;
  expect_error(o, "entropy_coefficient: -1");
  o = {};
  o.action_prior = {0.5, 0.6};
  expect_error(o, "action_prior");
  o = {};
  o.action_prior = {0.0, 1.0};
  expect_error(o, "action_prior[0]");
  o = {};
  o.learning_rate = 0;
  expect_error(o, "learning_rate: 0");
  o = {};
  o.max_grad_norm = -1;
  expect_error(o, "max_grad_norm: -1");
  o = {};
  o.hidden = {64, 0};
  expect_error(o, "hidden[1]: 0");
  o = {};
  o.value_coefficient = std::nan("");
  expect_error(o, "value_coefficient");

  // A prior of the wrong size, or for a Box action space.
  o = {};
  o.action_prior = {0.5, 0.5};
  EXPECT_THROW(ActorCriticAgent(2, env::Space::Discrete(3), o), Error);
  EXPECT_THROW(ActorCriticAgent(2, env::Space::Box({-1.0}, {1.0}), o), Error);
  ActorCriticOptions no_envs;
  no_envs.num_envs = 0;
  EXPECT_THROW(ActorCriticTrainer("CartPole-v1", no_envs, 100), Error);
  EXPECT_THROW(ActorCriticTrainer("CartPole-v1", ActorCriticOptions{}, 0), Error);

  ActorCriticOptions custom;
  custom.num_envs = 3;
  custom.n_steps = 7;
  custom.gae_lambda = 0.9;
  custom.entropy_coefficient = 0.2;
  custom.action_prior = {0.25, 0.75};
  custom.normalize_advantage = true;
  custom.hidden = {32};
  custom.activation = nn::Activation::kRelu;
  custom.seed = 12;
  const nlohmann::json j = ActorCriticOptionsToJson(custom);
  EXPECT_EQ(ActorCriticOptionsToJson(ActorCriticOptionsFromJson(j)), j);
  try {
    ActorCriticOptionsFromJson({{"n_step", 5}});
    ADD_FAILURE() << "unknown key accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown key \"n_step\""));
  }
  try {
    ActorCriticOptionsFromJson({{"num_envs", "eight"}});
    ADD_FAILURE() << "string accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"num_envs\""));
  }
  try {
    ActorCriticOptionsFromJson({{"gae_lambda", 2.0}});
    ADD_FAILURE() << "invalid value accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("gae_lambda: 2"));
  }
}

}  // namespace
}  // namespace cai::rl
