// The ELBO machinery: analytic gradients against finite differences, the lesson's numbers, the gap
// identity, the posterior two ways, estimator means and variances against closed forms, fitting,
// and the non-conjugate coin model against independent quadrature.
#include <cmath>
#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>
#include <vector>
#include <string>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/vi/elbo.h"
#include "cai/vi/gaussian.h"
#include "test_util.h"
#include "cai/vi/latent_model.h"
#include "cai/vi/variational_gaussian.h"

namespace cai {
namespace {

constexpr double kPi = 3.14159265358979323846;

using testing::RandomSpd;
using testing::RandomVector;

VariationalGaussian RandomQ(GaussianFamily family, int d, Rng& rng) {
  Eigen::VectorXd p = RandomVector(VariationalGaussian::NumParameters(family, d), rng, 0.5);
  return VariationalGaussian::FromParameters(family, d, p);
}

LinearGaussianModel RandomModel(int d, int n, Rng& rng) {
  Eigen::MatrixXd a(n, d);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) a(i, j) = rng.Normal();
  }
  return LinearGaussianModel(MultivariateGaussian::FromCovariance(RandomVector(d, rng), RandomSpd(d, rng)),
                             a, RandomVector(n, rng),
                             MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(n), RandomSpd(n, rng)));
}

// Central differences of f in the parameters of q.
Eigen::VectorXd NumericalGradient(const VariationalGaussian& q,
                                  const std::function<double(const VariationalGaussian&)>& f) {
  const double h = 1e-6;
  Eigen::VectorXd g(q.num_parameters());
  for (int k = 0; k < q.num_parameters(); ++k) {
    Eigen::VectorXd p = q.parameters();
    p[k] += h;
    const double up = f(VariationalGaussian::FromParameters(q.family(), q.dim(), p));
    p[k] -= 2 * h;
    const double down = f(VariationalGaussian::FromParameters(q.family(), q.dim(), p));
    g[k] = (up - down) / (2 * h);
  }
  return g;
}

void ExpectGradientNear(const Eigen::VectorXd& analytic, const Eigen::VectorXd& numeric,
                        const char* what) {
  ASSERT_EQ(analytic.size(), numeric.size()) << what;
  for (Eigen::Index k = 0; k < analytic.size(); ++k) {
    EXPECT_NEAR(analytic[k], numeric[k], 1e-6 * (1.0 + std::abs(numeric[k])))
        << what << " parameter " << k;
  }
}

const GaussianFamily kFamilies[] = {GaussianFamily::kDiagonal, GaussianFamily::kFull};

// ---- VariationalGaussian: every analytic gradient against finite differences ----

TEST(VariationalGaussian, GradientsMatchFiniteDifferences) {
  Rng rng(1);
  for (GaussianFamily family : kFamilies) {
    SCOPED_TRACE(GaussianFamilyName(family));
    const int d = 3;
    const VariationalGaussian q = RandomQ(family, d, rng);
    const Eigen::VectorXd eps = RandomVector(d, rng);
    // A smooth non-quadratic f(z) and its gradient.
    const Eigen::VectorXd c = RandomVector(d, rng);
    auto f = [&](const Eigen::VectorXd& z) { return z.array().sin().sum() + 0.5 * z.dot(c) * z.dot(c); };
    auto grad_f = [&](const Eigen::VectorXd& z) {
      return Eigen::VectorXd(z.array().cos().matrix() + z.dot(c) * c);
    };
    ExpectGradientNear(q.ReparameterizationGradient(eps, grad_f(q.Reparameterize(eps))),
                       NumericalGradient(q, [&](const VariationalGaussian& r) {
                         return f(r.Reparameterize(eps));
                       }),
                       "reparameterization");
    const Eigen::VectorXd z = q.Reparameterize(eps);
    ExpectGradientNear(q.ScoreGradient(eps),
                       NumericalGradient(q, [&](const VariationalGaussian& r) { return r.LogDensity(z); }),
                       "score");
    ExpectGradientNear(q.EntropyGradient(),
                       NumericalGradient(q, [](const VariationalGaussian& r) { return r.Entropy(); }),
                       "entropy");
    const auto p = MultivariateGaussian::FromCovariance(RandomVector(d, rng), RandomSpd(d, rng));
    Eigen::VectorXd kl_grad;
    q.KlTo(p, &kl_grad);
    ExpectGradientNear(kl_grad,
                       NumericalGradient(q, [&](const VariationalGaussian& r) { return r.KlTo(p); }),
                       "KL");
    const LinearGaussianModel model = RandomModel(d, 2, rng);
    const Eigen::VectorXd x = RandomVector(2, rng);
    Eigen::VectorXd e_grad;
    model.ExpectedLogLikelihood(x, q, &e_grad);
    ExpectGradientNear(e_grad, NumericalGradient(q, [&](const VariationalGaussian& r) {
                                 return model.ExpectedLogLikelihood(x, r);
                               }),
                       "expected log-likelihood");
    // d/dz log p(x|z).
    const Eigen::VectorXd g = model.LogLikelihoodGradient(x, z);
    for (int i = 0; i < d; ++i) {
      Eigen::VectorXd zp = z, zm = z;
      zp[i] += 1e-6;
      zm[i] -= 1e-6;
      EXPECT_NEAR(g[i], (model.LogLikelihood(x, zp) - model.LogLikelihood(x, zm)) / 2e-6, 1e-6);
    }
  }
}

