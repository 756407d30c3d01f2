// The variational family q(z) = N(mean, L L^T) as a flat parameter vector, with the derivatives
// that ELBO estimators need: the chain rule of the reparameterisation, the score, and the
// closed-form entropy and KL to a Gaussian prior with their gradients.
#pragma once

#include <Eigen/Core>

#include "cai/vi/gaussian.h"

namespace cai {

/// Which covariance q may have.
enum class GaussianFamily {
  kDiagonal,  ///< mean-field: L = diag(exp(log_scale))
  kFull,      ///< L lower triangular, diag(L) = exp(log_scale), strictly lower entries free
};

/// "diagonal" or "full".
const char* GaussianFamilyName(GaussianFamily family);

/// q(z) = N(mean, L L^T) in d dimensions. Parameters, in this order: mean (d), log_scale (d, the
/// log of diag(L)), and for the full family the strictly lower entries of L row by row
/// (L(1,0), L(2,0), L(2,1), ...: d (d - 1) / 2).
class VariationalGaussian {
 public:
  /// L = diag(exp(log_scale)). Throws cai::Error on mismatched sizes or non-finite values.
  VariationalGaussian(GaussianFamily family, const Eigen::VectorXd& mean,
                      const Eigen::VectorXd& log_scale);
  /// From a parameter vector in the layout above; throws cai::Error naming a bad size or value.
  static VariationalGaussian FromParameters(GaussianFamily family, int dim,
                                            const Eigen::VectorXd& parameters);
  /// The member equal to g. The diagonal family needs a diagonal covariance (throws otherwise).
  static VariationalGaussian FromGaussian(GaussianFamily family, const MultivariateGaussian& g);

  GaussianFamily family() const { return family_; }
  int dim() const { return static_cast<int>(mean_.size()); }
  static int NumParameters(GaussianFamily family, int dim);
  int num_parameters() const { return static_cast<int>(params_.size()); }
  const Eigen::VectorXd& parameters() const { return params_; }
  /// Replaces the parameters (same layout and size); throws cai::Error on a bad size or value.
  void set_parameters(const Eigen::VectorXd& parameters);

  const Eigen::VectorXd& mean() const { return mean_; }
  Eigen::VectorXd log_scale() const { return params_.segment(dim(), dim()); }
  const Eigen::MatrixXd& cholesky() const { return chol_; }
  MultivariateGaussian ToGaussian() const;

  /// z = mean + L eps.
  Eigen::VectorXd Reparameterize(const Eigen::VectorXd& eps) const;
  /// log q(z).
  double LogDensity(const Eigen::VectorXd& z) const;
  /// Chain rule through z = mean + L eps: given g = df/dz at that z, the gradient of f in the
  /// parameters (mean: g; log_scale_i: g_i L_ii eps_i; L_ij: g_i eps_j).
  Eigen::VectorXd ReparameterizationGradient(const Eigen::VectorXd& eps,
                                             const Eigen::VectorXd& g) const;
  /// The score: the gradient in the parameters of log q(z) at z = mean + L eps, with u = L^-T eps
  /// (mean: u; log_scale_i: u_i eps_i L_ii - 1; L_ij: u_i eps_j).
  Eigen::VectorXd ScoreGradient(const Eigen::VectorXd& eps) const;
  /// Entropy sum_i log_scale_i + d (1 + log 2 pi) / 2; its gradient is 1 in each log_scale.
  double Entropy() const;
  Eigen::VectorXd EntropyGradient() const;
  /// KL(q || p) in closed form and, if gradient is not null, its gradient in the parameters
  /// (mean: Sp^-1 (mean - mp); for L: the lower part of Sp^-1 L - diag(1 / L_ii)). Throws
  /// cai::Error when the dimensions differ.
  double KlTo(const MultivariateGaussian& p, Eigen::VectorXd* gradient = nullptr) const;

 private:
  void Unpack();
  GaussianFamily family_;
  Eigen::VectorXd params_;
  Eigen::VectorXd mean_;
  Eigen::MatrixXd chol_;
};

}  // namespace cai
