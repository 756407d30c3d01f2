#include "cai/vi/gaussian.h"

#include <cmath>
#include <numbers>
#include <utility>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {
namespace {

constexpr double kLog2Pi = 1.8378770664093454836;  // log(2 pi)

void CheckFiniteVector(const Eigen::VectorXd& v, const char* what) {
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      throw Error(fmt::format("{}[{}]: {} is not finite", what, i, v[i]));
    }
  }
}

void CheckSquare(const Eigen::MatrixXd& m, Eigen::Index d, const char* what) {
  if (m.rows() != d || m.cols() != d) {
    throw Error(fmt::format("{}: shape {} x {} does not match the mean's dimension {}", what,
                            m.rows(), m.cols(), d));
  }
  for (Eigen::Index i = 0; i < d; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) {
      if (!std::isfinite(m(i, j))) {
        throw Error(fmt::format("{}[{}][{}]: {} is not finite", what, i, j, m(i, j)));
      }
    }
  }
}

void CheckDims(int a, int b, const char* what) {
  if (a != b) throw Error(fmt::format("{}: dimensions {} and {} differ", what, a, b));
}

}  // namespace

// ---- Univariate ----

UnivariateGaussian::UnivariateGaussian(double mean, double variance)
    : mean_(mean), variance_(variance), stddev_(std::sqrt(variance)) {
  if (!std::isfinite(mean)) throw Error(fmt::format("mean: {} is not finite", mean));
  if (!(std::isfinite(variance) && variance > 0.0)) {
    throw Error(fmt::format("variance: {} is invalid (expected a finite number > 0)", variance));
  }
}

UnivariateGaussian UnivariateGaussian::FromLogScale(double mean, double log_scale) {
  if (!std::isfinite(log_scale)) throw Error(fmt::format("log_scale: {} is not finite", log_scale));
  const double s = std::exp(log_scale);
  return UnivariateGaussian(mean, s * s);
}

double UnivariateGaussian::LogDensity(double x) const {
  const double d = x - mean_;
  return -0.5 * d * d / variance_ - 0.5 * (kLog2Pi + std::log(variance_));
}

double UnivariateGaussian::Entropy() const { return 0.5 * (kLog2Pi + 1.0 + std::log(variance_)); }

double KlDivergence(const UnivariateGaussian& q, const UnivariateGaussian& p) {
  const double d = q.mean() - p.mean();
  // (r - log(1 + r)) / 2 with r = variance ratio - 1 (the variances' difference is exact when they
  // are close); for small r by its series r^2/2 - r^3/3 + ..., which has no cancellation.
  const double r = (q.variance() - p.variance()) / p.variance();
  double shape;
  if (std::abs(r) < 0.1) {
    shape = 0.0;
    double power = r * r;
    for (int k = 2; k < 40; ++k, power *= -r) shape += power / k;
  } else {
    shape = r - std::log1p(r);
  }
  return 0.5 * (shape + d * d / p.variance());
}

// ---- Diagonal ----

DiagonalGaussian::DiagonalGaussian(Eigen::VectorXd mean, Eigen::VectorXd stddev)
    : mean_(std::move(mean)), stddev_(std::move(stddev)) {
  if (mean_.size() < 1) throw Error("mean: dimension 0 (expected at least 1)");
  if (stddev_.size() != mean_.size()) {
    throw Error(fmt::format("stddev: size {} does not match the mean's size {}", stddev_.size(),
                            mean_.size()));
  }
  CheckFiniteVector(mean_, "mean");
  for (Eigen::Index i = 0; i < stddev_.size(); ++i) {
    if (!(std::isfinite(stddev_[i]) && stddev_[i] > 0.0)) {
      throw Error(fmt::format("stddev[{}]: {} is invalid (expected a finite number > 0)", i,
                              stddev_[i]));
    }
  }
}

