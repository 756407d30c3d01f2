// Gaussian families: closed forms against Monte Carlo and against each other, and validation.
#include <cmath>
#include <string>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/vi/gaussian.h"
#include "test_util.h"

namespace cai {
namespace {

constexpr double kPi = 3.14159265358979323846;

using testing::RandomSpd;
using testing::RandomVector;

template <typename F>
void ExpectThrowsWith(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no cai::Error; expected one containing \"" << needle << "\"";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// Monte Carlo mean and standard error of f over n draws from g.
template <typename G, typename F>
std::pair<double, double> MonteCarlo(const G& g, F&& f, int n, std::uint64_t seed) {
  Rng rng(seed);
  double s = 0.0;
  double s2 = 0.0;
  for (int i = 0; i < n; ++i) {
    const double v = f(g.Sample(rng));
    s += v;
    s2 += v * v;
  }
  const double mean = s / n;
  return {mean, std::sqrt((s2 / n - mean * mean) / n)};
}

TEST(UnivariateGaussian, DensityEntropyAndKlAgainstFormulasAndMonteCarlo) {
  const UnivariateGaussian q(0.3, 1.0);
  const UnivariateGaussian p(0.5, 0.5);
  EXPECT_NEAR(q.LogDensity(1.0), -0.5 * std::log(2 * kPi) - 0.5 * 0.49, 1e-15);
  // The lesson: KL(N(0.3, 1) || N(0.5, 0.5)) = 0.193.
  const double kl = KlDivergence(q, p);
  EXPECT_NEAR(kl, 0.5 * (std::log(0.5) + (1.0 + 0.04) / 0.5 - 1.0), 1e-15);
  EXPECT_NEAR(kl, 0.193, 5e-4);
  const auto [mc_kl, se_kl] =
      MonteCarlo(q, [&](double z) { return q.LogDensity(z) - p.LogDensity(z); }, 200000, 1);
  EXPECT_NEAR(mc_kl, kl, 5 * se_kl);
  const auto [mc_h, se_h] = MonteCarlo(q, [&](double z) { return -q.LogDensity(z); }, 200000, 2);
  EXPECT_NEAR(mc_h, q.Entropy(), 5 * se_h);
  EXPECT_EQ(KlDivergence(q, q), 0.0);
  // Nearly equal distributions: no cancellation (KL ~ (ratio - 1)^2 / 4 for equal means).
  const double v = 1.0 + 1e-9;
  const double delta = v - 1.0;  // exact
  const UnivariateGaussian r(0.3, v);
  EXPECT_NEAR(KlDivergence(r, q), 0.25 * delta * delta, 1e-8 * 0.25 * delta * delta);
  EXPECT_EQ(UnivariateGaussian::FromLogScale(1.0, std::log(2.0)).variance(), 4.0);
}

TEST(UnivariateGaussian, ValidatesParameters) {
  ExpectThrowsWith([] { UnivariateGaussian(0.0, 0.0); }, "variance: 0 is invalid");
  ExpectThrowsWith([] { UnivariateGaussian(0.0, -2.0); }, "variance: -2 is invalid");
  ExpectThrowsWith([] { UnivariateGaussian(NAN, 1.0); }, "mean: nan is not finite");
  ExpectThrowsWith([] { UnivariateGaussian(0.0, INFINITY); }, "variance: inf is invalid");
}

TEST(DiagonalGaussian, AgreesWithUnivariatesAndWithTheFullFamily) {
  Rng rng(3);
  const Eigen::VectorXd mq = RandomVector(4, rng);
  const Eigen::VectorXd mp = RandomVector(4, rng);
  const Eigen::VectorXd sq = RandomVector(4, rng).array().exp();
  const Eigen::VectorXd sp = RandomVector(4, rng).array().exp();
  const DiagonalGaussian q(mq, sq);
  const DiagonalGaussian p(mp, sp);
  const Eigen::VectorXd x = RandomVector(4, rng);
  double log_density = 0.0;
  double kl = 0.0;
  double entropy = 0.0;
  for (int i = 0; i < 4; ++i) {
    const UnivariateGaussian qi(mq[i], sq[i] * sq[i]);
    log_density += qi.LogDensity(x[i]);
    kl += KlDivergence(qi, UnivariateGaussian(mp[i], sp[i] * sp[i]));
    entropy += qi.Entropy();
  }
  EXPECT_NEAR(q.LogDensity(x), log_density, 1e-12);
  EXPECT_NEAR(KlDivergence(q, p), kl, 1e-12);
  EXPECT_NEAR(q.Entropy(), entropy, 1e-12);
  const auto qf = MultivariateGaussian::FromDiagonal(q);
  const auto pf = MultivariateGaussian::FromDiagonal(p);
  EXPECT_NEAR(qf.LogDensity(x), log_density, 1e-12);
  EXPECT_NEAR(KlDivergence(qf, pf), kl, 1e-12);
  EXPECT_NEAR(qf.Entropy(), entropy, 1e-12);
  const auto [mc, se] = MonteCarlo(q, [&](const Eigen::VectorXd& z) {
    return q.LogDensity(z) - p.LogDensity(z);
  }, 100000, 4);
  EXPECT_NEAR(mc, kl, 5 * se);
  // FromLogScale and Reparameterize.
  const auto g = DiagonalGaussian::FromLogScale(mq, sq.array().log().matrix());
  EXPECT_LT((g.stddev() - sq).norm(), 1e-14);
  const Eigen::VectorXd eps = RandomVector(4, rng);
  EXPECT_LT((q.Reparameterize(eps) - (mq + (sq.array() * eps.array()).matrix())).norm(), 1e-15);
}

TEST(DiagonalGaussian, ValidatesParameters) {
  ExpectThrowsWith([] { DiagonalGaussian(Eigen::VectorXd::Zero(2), Eigen::VectorXd::Ones(3)); },
                   "stddev: size 3 does not match the mean's size 2");
  ExpectThrowsWith([] { DiagonalGaussian(Eigen::VectorXd::Zero(2), Eigen::Vector2d(1.0, 0.0)); },
                   "stddev[1]: 0 is invalid");
  ExpectThrowsWith([] { DiagonalGaussian(Eigen::VectorXd(0), Eigen::VectorXd(0)); },
                   "dimension 0");
  const DiagonalGaussian g(Eigen::VectorXd::Zero(2), Eigen::VectorXd::Ones(2));
  ExpectThrowsWith([&] { (void)g.LogDensity(Eigen::VectorXd::Zero(3)); }, "dimensions 3 and 2");
  ExpectThrowsWith(
      [&] { (void)KlDivergence(g, DiagonalGaussian(Eigen::VectorXd::Zero(1), Eigen::VectorXd::Ones(1))); },
      "dimensions 2 and 1");
}

TEST(MultivariateGaussian, DensityAgainstTheTextbookFormula) {
  Rng rng(5);
  for (int d : {1, 2, 5}) {
    const Eigen::MatrixXd cov = RandomSpd(d, rng);
    const Eigen::VectorXd mean = RandomVector(d, rng);
    const auto g = MultivariateGaussian::FromCovariance(mean, cov);
    EXPECT_LT((g.covariance() - cov).norm(), 1e-12 * cov.norm());
    const Eigen::VectorXd x = RandomVector(d, rng);
    const Eigen::VectorXd r = x - mean;
    // Dense inverse and determinant: a different route from the triangular solves.
    const double want = -0.5 * r.dot(cov.inverse() * r) - 0.5 * std::log(cov.determinant()) -
                        0.5 * d * std::log(2 * kPi);
    EXPECT_NEAR(g.LogDensity(x), want, 1e-11);
    EXPECT_NEAR(g.LogDeterminant(), std::log(cov.determinant()), 1e-11);
    EXPECT_LT((g.LogDensityGradient(x) + cov.inverse() * r).norm(), 1e-10);
    EXPECT_NEAR(g.Entropy(), 0.5 * std::log(std::pow(2 * kPi * std::exp(1.0), d) * cov.determinant()),
                1e-11);
  }
}

TEST(MultivariateGaussian, KlAndEntropyAgainstMonteCarloAndDenseFormula) {
  Rng rng(6);
  const int d = 3;
  const auto q = MultivariateGaussian::FromCovariance(RandomVector(d, rng), RandomSpd(d, rng));
  const auto p = MultivariateGaussian::FromCovariance(RandomVector(d, rng), RandomSpd(d, rng));
  const Eigen::MatrixXd sp_inv = p.covariance().inverse();
  const Eigen::VectorXd dm = p.mean() - q.mean();
  const double dense = 0.5 * ((sp_inv * q.covariance()).trace() + dm.dot(sp_inv * dm) - d +
                              std::log(p.covariance().determinant() / q.covariance().determinant()));
  const double kl = KlDivergence(q, p);
  EXPECT_NEAR(kl, dense, 1e-10);
  const auto [mc, se] = MonteCarlo(q, [&](const Eigen::VectorXd& z) {
    return q.LogDensity(z) - p.LogDensity(z);
  }, 100000, 7);
  EXPECT_NEAR(mc, kl, 5 * se);
  const auto [mc_h, se_h] = MonteCarlo(q, [&](const Eigen::VectorXd& z) { return -q.LogDensity(z); },
                                       100000, 8);
  EXPECT_NEAR(mc_h, q.Entropy(), 5 * se_h);
  EXPECT_NEAR(KlDivergence(q, q), 0.0, 1e-12);
}

TEST(MultivariateGaussian, ReparameterisedSamplesHaveTheRightMoments) {
  Rng rng(9);
  const int d = 3;
  const auto g = MultivariateGaussian::FromCovariance(RandomVector(d, rng), RandomSpd(d, rng));
  const int n = 200000;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(d);
  Eigen::MatrixXd outer = Eigen::MatrixXd::Zero(d, d);
  Rng draw(10);
  for (int i = 0; i < n; ++i) {
    const Eigen::VectorXd z = g.Sample(draw);
    sum += z;
    outer += (z - g.mean()) * (z - g.mean()).transpose();
  }
  const Eigen::MatrixXd cov = g.covariance();
  for (int i = 0; i < d; ++i) {
    // Standard errors: sqrt(Sigma_ii / n) for the mean, sqrt((Sigma_ii Sigma_jj + Sigma_ij^2) / n).
    EXPECT_NEAR(sum[i] / n, g.mean()[i], 5 * std::sqrt(cov(i, i) / n));
    for (int j = 0; j < d; ++j) {
      EXPECT_NEAR(outer(i, j) / n, cov(i, j),
                  5 * std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / n));
    }
  }
  // Same seed, same draws.
  Rng a(11);
  Rng b(11);
  EXPECT_EQ(g.Sample(a), g.Sample(b));
}

TEST(MultivariateGaussian, ValidatesParameters) {
  Eigen::Matrix2d not_pd;
  not_pd << 1.0, 2.0, 2.0, 1.0;
  ExpectThrowsWith([&] { MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(2), not_pd); },
                   "not positive definite");
  Eigen::Matrix2d asym;
  asym << 2.0, 0.5, 0.4, 2.0;
  ExpectThrowsWith([&] { MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(2), asym); },
                   "not symmetric");
  ExpectThrowsWith(
      [&] { MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(3), Eigen::Matrix2d::Identity()); },
      "shape 2 x 2 does not match the mean's dimension 3");
  Eigen::Matrix2d upper;
  upper << 1.0, 0.3, 0.0, 1.0;
  ExpectThrowsWith([&] { MultivariateGaussian::FromCholesky(Eigen::VectorXd::Zero(2), upper); },
                   "cholesky[0][1]: 0.3 is above the diagonal");
  Eigen::Matrix2d neg;
  neg << 1.0, 0.0, 0.2, -1.0;
  ExpectThrowsWith([&] { MultivariateGaussian::FromCholesky(Eigen::VectorXd::Zero(2), neg); },
                   "cholesky[1][1]: -1 is invalid");
  Eigen::Matrix2d nan = Eigen::Matrix2d::Identity();
  nan(1, 0) = NAN;
  ExpectThrowsWith([&] { MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(2), nan); },
                   "covariance[1][0]: nan is not finite");
}

}  // namespace
}  // namespace cai