TEST(VariationalGaussian, ParameterLayoutAndValidation) {
  Eigen::Matrix2d l;
  l << 0.5, 0.0, -0.3, 2.0;
  const auto g = MultivariateGaussian::FromCholesky(Eigen::Vector2d(1.0, -1.0), l);
  const auto q = VariationalGaussian::FromGaussian(GaussianFamily::kFull, g);
  ASSERT_EQ(q.num_parameters(), 5);
  EXPECT_EQ(q.parameters()[0], 1.0);
  EXPECT_EQ(q.parameters()[1], -1.0);
  EXPECT_NEAR(q.parameters()[2], std::log(0.5), 1e-15);
  EXPECT_NEAR(q.parameters()[3], std::log(2.0), 1e-15);
  EXPECT_EQ(q.parameters()[4], -0.3);
  EXPECT_LT((q.cholesky() - l).norm(), 1e-15);
  try {
    (void)VariationalGaussian::FromGaussian(GaussianFamily::kDiagonal, g);
    ADD_FAILURE() << "diagonal family accepted a correlated Gaussian";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("diagonal family needs a diagonal covariance"),
              std::string::npos);
  }
  VariationalGaussian r = q;
  EXPECT_THROW(r.set_parameters(Eigen::VectorXd::Zero(4)), Error);
  Eigen::VectorXd bad = q.parameters();
  bad[2] = 1e6;  // exp overflows
  EXPECT_THROW(r.set_parameters(bad), Error);
  bad[2] = NAN;
  EXPECT_THROW(r.set_parameters(bad), Error);
  EXPECT_EQ(r.parameters(), q.parameters());  // unchanged after failed updates
}

// ---- Linear-Gaussian models ----

