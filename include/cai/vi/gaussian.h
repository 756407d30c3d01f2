// Gaussian families for variational inference: univariate, diagonal and full-covariance
// (Cholesky-parameterised) multivariate normals with log-density, reparameterised sampling,
// entropy and the closed-form KL divergence between two members of the same family.
#pragma once

#include <Eigen/Core>

#include "cai/core/rng.h"

namespace cai {

/// N(mean, variance) on the real line.
class UnivariateGaussian {
 public:
  /// Throws cai::Error unless mean is finite and variance is finite and positive.
  UnivariateGaussian(double mean, double variance);
  /// N(mean, exp(log_scale)^2): the variational parameterisation.
  static UnivariateGaussian FromLogScale(double mean, double log_scale);

  double mean() const { return mean_; }
  double variance() const { return variance_; }
  double stddev() const { return stddev_; }

  /// log N(x; mean, variance) = -(x - mean)^2 / (2 variance) - log(2 pi variance) / 2.
  double LogDensity(double x) const;
  /// z = mean + stddev * eps: the reparameterisation of a draw from eps ~ N(0, 1).
  double Reparameterize(double eps) const { return mean_ + stddev_ * eps; }
  /// A draw: Reparameterize(rng.Normal()).
  double Sample(Rng& rng) const { return Reparameterize(rng.Normal()); }
  /// Differential entropy log(2 pi e variance) / 2 in nats.
  double Entropy() const;

 private:
  double mean_;
  double variance_;
  double stddev_;
};

/// KL(q || p) = log(sigma_p / sigma_q) + (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2) - 1/2.
double KlDivergence(const UnivariateGaussian& q, const UnivariateGaussian& p);

/// N(mean, diag(stddev^2)) in d dimensions (independent coordinates: the mean-field family).
class DiagonalGaussian {
 public:
  /// Throws cai::Error unless the sizes agree (d >= 1), the mean is finite and every standard
  /// deviation is finite and positive.
  DiagonalGaussian(Eigen::VectorXd mean, Eigen::VectorXd stddev);
  /// N(mean, diag(exp(2 log_scale))).
  static DiagonalGaussian FromLogScale(Eigen::VectorXd mean, const Eigen::VectorXd& log_scale);

  int dim() const { return static_cast<int>(mean_.size()); }
  const Eigen::VectorXd& mean() const { return mean_; }
  const Eigen::VectorXd& stddev() const { return stddev_; }
  Eigen::VectorXd variance() const { return stddev_.array().square(); }

  /// sum_i log N(x_i; mean_i, stddev_i^2). Throws cai::Error if x has the wrong size.
  double LogDensity(const Eigen::VectorXd& x) const;
  /// z = mean + stddev .* eps.
  Eigen::VectorXd Reparameterize(const Eigen::VectorXd& eps) const;
  Eigen::VectorXd Sample(Rng& rng) const;
  /// sum_i log(2 pi e stddev_i^2) / 2.
  double Entropy() const;

 private:
  Eigen::VectorXd mean_;
  Eigen::VectorXd stddev_;
};

/// Sum of the univariate KLs. Throws cai::Error when the dimensions differ.
double KlDivergence(const DiagonalGaussian& q, const DiagonalGaussian& p);

/// N(mean, L L^T) in d dimensions, L lower triangular with a positive diagonal (the Cholesky
/// factor of the covariance).
class MultivariateGaussian {
 public:
  /// From a covariance matrix: throws cai::Error unless it is square of the mean's size, finite,
  /// symmetric (to 1e-12 relative) and positive definite.
  static MultivariateGaussian FromCovariance(Eigen::VectorXd mean,
                                             const Eigen::MatrixXd& covariance);
  /// From a Cholesky factor: throws cai::Error unless it is square of the mean's size, finite,
  /// lower triangular and has a positive diagonal.
  static MultivariateGaussian FromCholesky(Eigen::VectorXd mean, Eigen::MatrixXd cholesky);
  /// The diagonal Gaussian as a member of this family.
  static MultivariateGaussian FromDiagonal(const DiagonalGaussian& g);

  int dim() const { return static_cast<int>(mean_.size()); }
  const Eigen::VectorXd& mean() const { return mean_; }
  const Eigen::MatrixXd& cholesky() const { return chol_; }
  Eigen::MatrixXd covariance() const { return chol_ * chol_.transpose(); }
  /// log det(covariance) = 2 sum_i log L_ii.
  double LogDeterminant() const;

  /// -(x - mean)^T Sigma^{-1} (x - mean) / 2 - log det(2 pi Sigma) / 2, by a triangular solve.
  double LogDensity(const Eigen::VectorXd& x) const;
  /// Gradient of LogDensity in x: -Sigma^{-1} (x - mean).
  Eigen::VectorXd LogDensityGradient(const Eigen::VectorXd& x) const;
  /// z = mean + L eps.
  Eigen::VectorXd Reparameterize(const Eigen::VectorXd& eps) const;
  Eigen::VectorXd Sample(Rng& rng) const;
  /// log det(2 pi e Sigma) / 2.
  double Entropy() const;
  /// Sigma^{-1} v by two triangular solves.
  Eigen::VectorXd SolveCovariance(const Eigen::VectorXd& v) const;
  Eigen::MatrixXd SolveCovariance(const Eigen::MatrixXd& v) const;

 private:
  MultivariateGaussian(Eigen::VectorXd mean, Eigen::MatrixXd chol);
  Eigen::VectorXd mean_;
  Eigen::MatrixXd chol_;
};

/// KL(q || p) = (tr(Sp^{-1} Sq) + (mp - mq)^T Sp^{-1} (mp - mq) - d + log det Sp - log det Sq) / 2,
/// through the Cholesky factors. Throws cai::Error when the dimensions differ.
double KlDivergence(const MultivariateGaussian& q, const MultivariateGaussian& p);

}  // namespace cai
