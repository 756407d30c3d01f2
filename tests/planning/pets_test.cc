// The probabilistic ensemble, the ensemble-backed dynamics and the PETS trainer
// (include/cai/planning/probabilistic_ensemble.h, ensemble_dynamics.h, pets.h): the Gaussian NLL
// gradient against finite differences, standardisation round trip, a fit on linear-Gaussian data
// against the closed-form least-squares solution, one model step against the member's own
// prediction, option errors, determinism, and checkpoint/resume equality.
#include "cai/planning/pets.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/nn/safetensors.h"
#include "cai/planning/ensemble_dynamics.h"
#include "cai/planning/probabilistic_ensemble.h"

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

TEST(GaussianNll, BoundedLogVarianceStaysInsideTheBoundsAndIsMonotone) {
  const float lo = -10.0f, hi = 0.5f;
  float previous = -1e9f;
  for (float raw = -40.0f; raw <= 40.0f; raw += 0.5f) {
    float d = 0.0f;
    const float lv = BoundLogVariance(raw, lo, hi, &d);
    // The soft bounds: lv in (lo, lo + softplus(hi - lo)], the upper limit exceeding hi by
    // log1p(exp(-(hi - lo))) = 2.75e-5 here (the second softplus); float saturates to lo exactly.
    EXPECT_GE(lv, lo);
    EXPECT_LE(lv, hi + std::log1p(std::exp(-(hi - lo))) + 1e-6f);
    EXPECT_GE(lv, previous);
    EXPECT_GE(d, 0.0f);
    EXPECT_LE(d, 1.0f);
    previous = lv;
  }
  // Far inside the bounds the map is (nearly) the identity.
  EXPECT_NEAR(BoundLogVariance(-4.0f, -30.0f, 30.0f, nullptr), -4.0f, 1e-5f);
  EXPECT_NEAR(BoundLogVariance(40.0f, lo, hi, nullptr), hi + std::log1p(std::exp(lo - hi)), 1e-6f);
  EXPECT_NEAR(BoundLogVariance(-60.0f, lo, hi, nullptr), lo, 1e-5f);
}

// d loss / d output against central differences in every entry, including raw log-variances near
// and beyond both bounds (where the soft bounding's chain rule matters).
TEST(GaussianNll, GradientMatchesFiniteDifferences) {
  const int d = 3, b = 4;
  const float lo = -6.0f, hi = 0.5f;
  Rng rng(7);
  nn::Matrix out(2 * d, b), target(d, b), grad(2 * d, b);
  for (int k = 0; k < b; ++k) {
    for (int j = 0; j < d; ++j) {
      out(j, k) = static_cast<float>(rng.Normal());
      target(j, k) = static_cast<float>(rng.Normal());
      out(d + j, k) = static_cast<float>(-8.0 + 10.0 * rng.Uniform());  // spans [-8, 2]: beyond both bounds
    }
  }
  const double loss = GaussianNll(out, target, lo, hi, &grad);
  // Closed form of the loss itself, in double.
  double expected = 0.0;
  for (int k = 0; k < b; ++k) {
    for (int j = 0; j < d; ++j) {
      const double z = out(d + j, k);
      const double upper = hi - std::log1p(std::exp(hi - z));
      const double lv = lo + std::log1p(std::exp(upper - lo));
      const double e = out(j, k) - target(j, k);
      expected += 0.5 * (e * e * std::exp(-lv) + lv);
    }
  }
  EXPECT_NEAR(loss, expected / b, 1e-5 * std::abs(expected / b) + 1e-6);
  // Central differences (h = 1e-2 in float: truncation error O(h^2) ~ 1e-4 relative to the curvature).
  const float h = 1e-2f;
  for (int k = 0; k < b; ++k) {
    for (int i = 0; i < 2 * d; ++i) {
      nn::Matrix plus = out, minus = out;
      plus(i, k) += h;
      minus(i, k) -= h;
      const double fd = (GaussianNll(plus, target, lo, hi, nullptr) - GaussianNll(minus, target, lo, hi, nullptr)) / (2 * h);
      EXPECT_NEAR(grad(i, k), fd, 2e-3 * std::max(1.0, std::abs(fd))) << "entry (" << i << ", " << k << ")";
    }
  }
}