// The lesson's two examples, to the printed digits, each number also by the written-out formula.
TEST(LinearGaussian, LessonExamples) {
  {
    const ObservedLinearGaussian m(LinearGaussianModel::Scalar(0.0, 1.0, 1.0), Eigen::VectorXd::Constant(1, 1.0));
    const VariationalGaussian q(GaussianFamily::kDiagonal, Eigen::VectorXd::Constant(1, 0.3),
                                Eigen::VectorXd::Zero(1));
    const double elbo = m.model().Elbo(m.x(), q);
    const double gap = m.LogEvidence() - elbo;
    EXPECT_NEAR(elbo, -1.709, 5e-4);
    EXPECT_NEAR(gap, 0.193, 5e-4);
    // E_q log N(1; z, 1) = -log(2 pi)/2 - ((1 - 0.3)^2 + 1) / 2; KL = 0.3^2 / 2.
    EXPECT_NEAR(elbo, -0.5 * std::log(2 * kPi) - (0.49 + 1.0) / 2 - 0.045, 1e-14);
    const MultivariateGaussian post = m.Posterior();
    EXPECT_NEAR(post.mean()[0], 0.5, 1e-15);
    EXPECT_NEAR(post.covariance()(0, 0), 0.5, 1e-15);
    EXPECT_NEAR(gap, KlDivergence(q.ToGaussian(), post), 1e-14);
  }
  {
    const ObservedLinearGaussian m(LinearGaussianModel::Scalar(0.0, 4.0, 1.0), Eigen::VectorXd::Constant(1, 2.0));
    const VariationalGaussian q(GaussianFamily::kDiagonal, Eigen::VectorXd::Constant(1, 1.0),
                                Eigen::VectorXd::Constant(1, 0.5 * std::log(1.5)));
    const double expected = m.ExpectedLogLikelihood(q, nullptr);
    const double kl = q.KlTo(m.prior());
    EXPECT_NEAR(expected, -2.169, 5e-4);
    EXPECT_NEAR(kl, 0.303, 5e-4);
    EXPECT_NEAR(expected - kl, -2.472, 5e-4);
    const MultivariateGaussian post = m.Posterior();
    EXPECT_NEAR(post.mean()[0], 1.6, 1e-14);
    EXPECT_NEAR(post.covariance()(0, 0), 0.8, 1e-14);
    const double gap = m.LogEvidence() - (expected - kl);
    EXPECT_NEAR(gap, 0.348, 5e-4);
    EXPECT_NEAR(gap, KlDivergence(q.ToGaussian(), post), 1e-14);
    // log p(x) = log N(2; 0, 5).
    EXPECT_NEAR(m.LogEvidence(), -0.5 * std::log(2 * kPi * 5.0) - 0.4, 1e-14);
  }
}

// log p(x) - ELBO(q) = KL(q || p(z|x)) for any q, on random multivariate models.
TEST(LinearGaussian, GapIdentityOnRandomModels) {
  Rng rng(2);
  for (int trial = 0; trial < 20; ++trial) {
    const int d = 1 + trial % 4;
    const int n = 1 + (trial * 7) % 5;
    const LinearGaussianModel model = RandomModel(d, n, rng);
    const Eigen::VectorXd x = RandomVector(n, rng, 2.0);
    for (GaussianFamily family : kFamilies) {
      const VariationalGaussian q = RandomQ(family, d, rng);
      const double gap = model.LogEvidence(x) - model.Elbo(x, q);
      const double kl = KlDivergence(q.ToGaussian(), model.Posterior(x));
      EXPECT_NEAR(gap, kl, 1e-10) << "trial " << trial;
      EXPECT_GE(gap, -1e-12);
    }
    // At q = the posterior (full family) the gap vanishes.
    const auto exact = VariationalGaussian::FromGaussian(GaussianFamily::kFull, model.Posterior(x));
    EXPECT_NEAR(model.Elbo(x, exact), model.LogEvidence(x), 1e-10);
  }
}

// The posterior by completing the square against Gaussian conditioning (Schur complement), and the
// evidence against Bayes' rule at arbitrary points: two independent routes.
TEST(LinearGaussian, PosteriorAndEvidenceTwoWays) {
  Rng rng(3);
  for (int trial = 0; trial < 10; ++trial) {
    const int d = 1 + trial % 3;
    const int n = 1 + trial % 4;
    const LinearGaussianModel model = RandomModel(d, n, rng);
    const Eigen::VectorXd x = RandomVector(n, rng);
    const Eigen::MatrixXd s0 = model.prior().covariance();
    const Eigen::MatrixXd a = model.a();
    const Eigen::MatrixXd s = a * s0 * a.transpose() + model.noise().covariance();
    const Eigen::MatrixXd k = s0 * a.transpose() * s.inverse();
    const Eigen::VectorXd mean = model.prior().mean() + k * (x - a * model.prior().mean() - model.b());
    const Eigen::MatrixXd cov = s0 - k * a * s0;
    const MultivariateGaussian post = model.Posterior(x);
    EXPECT_LT((post.mean() - mean).norm(), 1e-10 * (1.0 + mean.norm()));
    EXPECT_LT((post.covariance() - cov).norm(), 1e-10 * (1.0 + cov.norm()));
    for (int j = 0; j < 3; ++j) {
      const Eigen::VectorXd z = RandomVector(d, rng);
      const double bayes =
          model.prior().LogDensity(z) + model.LogLikelihood(x, z) - post.LogDensity(z);
      EXPECT_NEAR(model.LogEvidence(x), bayes, 1e-10);
    }
  }
}

