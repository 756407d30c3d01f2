// Latent-variable models p(z) p(x | z) with the observation x fixed: what the ELBO estimators and
// the fitting loop need. Two kinds ship with cai: linear-Gaussian models in any dimension (exact
// posterior and evidence in closed form) and a logistic-Bernoulli coin model (non-conjugate;
// evidence by quadrature).
#pragma once

#include <Eigen/Core>

#include "cai/vi/gaussian.h"
#include "cai/vi/variational_gaussian.h"

namespace cai {

class LatentModel {
 public:
  virtual ~LatentModel() = default;
  virtual int dim() const = 0;
  /// The prior p(z); Gaussian for every model here, so KL(q || p(z)) has a closed form.
  virtual const MultivariateGaussian& prior() const = 0;
  /// log p(x | z).
  virtual double LogLikelihood(const Eigen::VectorXd& z) const = 0;
  /// d/dz log p(x | z).
  virtual Eigen::VectorXd LogLikelihoodGradient(const Eigen::VectorXd& z) const = 0;
  /// Whether ExpectedLogLikelihood has a closed form (the closed-form ELBO estimator needs it).
  virtual bool has_closed_form_expectation() const { return false; }
  /// E_q[log p(x | z)] and, if gradient is not null, its gradient in q's parameters. The default
  /// throws cai::Error (no closed form).
  virtual double ExpectedLogLikelihood(const VariationalGaussian& q,
                                       Eigen::VectorXd* gradient) const;
  /// log p(x, z) = log p(z) + log p(x | z).
  double LogJoint(const Eigen::VectorXd& z) const;
};

/// z ~ N(m0, S0), x | z ~ N(A z + b, Sx): z in d dimensions, x in n.
class LinearGaussianModel {
 public:
  /// Throws cai::Error on mismatched shapes (A must be n x d) or non-finite entries.
  LinearGaussianModel(MultivariateGaussian prior, Eigen::MatrixXd a, Eigen::VectorXd b,
                      MultivariateGaussian noise);
  /// The scalar model z ~ N(prior_mean, prior_var), x | z ~ N(z, lik_var) of the lesson.
  static LinearGaussianModel Scalar(double prior_mean, double prior_var, double lik_var);

  int latent_dim() const { return prior_.dim(); }
  int observed_dim() const { return static_cast<int>(b_.size()); }
  const MultivariateGaussian& prior() const { return prior_; }
  const Eigen::MatrixXd& a() const { return a_; }
  const Eigen::VectorXd& b() const { return b_; }
  /// N(0, Sx).
  const MultivariateGaussian& noise() const { return noise_; }

  /// p(z | x) by completing the square: precision S0^-1 + A^T Sx^-1 A,
  /// mean = covariance (S0^-1 m0 + A^T Sx^-1 (x - b)).
  MultivariateGaussian Posterior(const Eigen::VectorXd& x) const;
  /// p(x) = N(A m0 + b, A S0 A^T + Sx).
  MultivariateGaussian Marginal() const;
  /// log p(x).
  double LogEvidence(const Eigen::VectorXd& x) const;
  /// log p(x | z) and its gradient in z, A^T Sx^-1 (x - A z - b).
  double LogLikelihood(const Eigen::VectorXd& x, const Eigen::VectorXd& z) const;
  Eigen::VectorXd LogLikelihoodGradient(const Eigen::VectorXd& x, const Eigen::VectorXd& z) const;
  /// E_q[log p(x | z)] = log N(x; A mu + b, Sx) - tr(Sx^-1 A L L^T A^T) / 2, with its gradient in
  /// q's parameters (mean: A^T Sx^-1 (x - A mu - b); L: the lower part of -A^T Sx^-1 A L).
  double ExpectedLogLikelihood(const Eigen::VectorXd& x, const VariationalGaussian& q,
                               Eigen::VectorXd* gradient = nullptr) const;
  /// The closed-form ELBO E_q[log p(x|z)] - KL(q || p(z)).
  double Elbo(const Eigen::VectorXd& x, const VariationalGaussian& q) const;