DiagonalGaussian DiagonalGaussian::FromLogScale(Eigen::VectorXd mean,
                                                const Eigen::VectorXd& log_scale) {
  CheckFiniteVector(log_scale, "log_scale");
  return DiagonalGaussian(std::move(mean), log_scale.array().exp().matrix());
}

double DiagonalGaussian::LogDensity(const Eigen::VectorXd& x) const {
  CheckDims(static_cast<int>(x.size()), dim(), "LogDensity: x and the Gaussian");
  const Eigen::ArrayXd z = (x - mean_).array() / stddev_.array();
  return -0.5 * z.square().sum() - stddev_.array().log().sum() - 0.5 * dim() * kLog2Pi;
}

Eigen::VectorXd DiagonalGaussian::Reparameterize(const Eigen::VectorXd& eps) const {
  CheckDims(static_cast<int>(eps.size()), dim(), "Reparameterize: eps and the Gaussian");
  return mean_ + (stddev_.array() * eps.array()).matrix();
}

Eigen::VectorXd DiagonalGaussian::Sample(Rng& rng) const {
  Eigen::VectorXd eps(dim());
  for (Eigen::Index i = 0; i < eps.size(); ++i) eps[i] = rng.Normal();
  return Reparameterize(eps);
}

double DiagonalGaussian::Entropy() const {
  return 0.5 * dim() * (kLog2Pi + 1.0) + stddev_.array().log().sum();
}

double KlDivergence(const DiagonalGaussian& q, const DiagonalGaussian& p) {
  CheckDims(q.dim(), p.dim(), "KlDivergence");
  double kl = 0.0;
  for (int i = 0; i < q.dim(); ++i) {
    const double sq = q.stddev()[i];
    const double sp = p.stddev()[i];
    kl += KlDivergence(UnivariateGaussian(q.mean()[i], sq * sq),
                       UnivariateGaussian(p.mean()[i], sp * sp));
  }
  return kl;
}

// ---- Full covariance ----

MultivariateGaussian::MultivariateGaussian(Eigen::VectorXd mean, Eigen::MatrixXd chol)
    : mean_(std::move(mean)), chol_(std::move(chol)) {}

MultivariateGaussian MultivariateGaussian::FromCovariance(Eigen::VectorXd mean,
                                                          const Eigen::MatrixXd& covariance) {
  if (mean.size() < 1) throw Error("mean: dimension 0 (expected at least 1)");
  CheckFiniteVector(mean, "mean");
  CheckSquare(covariance, mean.size(), "covariance");
  const double scale = covariance.cwiseAbs().maxCoeff();
  for (Eigen::Index i = 0; i < covariance.rows(); ++i) {
    for (Eigen::Index j = 0; j < i; ++j) {
      if (std::abs(covariance(i, j) - covariance(j, i)) > 1e-12 * scale) {
        throw Error(fmt::format("covariance: not symmetric ([{}][{}] = {} but [{}][{}] = {})", i, j,
                                covariance(i, j), j, i, covariance(j, i)));
      }
    }
  }
  Eigen::LLT<Eigen::MatrixXd> llt(covariance);
  Eigen::MatrixXd l = llt.matrixL();
  bool ok = llt.info() == Eigen::Success;
  for (Eigen::Index i = 0; ok && i < l.rows(); ++i) ok = l(i, i) > 0.0 && std::isfinite(l(i, i));
  if (!ok) throw Error("covariance: not positive definite (its Cholesky factorisation failed)");
  return MultivariateGaussian(std::move(mean), std::move(l));
}