TEST(LinearGaussian, ValidatesShapes) {
  const auto prior = MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(2), Eigen::Matrix2d::Identity());
  const auto noise = MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(3), Eigen::Matrix3d::Identity());
  EXPECT_THROW(LinearGaussianModel(prior, Eigen::MatrixXd::Zero(3, 3), Eigen::VectorXd::Zero(3), noise), Error);
  EXPECT_THROW(LinearGaussianModel(prior, Eigen::MatrixXd::Zero(3, 2), Eigen::VectorXd::Zero(2), noise), Error);
  const LinearGaussianModel m(prior, Eigen::MatrixXd::Zero(3, 2), Eigen::VectorXd::Zero(3), noise);
  try {
    (void)m.LogEvidence(Eigen::VectorXd::Zero(2));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x: size 2 does not match the observed dimension 3"),
              std::string::npos);
  }
  EXPECT_THROW(LinearGaussianModel::Scalar(0.0, -1.0, 1.0), Error);
  EXPECT_THROW(LinearGaussianModel::Scalar(0.0, 1.0, 0.0), Error);
}

// ---- Estimators ----

ElboOptions Options(ElboEstimator e, int samples, bool baseline = false, KlTerm kl = KlTerm::kClosedForm) {
  ElboOptions o;
  o.estimator = e;
  o.samples = samples;
  o.baseline = baseline;
  o.kl = kl;
  return o;
}

// Each Monte Carlo estimator is unbiased: its value and gradient agree with the closed form within
// 5 standard errors (from the reported per-sample variances) on a 2-d model, both families.
TEST(ElboEstimators, MeansMatchTheClosedForm) {
  Rng rng(4);
  const ObservedLinearGaussian model(RandomModel(2, 3, rng), RandomVector(3, rng));
  for (GaussianFamily family : kFamilies) {
    const VariationalGaussian q = RandomQ(family, 2, rng);
    Rng unused(0);
    const ElboEstimate exact = EstimateElbo(model, q, Options(ElboEstimator::kClosedForm, 1), unused);
    EXPECT_NEAR(exact.value, model.model().Elbo(model.x(), q), 1e-13);
    for (KlTerm kl : {KlTerm::kClosedForm, KlTerm::kMonteCarlo}) {
      for (auto [estimator, baseline] : {std::pair{ElboEstimator::kReparameterization, false},
                                         std::pair{ElboEstimator::kScoreFunction, false},
                                         std::pair{ElboEstimator::kScoreFunction, true}}) {
        SCOPED_TRACE(::testing::Message() << GaussianFamilyName(family) << " "
                                        << ElboEstimatorName(estimator) << (baseline ? "+baseline" : "")
                                        << (kl == KlTerm::kMonteCarlo ? " MC-KL" : ""));
        const int n = 200000;
        Rng draw(17);
        const ElboEstimate e = EstimateElbo(model, q, Options(estimator, n, baseline, kl), draw);
        EXPECT_EQ(e.samples, n);
        EXPECT_NEAR(e.value, exact.value, 5 * e.ValueStandardError() + 1e-12);
        for (int k = 0; k < q.num_parameters(); ++k) {
          EXPECT_NEAR(e.gradient[k], exact.gradient[k], 5 * std::sqrt(e.gradient_variance[k] / n) + 1e-12)
              << "parameter " << k;
        }
      }
    }
  }
}