TEST(Standardizer, RoundTripAndStatistics) {
  Rng rng(3);
  nn::Matrix data(3, 500);
  for (int k = 0; k < 500; ++k) {
    data(0, k) = static_cast<float>(5.0 + 2.0 * rng.Normal());
    data(1, k) = static_cast<float>(-100.0 + 0.01 * rng.Normal());
    data(2, k) = 7.0f;  // constant: left unscaled
  }
  const Standardizer s = Standardizer::FromData(data);
  nn::Matrix x = data;
  s.Apply(x);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(x.row(i).mean(), 0.0, 1e-3);
    EXPECT_NEAR(std::sqrt(x.row(i).array().square().mean()), 1.0, 1e-3);
  }
  EXPECT_FLOAT_EQ(s.std[2], 1.0f);
  EXPECT_NEAR(x.row(2).cwiseAbs().maxCoeff(), 0.0f, 1e-6f);
  s.Invert(x);
  for (int k = 0; k < 500; ++k) {
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(x(i, k), data(i, k), 1e-5 * std::max(1.0f, std::abs(data(i, k))));
  }
}

// y = A x + b + noise with known per-output noise standard deviations. Dual path: a member with no
// hidden layer is a linear-Gaussian model (mean linear, log-variance linear in x), whose maximum
// likelihood solution here is ordinary least squares with the residual variance (closed form).
// The learned fit is compared with it in the objective (NLL), the means and the variances.
TEST(ProbabilisticEnsemble, FitRecoversLinearGaussianMeanAndVariance) {
  const int n = 4000;
  Rng rng(11);
  const Eigen::Matrix2f a = (Eigen::Matrix2f() << 1.5f, -0.5f, 0.3f, 2.0f).finished();
  const Eigen::Vector2f bias(0.2f, -1.0f);
  const float noise[2] = {0.05f, 0.2f};
  nn::Matrix x(2, n), y(2, n);
  for (int k = 0; k < n; ++k) {
    x(0, k) = static_cast<float>(2.0 * rng.Uniform() - 1.0);
    x(1, k) = static_cast<float>(2.0 * rng.Uniform() - 1.0);
    const Eigen::Vector2f m = a * x.col(k) + bias;
    for (int j = 0; j < 2; ++j) y(j, k) = m(j) + noise[j] * static_cast<float>(rng.Normal());
  }
  // Closed form: OLS on [x; 1].
  Eigen::MatrixXd design(n, 3);
  design.leftCols(2) = x.transpose().cast<double>();
  design.col(2).setOnes();
  const Eigen::MatrixXd coef = design.colPivHouseholderQr().solve(y.transpose().cast<double>());  // 3 x 2
  const Eigen::MatrixXd residual = y.transpose().cast<double>() - design * coef;
  const Eigen::RowVectorXd ols_var = residual.array().square().colwise().mean();
  // The closed form recovers the true noise (sampling error of a variance at n = 4000: ~2%).
  EXPECT_NEAR(ols_var(0) / (noise[0] * noise[0]), 1.0, 0.1);
  EXPECT_NEAR(ols_var(1) / (noise[1] * noise[1]), 1.0, 0.1);

  EnsembleOptions o;
  o.members = 2;
  o.hidden = {};
  o.gradient_steps = 4000;
  o.batch_size = 512;
  o.learning_rate = 3e-3;
  o.bootstrap = false;
  o.seed = 5;
  ProbabilisticEnsemble ens(2, 2, o);
  const EnsembleFitSummary s = ens.Fit(x, y);
  ASSERT_TRUE(s.converged) << s.message;
  // Objective: the minimum NLL of a constant-variance Gaussian at the OLS mean, in the fit's
  // standardised units, is 0.5 sum_j (1 + log(ols_var_j / std_j^2)). The learned model may lie
  // below it only by what its two log-variance slopes gain on finite data (~1/n per output: < 1e-3)
  // and above it by the optimiser's residual jitter (constant-step Adam; 1.3e-3 measured).
  double closed_nll = 0.0;
  for (int j = 0; j < 2; ++j) {
    const double sd = ens.target_standardizer().std[j];
    closed_nll += 0.5 * (1.0 + std::log(ols_var(j) / (sd * sd)));
  }
  EXPECT_LT(s.final_nll, s.initial_nll);
  EXPECT_GT(s.final_nll, closed_nll - 2e-3);
  EXPECT_LT(s.final_nll, closed_nll + 5e-3);

  // Pointwise on a grid inside the data's range. Tolerances are twice the deviations measured with
  // this seed (0.10 sigma for the means, 7% for the variances), which come from the jitter of
  // constant-step Adam around the optimum, not from bias: OLS's own standard error is ~0.03 sigma.
  nn::Matrix test(2, 25), mean(2, 25), var(2, 25), scratch(2, 25);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) test.col(5 * i + j) << -0.8f + 0.4f * i, -0.8f + 0.4f * j;
  }
  nn::MlpWorkspace ws(ens.member(0), 25);
  for (int e = 0; e < 2; ++e) {
    ens.Predict(e, test, ws, scratch, &mean, &var);
    for (int k = 0; k < 25; ++k) {
      const Eigen::Vector3d z(test(0, k), test(1, k), 1.0);
      for (int j = 0; j < 2; ++j) {
        EXPECT_NEAR(mean(j, k), z.dot(coef.col(j)), 0.2 * noise[j]) << "member " << e << " point " << k << " output " << j;
        EXPECT_NEAR(var(j, k) / ols_var(j), 1.0, 0.15) << "member " << e << " point " << k << " output " << j;
      }
    }
  }
}