MultivariateGaussian MultivariateGaussian::FromCholesky(Eigen::VectorXd mean,
                                                        Eigen::MatrixXd cholesky) {
  if (mean.size() < 1) throw Error("mean: dimension 0 (expected at least 1)");
  CheckFiniteVector(mean, "mean");
  CheckSquare(cholesky, mean.size(), "cholesky");
  for (Eigen::Index i = 0; i < cholesky.rows(); ++i) {
    if (!(cholesky(i, i) > 0.0)) {
      throw Error(fmt::format("cholesky[{}][{}]: {} is invalid (expected a positive diagonal)", i,
                              i, cholesky(i, i)));
    }
    for (Eigen::Index j = i + 1; j < cholesky.cols(); ++j) {
      if (cholesky(i, j) != 0.0) {
        throw Error(fmt::format(
            "cholesky[{}][{}]: {} is above the diagonal (expected a lower-triangular factor)", i,
            j, cholesky(i, j)));
      }
    }
  }
  return MultivariateGaussian(std::move(mean), std::move(cholesky));
}

MultivariateGaussian MultivariateGaussian::FromDiagonal(const DiagonalGaussian& g) {
  return MultivariateGaussian(g.mean(), g.stddev().asDiagonal().toDenseMatrix());
}

double MultivariateGaussian::LogDeterminant() const {
  return 2.0 * chol_.diagonal().array().log().sum();
}

double MultivariateGaussian::LogDensity(const Eigen::VectorXd& x) const {
  CheckDims(static_cast<int>(x.size()), dim(), "LogDensity: x and the Gaussian");
  const Eigen::VectorXd u = chol_.triangularView<Eigen::Lower>().solve(x - mean_);
  return -0.5 * u.squaredNorm() - 0.5 * LogDeterminant() - 0.5 * dim() * kLog2Pi;
}

Eigen::VectorXd MultivariateGaussian::LogDensityGradient(const Eigen::VectorXd& x) const {
  CheckDims(static_cast<int>(x.size()), dim(), "LogDensityGradient: x and the Gaussian");
  return -SolveCovariance(Eigen::VectorXd(x - mean_));
}

Eigen::VectorXd MultivariateGaussian::Reparameterize(const Eigen::VectorXd& eps) const {
  CheckDims(static_cast<int>(eps.size()), dim(), "Reparameterize: eps and the Gaussian");
  return mean_ + chol_.triangularView<Eigen::Lower>() * eps;
}

Eigen::VectorXd MultivariateGaussian::Sample(Rng& rng) const {
  Eigen::VectorXd eps(dim());
  for (Eigen::Index i = 0; i < eps.size(); ++i) eps[i] = rng.Normal();
  return Reparameterize(eps);
}

double MultivariateGaussian::Entropy() const {
  return 0.5 * dim() * (kLog2Pi + 1.0) + 0.5 * LogDeterminant();
}

Eigen::VectorXd MultivariateGaussian::SolveCovariance(const Eigen::VectorXd& v) const {
  const Eigen::VectorXd u = chol_.triangularView<Eigen::Lower>().solve(v);
  return chol_.transpose().triangularView<Eigen::Upper>().solve(u);
}

Eigen::MatrixXd MultivariateGaussian::SolveCovariance(const Eigen::MatrixXd& v) const {
  const Eigen::MatrixXd u = chol_.triangularView<Eigen::Lower>().solve(v);
  return chol_.transpose().triangularView<Eigen::Upper>().solve(u);
}

double KlDivergence(const MultivariateGaussian& q, const MultivariateGaussian& p) {
  CheckDims(q.dim(), p.dim(), "KlDivergence");
  // tr(Sp^{-1} Sq) = ||Lp^{-1} Lq||_F^2; the Mahalanobis term through Lp^{-1} (mp - mq).
  const Eigen::MatrixXd m = p.cholesky().triangularView<Eigen::Lower>().solve(q.cholesky());
  const Eigen::VectorXd u =
      p.cholesky().triangularView<Eigen::Lower>().solve(Eigen::VectorXd(p.mean() - q.mean()));
  return 0.5 * (m.squaredNorm() + u.squaredNorm() - q.dim() + p.LogDeterminant() -
                q.LogDeterminant());
}

}  // namespace cai