// Per-sample gradient variances against their closed forms on the lesson's quadratic case:
// f(z) = log N(x; z, s2), q = N(mu, sigma^2), z = mu + sigma eps.
//  reparameterisation, mean: (x - z) / s2                   -> sigma^2 / s2^2
//  reparameterisation, log_scale: (x - z) sigma eps / s2 = a eps + b eps^2 with a = (x - mu) sigma / s2,
//                                  b = -sigma^2 / s2        -> a^2 + 2 b^2
//  score function, mean: f(z) eps / sigma with f = c0 + c1 eps + c2 eps^2
//                                  -> (c0^2 + 3 c1^2 + 15 c2^2 + 6 c0 c2 - c1^2) / sigma^2
TEST(ElboEstimators, VariancesMatchClosedFormsOnAQuadratic) {
  const double x = 1.0;
  const double s2 = 1.0;
  const ObservedLinearGaussian model(LinearGaussianModel::Scalar(0.0, 1.0, s2), Eigen::VectorXd::Constant(1, x));
  for (auto [mu, sigma] : {std::pair{0.3, 1.0}, std::pair{-1.0, 0.5}}) {
    SCOPED_TRACE(::testing::Message() << "mu " << mu << " sigma " << sigma);
    const VariationalGaussian q(GaussianFamily::kDiagonal, Eigen::VectorXd::Constant(1, mu),
                                Eigen::VectorXd::Constant(1, std::log(sigma)));
    const int n = 400000;
    Rng r1(5);
    const ElboEstimate rep = EstimateElbo(model, q, Options(ElboEstimator::kReparameterization, n), r1);
    const double a = (x - mu) * sigma / s2;
    const double b = -sigma * sigma / s2;
    EXPECT_NEAR(rep.gradient_variance[0], sigma * sigma / (s2 * s2), 0.02 * sigma * sigma / (s2 * s2));
    EXPECT_NEAR(rep.gradient_variance[1], a * a + 2 * b * b, 0.03 * (a * a + 2 * b * b));
    Rng r2(6);
    const ElboEstimate score = EstimateElbo(model, q, Options(ElboEstimator::kScoreFunction, n), r2);
    const double c0 = -0.5 * std::log(2 * kPi * s2) - (x - mu) * (x - mu) / (2 * s2);
    const double c1 = (x - mu) * sigma / s2;
    const double c2 = -sigma * sigma / (2 * s2);
    const double want = (c0 * c0 + 2 * c1 * c1 + 15 * c2 * c2 + 6 * c0 * c2) / (sigma * sigma);
    EXPECT_NEAR(score.gradient_variance[0], want, 0.05 * want);
    // The leave-one-out baseline removes the c0 (constant) part: much lower variance.
    Rng r3(7);
    const ElboEstimate base =
        EstimateElbo(model, q, Options(ElboEstimator::kScoreFunction, n, true), r3);
    EXPECT_LT(base.gradient_variance[0], score.gradient_variance[0]);
    // With the baseline, f - b ~ (c1 eps + c2 (eps^2 - 1)): variance (3 c1^2 + c2^2 (15 - 6 + 1) - c1^2) / sigma^2.
    const double centred = (2 * c1 * c1 + 10 * c2 * c2) / (sigma * sigma);
    EXPECT_NEAR(base.gradient_variance[0], centred, 0.05 * centred);
  }
}

TEST(ElboEstimators, DeterministicForASeedAndValidated) {
  const ObservedLinearGaussian model(LinearGaussianModel::Scalar(0.0, 1.0, 1.0), Eigen::VectorXd::Constant(1, 1.0));
  const VariationalGaussian q(GaussianFamily::kDiagonal, Eigen::VectorXd::Zero(1), Eigen::VectorXd::Zero(1));
  Rng a(9);
  Rng b(9);
  const auto ea = EstimateElbo(model, q, Options(ElboEstimator::kScoreFunction, 10, true), a);
  const auto eb = EstimateElbo(model, q, Options(ElboEstimator::kScoreFunction, 10, true), b);
  EXPECT_EQ(ea.value, eb.value);
  EXPECT_EQ(ea.gradient, eb.gradient);
  Rng rng(0);
  EXPECT_THROW(EstimateElbo(model, q, Options(ElboEstimator::kReparameterization, 0), rng), Error);
  EXPECT_THROW(EstimateElbo(model, q, Options(ElboEstimator::kReparameterization, 5, true), rng), Error);
  EXPECT_THROW(EstimateElbo(model, q, Options(ElboEstimator::kScoreFunction, 1, true), rng), Error);
  const LogisticBernoulliModel coin(0.0, 1.0, 3, 5);
  try {
    EstimateElbo(coin, q, Options(ElboEstimator::kClosedForm, 1), rng);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("closed-form"), std::string::npos);
  }
  const VariationalGaussian q2(GaussianFamily::kDiagonal, Eigen::VectorXd::Zero(2), Eigen::VectorXd::Zero(2));
  EXPECT_THROW(EstimateElbo(model, q2, Options(ElboEstimator::kReparameterization, 5), rng), Error);
  EXPECT_EQ(ParseElboEstimator("score"), ElboEstimator::kScoreFunction);
  EXPECT_THROW(ParseElboEstimator("reinforce"), Error);
}