TEST(ProbabilisticEnsemble, SameSeedSameFitDifferentSeedDifferentFit) {
  Rng rng(2);
  nn::Matrix x(3, 300), y(2, 300);
  for (int k = 0; k < 300; ++k) {
    for (int i = 0; i < 3; ++i) x(i, k) = static_cast<float>(rng.Normal());
    y(0, k) = std::sin(x(0, k)) + 0.1f * static_cast<float>(rng.Normal());
    y(1, k) = x(1, k) * x(2, k);
  }
  EnsembleOptions o;
  o.members = 3;
  o.hidden = {16, 16};
  o.gradient_steps = 200;
  const auto fit = [&](std::uint64_t seed) {
    o.seed = seed;
    ProbabilisticEnsemble e(3, 2, o);
    const EnsembleFitSummary s = e.Fit(x, y);
    std::vector<float> params;
    for (int m = 0; m < e.members(); ++m) {
      params.insert(params.end(), e.member(m).parameters().begin(), e.member(m).parameters().end());
    }
    return std::pair{s.member_nll, params};
  };
  const auto a = fit(1), b = fit(1), c = fit(2);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.second, c.second);
  // Bootstrap resampling makes the members see different data: their fits differ.
  EXPECT_NE(a.first[0], a.first[1]);
}

TEST(EnsembleOptions, ErrorsNameTheField) {
  EnsembleOptions o;
  o.members = 0;
  EXPECT_THAT(ErrorMessage([&] { ValidateEnsembleOptions(o); }), HasSubstr("EnsembleOptions.members: 0 is invalid (expected"));
  o = {};
  o.max_log_variance = -20;
  EXPECT_THAT(ErrorMessage([&] { ValidateEnsembleOptions(o); }), HasSubstr("EnsembleOptions.max_log_variance: -20 is invalid"));
  o = {};
  o.learning_rate = -1;
  EXPECT_THAT(ErrorMessage([&] { ValidateEnsembleOptions(o); }), HasSubstr("EnsembleOptions.learning_rate: -1 is invalid"));
  o = {};
  o.hidden = {8, 0};
  EXPECT_THAT(ErrorMessage([&] { ValidateEnsembleOptions(o); }), HasSubstr("EnsembleOptions.hidden[1]: 0 is invalid"));
  o = {};
  o.gradient_steps = 0;
  EXPECT_THAT(ErrorMessage([&] { ValidateEnsembleOptions(o); }), HasSubstr("EnsembleOptions.gradient_steps: 0 is invalid"));
}

TEST(PetsOptions, ErrorsNameTheField) {
  const BatchedPendulum pendulum;
  PetsOptions o;
  o.random_episodes = 0;
  EXPECT_THAT(ErrorMessage([&] { ValidatePetsOptions(o, pendulum); }), HasSubstr("PetsOptions.random_episodes: 0 is invalid"));
  o = {};
  o.initial_state = {1.0, 2.0, 3.0};
  EXPECT_THAT(ErrorMessage([&] { ValidatePetsOptions(o, pendulum); }), HasSubstr("PetsOptions.initial_state: [3 entries] is invalid"));
  o = {};
  o.mppi.samples = 0;
  EXPECT_THAT(ErrorMessage([&] { ValidatePetsOptions(o, pendulum); }), HasSubstr("MppiOptions.samples: 0 is invalid"));
  o = {};
  o.ensemble.members = -1;
  EXPECT_THAT(ErrorMessage([&] { ValidatePetsOptions(o, pendulum); }), HasSubstr("EnsembleOptions.members: -1 is invalid"));
  EXPECT_THAT(ErrorMessage([&] { PetsOptionsFromJson(nlohmann::json{{"membres", 3}}); }), HasSubstr("unknown key \"membres\""));
  EXPECT_THAT(ErrorMessage([&] { PetsOptionsFromJson(nlohmann::json{{"reward", "maybe"}}); }), HasSubstr("\"reward\""));
  EXPECT_THAT(ErrorMessage([&] { PetsTrainer("CartPole-v1", PetsOptions{}, 10); }), HasSubstr("expected one of: Pendulum-v1"));
  // JSON round trip of every option.
  o = {};
  o.ensemble.hidden = {7, 9};
  o.mppi.samples = 123;
  o.reward = RewardSource::kLearned;
  o.initial_state = {3.0, 0.0};
  EXPECT_EQ(PetsOptionsToJson(PetsOptionsFromJson(PetsOptionsToJson(o))), PetsOptionsToJson(o));
}