 private:
  void CheckObservation(const Eigen::VectorXd& x) const;
  MultivariateGaussian prior_;
  Eigen::MatrixXd a_;
  Eigen::VectorXd b_;
  MultivariateGaussian noise_;
};

/// A linear-Gaussian model with its observation x: a LatentModel with a closed-form expectation.
class ObservedLinearGaussian : public LatentModel {
 public:
  /// Throws cai::Error if x has the wrong size or is not finite.
  ObservedLinearGaussian(LinearGaussianModel model, Eigen::VectorXd x);
  int dim() const override { return model_.latent_dim(); }
  const MultivariateGaussian& prior() const override { return model_.prior(); }
  double LogLikelihood(const Eigen::VectorXd& z) const override;
  Eigen::VectorXd LogLikelihoodGradient(const Eigen::VectorXd& z) const override;
  bool has_closed_form_expectation() const override { return true; }
  double ExpectedLogLikelihood(const VariationalGaussian& q,
                               Eigen::VectorXd* gradient) const override;
  const LinearGaussianModel& model() const { return model_; }
  const Eigen::VectorXd& x() const { return x_; }
  MultivariateGaussian Posterior() const { return model_.Posterior(x_); }
  double LogEvidence() const { return model_.LogEvidence(x_); }

 private:
  LinearGaussianModel model_;
  Eigen::VectorXd x_;
};

/// A coin with an unknown logit: z ~ N(prior_mean, prior_var), and `heads` of `flips` i.i.d.
/// tosses x_i ~ Bernoulli(sigmoid(z)) came up heads (a sequence, so no binomial coefficient):
/// log p(x | z) = heads log sigmoid(z) + (flips - heads) log sigmoid(-z). Not conjugate: the
/// evidence and the posterior come from quadrature.
class LogisticBernoulliModel : public LatentModel {
 public:
  /// Throws cai::Error unless prior_var > 0, flips >= 0 and 0 <= heads <= flips.
  LogisticBernoulliModel(double prior_mean, double prior_var, int heads, int flips);
  int dim() const override { return 1; }
  const MultivariateGaussian& prior() const override { return prior_; }
  double LogLikelihood(const Eigen::VectorXd& z) const override;
  Eigen::VectorXd LogLikelihoodGradient(const Eigen::VectorXd& z) const override;
  double LogLikelihood(double z) const;

  int heads() const { return heads_; }
  int flips() const { return flips_; }
  /// The posterior mode and 1 / sqrt(-d^2/dz^2 log p(x, z)) there (Newton's method).
  double Mode() const { return mode_; }
  double LaplaceScale() const { return laplace_scale_; }
  /// log p(x) = log integral p(z) p(x | z) dz by the trapezoid rule on mode +- 60 Laplace scales
  /// (the integrand is analytic and log-concave, so the rule converges geometrically; relative
  /// error below 1e-12).
  double LogEvidence() const { return log_evidence_; }
  /// E_q[log p(x | z)] for a univariate q by 64-point Gauss-Hermite quadrature.
  double ExpectedLogLikelihoodQuadrature(const UnivariateGaussian& q) const;
  /// KL(q || p(z | x)) by quadrature (the same trapezoid grid).
  double KlToPosterior(const UnivariateGaussian& q) const;

 private:
  double ComputeLogEvidence() const;
  MultivariateGaussian prior_;
  int heads_;
  int flips_;
  double mode_ = 0.0;
  double laplace_scale_ = 1.0;
  double log_evidence_ = 0.0;
};

/// Nodes and weights of the n-point Gauss-Hermite rule for the standard normal:
/// E[f(eps)] ~ sum_i w_i f(x_i), exact for polynomials of degree < 2n; 1 <= n <= 150. Nodes by
/// Golub-Welsch polished by Newton; weights accurate to a few ulps relative (also in the tails).
struct QuadratureRule {
  Eigen::VectorXd nodes;
  Eigen::VectorXd weights;
};
QuadratureRule GaussHermiteNormal(int n);

}  // namespace cai