// ---- Fitting ----

TEST(FitElbo, ReachesTheExactPosterior) {
  Rng rng(10);
  const ObservedLinearGaussian model(RandomModel(3, 4, rng), RandomVector(4, rng));
  const MultivariateGaussian post = model.Posterior();
  const VariationalGaussian init(GaussianFamily::kFull, Eigen::VectorXd::Zero(3), Eigen::VectorXd::Zero(3));
  {  // Exact gradients: to optimiser precision.
    FitOptions o;
    o.elbo.estimator = ElboEstimator::kClosedForm;
    o.steps = 3000;
    o.learning_rate = 0.05;
    o.final_learning_rate = 0.001;
    const FitResult r = FitElbo(model, init, o);
    EXPECT_TRUE(r.summary.converged);
    EXPECT_LT(KlDivergence(r.q.ToGaussian(), post), 1e-8);
    ASSERT_GE(r.elbo_trace.size(), 2u);
    EXPECT_NEAR(r.elbo_trace.back().second, model.LogEvidence(), 1e-8);
  }
  {  // Noisy reparameterisation gradients, 8 samples a step, decaying learning rate.
    FitOptions o;
    o.elbo.estimator = ElboEstimator::kReparameterization;
    o.elbo.samples = 8;
    o.steps = 4000;
    o.learning_rate = 0.05;
    o.final_learning_rate = 0.0005;
    o.seed = 3;
    o.trace_every = 100;
    const FitResult r = FitElbo(model, init, o);
    EXPECT_LT(KlDivergence(r.q.ToGaussian(), post), 2e-3);
    // The trace is recorded every 100 steps and ends with the final ELBO, at most log p(x).
    EXPECT_EQ(r.elbo_trace.size(), 41u);
    EXPECT_LE(r.elbo_trace.back().second, model.LogEvidence() + 1e-12);
    EXPECT_GT(r.elbo_trace.back().second, r.elbo_trace.front().second);
  }
}

TEST(FitElbo, DiagonalFamilyIsExactWhenThePosteriorFactorises) {
  // A diagonal prior, A and noise: the posterior is diagonal and the mean-field q can reach it.
  const LinearGaussianModel lg(
      MultivariateGaussian::FromCovariance(Eigen::Vector2d(0.5, -1.0), Eigen::Vector2d(2.0, 0.5).asDiagonal().toDenseMatrix()),
      Eigen::Vector2d(1.5, -0.7).asDiagonal().toDenseMatrix(), Eigen::Vector2d(0.1, 0.2),
      MultivariateGaussian::FromCovariance(Eigen::Vector2d::Zero(), Eigen::Vector2d(0.3, 1.2).asDiagonal().toDenseMatrix()));
  const ObservedLinearGaussian model(lg, Eigen::Vector2d(1.0, 2.0));
  const VariationalGaussian init(GaussianFamily::kDiagonal, Eigen::Vector2d::Zero(), Eigen::Vector2d::Zero());
  FitOptions o;
  o.elbo.estimator = ElboEstimator::kClosedForm;
  o.steps = 3000;
  o.final_learning_rate = 0.001;
  const FitResult r = FitElbo(model, init, o);
  EXPECT_LT(KlDivergence(r.q.ToGaussian(), model.Posterior()), 1e-8);
}