// One Step of the model equals, system by system, the assigned member's own prediction added to
// the state, and the known reward equals the true Pendulum reward.
TEST(EnsembleDynamics, StepEqualsManualMemberPrediction) {
  const BatchedPendulum pendulum;
  for (RewardSource reward : {RewardSource::kKnown, RewardSource::kLearned}) {
    const int outputs = reward == RewardSource::kLearned ? 3 : 2;
    EnsembleOptions o;
    o.members = 3;
    o.hidden = {8};
    o.gradient_steps = 5;
    ProbabilisticEnsemble ens(4, outputs, o);
    Rng rng(4);
    nn::Matrix fx(4, 50), fy(outputs, 50);
    for (int k = 0; k < 50; ++k) {
      for (int i = 0; i < 4; ++i) fx(i, k) = static_cast<float>(rng.Normal());
      for (int i = 0; i < outputs; ++i) fy(i, k) = static_cast<float>(3.0 * rng.Normal() + i);
    }
    ens.Fit(fx, fy);  // non-trivial standardisers
    const EnsembleDynamics model(ens, pendulum, ModelFeatures(2, 1, {0}, {-2.0f}, {2.0f}), reward, 1, 4);
    const int n = 10;  // with max_batch 4: slices inside each member's block
    std::vector<float> states(2 * n), actions(n), rewards(n);
    for (int k = 0; k < n; ++k) {
      states[k] = static_cast<float>(7.0 * rng.Uniform() - 3.5);
      states[n + k] = static_cast<float>(8.0 * rng.Uniform() - 4.0);
      actions[k] = static_cast<float>(6.0 * rng.Uniform() - 3.0);  // some outside [-2, 2]
    }
    const std::vector<float> before = states;
    model.Step(BatchView{states.data(), static_cast<std::size_t>(n)}, ConstBatchView{actions.data(), static_cast<std::size_t>(n)},
               rewards);
    nn::Matrix input(4, 1), mean(outputs, 1), scratch(4, 1);
    nn::MlpWorkspace ws(ens.member(0), 1);
    for (int k = 0; k < n; ++k) {
      int member = 0;  // systems [n e / E, n (e + 1) / E) use member e
      while (k >= n * (member + 1) / 3) ++member;
      input << std::sin(before[k]), std::cos(before[k]), before[n + k], std::clamp(actions[k], -2.0f, 2.0f);
      ens.Predict(member, input, ws, scratch, &mean, nullptr);
      EXPECT_NEAR(states[k], before[k] + mean(0, 0), 1e-5) << k;
      EXPECT_NEAR(states[n + k], before[n + k] + mean(1, 0), 1e-5) << k;
      if (reward == RewardSource::kLearned) {
        EXPECT_NEAR(rewards[k], mean(2, 0), 1e-5) << k;
      } else {
        const double th = std::remainder(static_cast<double>(before[k]), 2 * std::numbers::pi);
        const double u = std::clamp(static_cast<double>(actions[k]), -2.0, 2.0);
        EXPECT_NEAR(rewards[k], -(th * th + 0.1 * before[n + k] * before[n + k] + 0.001 * u * u), 1e-4) << k;
      }
    }
  }
}