TEST(FitElbo, ValidatesOptions) {
  const ObservedLinearGaussian model(LinearGaussianModel::Scalar(0.0, 1.0, 1.0), Eigen::VectorXd::Constant(1, 1.0));
  const VariationalGaussian q(GaussianFamily::kDiagonal, Eigen::VectorXd::Zero(1), Eigen::VectorXd::Zero(1));
  FitOptions o;
  o.steps = 0;
  EXPECT_THROW(FitElbo(model, q, o), Error);
  o.steps = 10;
  o.learning_rate = -1.0;
  EXPECT_THROW(FitElbo(model, q, o), Error);
  o.learning_rate = 0.1;
  o.final_learning_rate = 0.2;
  EXPECT_THROW(FitElbo(model, q, o), Error);
  o.final_learning_rate = 0.0;
  o.trace_every = 0;
  EXPECT_THROW(FitElbo(model, q, o), Error);
}

// ---- The non-conjugate coin ----

// Gauss-Hermite (probabilists') is exact for polynomials of degree < 2n: E[eps^(2k)] = (2k-1)!!.
TEST(GaussHermite, MomentsOfTheStandardNormal) {
  for (int n : {1, 5, 20, 64, 150}) {
    const QuadratureRule rule = GaussHermiteNormal(n);
    double double_factorial = 1.0;
    for (int k = 0; 2 * k < 2 * n; ++k) {
      if (k > 0) double_factorial *= 2 * k - 1;
      const double even = (rule.weights.array() * rule.nodes.array().pow(2 * k)).sum();
      EXPECT_NEAR(even, double_factorial, 1e-10 * double_factorial) << "n " << n << " k " << k;
      if (2 * k + 1 < 2 * n) {
        const double odd = (rule.weights.array() * rule.nodes.array().pow(2 * k + 1)).sum();
        EXPECT_NEAR(odd, 0.0, 1e-10 * double_factorial * 4 * (k + 1));
      }
      if (k >= 12) break;  // higher moments overflow the tolerance model
    }
  }
  // Tail weights are accurate relative to themselves: for n = 2 they are exactly 1/2 at +-1, and
  // the largest node's weight for n = 150 must be positive and tiny, not rounding noise.
  const QuadratureRule two = GaussHermiteNormal(2);
  EXPECT_NEAR(two.weights[0], 0.5, 1e-15);
  EXPECT_NEAR(std::abs(two.nodes[0]), 1.0, 1e-15);
  const QuadratureRule big = GaussHermiteNormal(150);
  EXPECT_GT(big.weights[149], 0.0);
  EXPECT_LT(big.weights[149], 1e-50);
  EXPECT_THROW(GaussHermiteNormal(0), Error);
  EXPECT_THROW(GaussHermiteNormal(151), Error);
}