// Dual path for the learned model: after random-action data on Pendulum, the fitted ensemble's
// one-step predictions agree with the true simulator on fresh states.
TEST(PetsTrainer, LearnedModelPredictsPendulumSteps) {
  PetsOptions o;
  o.random_episodes = 2;
  o.ensemble.members = 2;
  o.ensemble.gradient_steps = 1500;
  o.seed = 3;
  PetsTrainer trainer("Pendulum-v1", o, 400);
  while (trainer.step() < 400) trainer.Step();
  ASSERT_TRUE(trainer.ensemble().fitted());
  ASSERT_EQ(trainer.dataset().size(), 400u);
  EXPECT_TRUE(trainer.last_fit().converged);
  const BatchedPendulum truth;
  const ModelFeatures features(2, 1, {0}, {-2.0f}, {2.0f});
  const EnsembleDynamics model(trainer.ensemble(), truth, features, RewardSource::kKnown);
  Rng rng(99);
  const int n = 200;
  std::vector<float> s(2 * n), a(n), r(n), t(2 * n), tr(n);
  for (int k = 0; k < n; ++k) {
    s[k] = static_cast<float>(2 * std::numbers::pi * rng.Uniform() - std::numbers::pi);
    s[n + k] = static_cast<float>(4.0 * rng.Uniform() - 2.0);
    a[k] = static_cast<float>(4.0 * rng.Uniform() - 2.0);
  }
  t = s;
  model.Step(BatchView{s.data(), static_cast<std::size_t>(n)}, ConstBatchView{a.data(), static_cast<std::size_t>(n)}, r);
  truth.Step(BatchView{t.data(), static_cast<std::size_t>(n)}, ConstBatchView{a.data(), static_cast<std::size_t>(n)}, tr);
  double err_theta_dot = 0.0;
  for (int k = 0; k < n; ++k) err_theta_dot += std::abs(s[n + k] - t[n + k]);
  err_theta_dot /= n;
  // One step changes theta_dot by up to (15 + 6) * 0.05 ~ 1 rad/s; the model must get it to within 0.05.
  EXPECT_LT(err_theta_dot, 0.05);
}

PetsOptions TinyOptions() {
  PetsOptions o;
  o.random_episodes = 1;
  o.episode_length = 20;
  o.initial_state = {std::numbers::pi, 0.0};
  o.ensemble.members = 2;
  o.ensemble.hidden = {16};
  o.ensemble.gradient_steps = 40;
  o.mppi.samples = 32;
  o.mppi.horizon = 5;
  o.seed = 9;
  return o;
}

std::vector<float> AllParameters(const ProbabilisticEnsemble& e) {
  std::vector<float> p;
  for (int m = 0; m < e.members(); ++m) p.insert(p.end(), e.member(m).parameters().begin(), e.member(m).parameters().end());
  return p;
}

TEST(PetsTrainer, ResumeFromCheckpointMatchesUninterruptedRun) {
  const PetsOptions o = TinyOptions();
  PetsTrainer full("Pendulum-v1", o, 80);
  std::vector<double> returns;
  while (full.step() < 80) {
    for (const auto& e : full.Step()) returns.push_back(e.episodic_return);
  }
  ASSERT_EQ(returns.size(), 4u);
  EXPECT_EQ(full.outcomes().size(), 4u);
  EXPECT_EQ(full.dataset().size(), 80u);

  PetsTrainer first("Pendulum-v1", o, 80);
  while (first.step() < 40) first.Step();  // two episodes: the random one and one planned
  ASSERT_TRUE(first.can_checkpoint());
  nn::SafetensorsFile file;
  first.SaveCheckpoint(file);
  const nn::SafetensorsFile reloaded = nn::ParseSafetensors(nn::SerializeSafetensors(file), "checkpoint");
  PetsTrainer resumed("Pendulum-v1", o, 80);
  resumed.RestoreCheckpoint(reloaded);
  EXPECT_EQ(resumed.step(), 40);
  std::vector<double> resumed_returns(returns.begin(), returns.begin() + 2);
  while (resumed.step() < 80) {
    for (const auto& e : resumed.Step()) resumed_returns.push_back(e.episodic_return);
  }
  EXPECT_EQ(resumed_returns, returns);
  EXPECT_EQ(AllParameters(resumed.ensemble()), AllParameters(full.ensemble()));
  EXPECT_EQ(resumed.dataset().states, full.dataset().states);
  EXPECT_EQ(resumed.Scalars(), full.Scalars());
  EXPECT_EQ(resumed.Evaluate(1, 5).returns, full.Evaluate(1, 5).returns);
  // A checkpoint of another configuration is refused.
  PetsOptions other = o;
  other.mppi.samples = 64;
  PetsTrainer different("Pendulum-v1", other, 80);
  EXPECT_THAT(ErrorMessage([&] { different.RestoreCheckpoint(reloaded); }), HasSubstr("pets options"));
}

}  // namespace
}  // namespace cai::planning