// log p(x) by the library's trapezoid rule against Gauss-Hermite quadrature centred on the mode
// with the Laplace scale, and against exact values: no data gives log p(x) = 0; one head with a
// prior symmetric about 0 gives p(x) = E[sigmoid(z)] = 1/2.
TEST(LogisticBernoulli, EvidenceByTwoQuadraturesAndExactCases) {
  const QuadratureRule gh = GaussHermiteNormal(120);
  for (auto [m0, v0, heads, flips] : {std::tuple{0.0, 1.0, 3, 5}, std::tuple{1.0, 4.0, 7, 10},
                                      std::tuple{-2.0, 0.25, 0, 20}, std::tuple{0.5, 9.0, 30, 40}}) {
    const LogisticBernoulliModel m(m0, v0, heads, flips);
    const double mode = m.Mode();
    const double tau = m.LaplaceScale();
    // integral exp(h(z)) dz = tau E_eps[exp(h(mode + tau eps)) / N(eps; 0, 1)], in log space.
    std::vector<double> terms;
    for (Eigen::Index i = 0; i < gh.nodes.size(); ++i) {
      const double e = gh.nodes[i];
      const double z = mode + tau * e;
      const double h = m.prior().LogDensity(Eigen::VectorXd::Constant(1, z)) + m.LogLikelihood(z);
      terms.push_back(std::log(gh.weights[i]) + h + 0.5 * e * e + 0.5 * std::log(2 * kPi));
    }
    double mx = -INFINITY;
    for (double t : terms) mx = std::max(mx, t);
    double s = 0.0;
    for (double t : terms) s += std::exp(t - mx);
    const double gauss_hermite = std::log(tau) + mx + std::log(s);
    EXPECT_NEAR(m.LogEvidence(), gauss_hermite, 1e-9) << heads << "/" << flips;
  }
  // d/dz log p(x|z) = heads - flips sigmoid(z), against central differences.
  const LogisticBernoulliModel grad_check(0.0, 1.0, 3, 8);
  for (double z : {-30.0, -2.0, 0.0, 0.7, 25.0}) {
    const double numeric = (grad_check.LogLikelihood(z + 1e-6) - grad_check.LogLikelihood(z - 1e-6)) / 2e-6;
    EXPECT_NEAR(grad_check.LogLikelihoodGradient(Eigen::VectorXd::Constant(1, z))[0], numeric, 1e-6) << z;
  }
  EXPECT_NEAR(LogisticBernoulliModel(0.7, 2.0, 0, 0).LogEvidence(), 0.0, 1e-12);
  EXPECT_NEAR(LogisticBernoulliModel(0.0, 3.0, 1, 1).LogEvidence(), std::log(0.5), 1e-12);
  EXPECT_THROW(LogisticBernoulliModel(0.0, 1.0, 3, 2), Error);
  EXPECT_THROW(LogisticBernoulliModel(0.0, 0.0, 1, 2), Error);
  EXPECT_THROW(LogisticBernoulliModel(0.0, 1.0, -1, 2), Error);
}

// The gap identity for a non-conjugate model: log p(x) - ELBO(q) (ELBO by Gauss-Hermite) equals
// KL(q || p(z|x)) (direct quadrature of q log(q / posterior)); fitting q brings the ELBO close to
// log p(x) but, the posterior not being Gaussian, never onto it.
TEST(LogisticBernoulli, GapIdentityAndFitting) {
  const LogisticBernoulliModel m(0.0, 4.0, 7, 10);
  for (auto [mq, vq] : {std::pair{0.0, 1.0}, std::pair{0.8, 0.4}, std::pair{-1.0, 2.0}}) {
    const UnivariateGaussian q(mq, vq);
    const double elbo = m.ExpectedLogLikelihoodQuadrature(q) -
                        KlDivergence(q, UnivariateGaussian(0.0, 4.0));
    EXPECT_NEAR(m.LogEvidence() - elbo, m.KlToPosterior(q), 1e-9) << mq << " " << vq;
    // The quadrature expectation against Monte Carlo.
    Rng rng(12);
    double s = 0.0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) s += m.LogLikelihood(q.Sample(rng));
    EXPECT_NEAR(s / n, m.ExpectedLogLikelihoodQuadrature(q), 0.02);
  }
  FitOptions o;
  o.elbo.samples = 16;
  o.steps = 3000;
  o.learning_rate = 0.05;
  o.final_learning_rate = 0.0005;
  o.seed = 1;
  const VariationalGaussian init(GaussianFamily::kDiagonal, Eigen::VectorXd::Zero(1), Eigen::VectorXd::Zero(1));
  const FitResult r = FitElbo(m, init, o);
  const UnivariateGaussian fitted(r.q.mean()[0], r.q.cholesky()(0, 0) * r.q.cholesky()(0, 0));
  const double kl = m.KlToPosterior(fitted);
  // The best Gaussian: minimise KL(q || posterior) over a fine (mean, log-sd) grid by quadrature.
  double best = INFINITY;
  for (double mq = 0.3; mq <= 1.3; mq += 0.02) {
    for (double ls = -0.8; ls <= 0.0; ls += 0.02) {
      best = std::min(best, m.KlToPosterior(UnivariateGaussian(mq, std::exp(2 * ls))));
    }
  }
  EXPECT_GT(best, 1e-4);           // not Gaussian: a positive gap remains
  EXPECT_LT(kl, best + 2e-4);      // SGD lands at the best Gaussian (to the grid's resolution)
  EXPECT_LT(kl, 0.01);
}

}  // namespace
}  // namespace cai
