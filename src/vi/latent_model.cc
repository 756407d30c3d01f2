#include "cai/vi/latent_model.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"

namespace cai {
namespace {

Eigen::VectorXd One(double z) { return Eigen::VectorXd::Constant(1, z); }

}  // namespace

// ---- LatentModel ----

double LatentModel::ExpectedLogLikelihood(const VariationalGaussian&, Eigen::VectorXd*) const {
  throw Error("this model has no closed-form E_q[log p(x|z)] (use a Monte Carlo estimator)");
}

double LatentModel::LogJoint(const Eigen::VectorXd& z) const {
  return prior().LogDensity(z) + LogLikelihood(z);
}

// ---- LinearGaussianModel ----

LinearGaussianModel::LinearGaussianModel(MultivariateGaussian prior, Eigen::MatrixXd a,
                                         Eigen::VectorXd b, MultivariateGaussian noise)
    : prior_(std::move(prior)), a_(std::move(a)), b_(std::move(b)), noise_(std::move(noise)) {
  if (a_.cols() != prior_.dim()) {
    throw Error(fmt::format("A: {} columns do not match the latent dimension {}", a_.cols(),
                            prior_.dim()));
  }
  if (a_.rows() != b_.size()) {
    throw Error(fmt::format("A: {} rows do not match the size of b, {}", a_.rows(), b_.size()));
  }
  if (noise_.dim() != b_.size()) {
    throw Error(fmt::format("noise: dimension {} does not match the size of b, {}", noise_.dim(),
                            b_.size()));
  }
  if (!a_.allFinite()) throw Error("A: has a non-finite entry");
  if (!b_.allFinite()) throw Error("b: has a non-finite entry");
  if (noise_.mean().squaredNorm() != 0.0) throw Error("noise: the mean must be 0");
}

LinearGaussianModel LinearGaussianModel::Scalar(double prior_mean, double prior_var,
                                                double lik_var) {
  if (!(std::isfinite(prior_var) && prior_var > 0.0)) {
    throw Error(fmt::format("prior variance: {} is invalid (expected a finite number > 0)",
                            prior_var));
  }
  if (!(std::isfinite(lik_var) && lik_var > 0.0)) {
    throw Error(fmt::format("likelihood variance: {} is invalid (expected a finite number > 0)",
                            lik_var));
  }
  if (!std::isfinite(prior_mean)) {
    throw Error(fmt::format("prior mean: {} is not finite", prior_mean));
  }
  return LinearGaussianModel(
      MultivariateGaussian::FromCovariance(One(prior_mean), Eigen::MatrixXd::Constant(1, 1, prior_var)),
      Eigen::MatrixXd::Identity(1, 1), Eigen::VectorXd::Zero(1),
      MultivariateGaussian::FromCovariance(Eigen::VectorXd::Zero(1),
                                           Eigen::MatrixXd::Constant(1, 1, lik_var)));
}

void LinearGaussianModel::CheckObservation(const Eigen::VectorXd& x) const {
  if (x.size() != b_.size()) {
    throw Error(fmt::format("x: size {} does not match the observed dimension {}", x.size(),
                            b_.size()));
  }
  if (!x.allFinite()) throw Error("x: has a non-finite entry");
}

MultivariateGaussian LinearGaussianModel::Posterior(const Eigen::VectorXd& x) const {
  CheckObservation(x);
  const Eigen::MatrixXd sx_inv_a = noise_.SolveCovariance(a_);
  const Eigen::MatrixXd s0_inv = prior_.SolveCovariance(
      Eigen::MatrixXd(Eigen::MatrixXd::Identity(latent_dim(), latent_dim())));
  Eigen::MatrixXd precision = s0_inv + a_.transpose() * sx_inv_a;
  precision = 0.5 * (precision + precision.transpose());
  const Eigen::VectorXd rhs =
      prior_.SolveCovariance(prior_.mean()) + sx_inv_a.transpose() * (x - b_);
  const Eigen::LLT<Eigen::MatrixXd> llt(precision);
  const Eigen::VectorXd mean = llt.solve(rhs);
  Eigen::MatrixXd cov = llt.solve(Eigen::MatrixXd::Identity(latent_dim(), latent_dim()));
  cov = 0.5 * (cov + cov.transpose());
  return MultivariateGaussian::FromCovariance(mean, cov);
}

MultivariateGaussian LinearGaussianModel::Marginal() const {
  Eigen::MatrixXd cov = a_ * prior_.covariance() * a_.transpose() + noise_.covariance();
  cov = 0.5 * (cov + cov.transpose());
  return MultivariateGaussian::FromCovariance(a_ * prior_.mean() + b_, cov);
}

double LinearGaussianModel::LogEvidence(const Eigen::VectorXd& x) const {
  CheckObservation(x);
  return Marginal().LogDensity(x);
}

double LinearGaussianModel::LogLikelihood(const Eigen::VectorXd& x,
                                          const Eigen::VectorXd& z) const {
  return noise_.LogDensity(x - a_ * z - b_);
}

Eigen::VectorXd LinearGaussianModel::LogLikelihoodGradient(const Eigen::VectorXd& x,
                                                           const Eigen::VectorXd& z) const {
  return a_.transpose() * noise_.SolveCovariance(Eigen::VectorXd(x - a_ * z - b_));
}

double LinearGaussianModel::ExpectedLogLikelihood(const Eigen::VectorXd& x,
                                                  const VariationalGaussian& q,
                                                  Eigen::VectorXd* gradient) const {
  CheckObservation(x);
  if (q.dim() != latent_dim()) {
    throw Error(fmt::format("q: dimension {} does not match the latent dimension {}", q.dim(),
                            latent_dim()));
  }
  const Eigen::MatrixXd& l = q.cholesky();
  const Eigen::VectorXd residual = x - a_ * q.mean() - b_;
  // tr(Sx^-1 A L L^T A^T) = ||Lx^-1 A L||_F^2.
  const Eigen::MatrixXd al = a_ * l;
  const Eigen::MatrixXd w = noise_.cholesky().triangularView<Eigen::Lower>().solve(al);
  const double value = noise_.LogDensity(residual) - 0.5 * w.squaredNorm();
  if (gradient != nullptr) {
    const int d = latent_dim();
    Eigen::VectorXd& g = *gradient;
    g.resize(q.num_parameters());
    g.head(d) = a_.transpose() * noise_.SolveCovariance(residual);
    const Eigen::MatrixXd m = -(a_.transpose() * noise_.SolveCovariance(al));  // d/dL
    for (int i = 0; i < d; ++i) g[d + i] = m(i, i) * l(i, i);
    if (q.family() == GaussianFamily::kFull) {
      int k = 2 * d;
      for (int i = 0; i < d; ++i) {
        for (int j = 0; j < i; ++j) g[k++] = m(i, j);
      }
    }
  }
  return value;
}

double LinearGaussianModel::Elbo(const Eigen::VectorXd& x, const VariationalGaussian& q) const {
  return ExpectedLogLikelihood(x, q) - q.KlTo(prior_);
}

ObservedLinearGaussian::ObservedLinearGaussian(LinearGaussianModel model, Eigen::VectorXd x)
    : model_(std::move(model)), x_(std::move(x)) {
  if (x_.size() != model_.observed_dim()) {
    throw Error(fmt::format("x: size {} does not match the observed dimension {}", x_.size(),
                            model_.observed_dim()));
  }
  if (!x_.allFinite()) throw Error("x: has a non-finite entry");
}

double ObservedLinearGaussian::LogLikelihood(const Eigen::VectorXd& z) const {
  return model_.LogLikelihood(x_, z);
}

Eigen::VectorXd ObservedLinearGaussian::LogLikelihoodGradient(const Eigen::VectorXd& z) const {
  return model_.LogLikelihoodGradient(x_, z);
}

double ObservedLinearGaussian::ExpectedLogLikelihood(const VariationalGaussian& q,
                                                     Eigen::VectorXd* gradient) const {
  return model_.ExpectedLogLikelihood(x_, q, gradient);
}

// ---- LogisticBernoulliModel ----

LogisticBernoulliModel::LogisticBernoulliModel(double prior_mean, double prior_var, int heads,
                                               int flips)
    : prior_(MultivariateGaussian::FromCovariance(
          One(prior_mean), Eigen::MatrixXd::Constant(
                               1, 1, std::isfinite(prior_var) && prior_var > 0.0 ? prior_var : 1.0))),
      heads_(heads),
      flips_(flips) {
  if (!(std::isfinite(prior_var) && prior_var > 0.0)) {
    throw Error(fmt::format("prior variance: {} is invalid (expected a finite number > 0)",
                            prior_var));
  }
  if (flips < 0) throw Error(fmt::format("flips: {} is negative", flips));
  if (heads < 0 || heads > flips) {
    throw Error(fmt::format("heads: {} is invalid (expected 0 to flips = {})", heads, flips));
  }
  // The mode of the log-concave log p(x, z): h'(z) = -(z - m0) / v0 + heads - flips sigmoid(z) is
  // decreasing; Newton's method with a bisection safeguard on a bracket.
  auto slope = [&](double z) { return -(z - prior_mean) / prior_var + heads - flips * Sigmoid(z); };
  double lo = prior_mean - 1.0;
  double hi = prior_mean + 1.0;
  while (slope(lo) < 0.0) lo -= 2.0 * (hi - lo);
  while (slope(hi) > 0.0) hi += 2.0 * (hi - lo);
  double z = 0.5 * (lo + hi);
  for (int it = 0; it < 200; ++it) {
    const double g = slope(z);
    if (g > 0.0) lo = z; else hi = z;
    const double curvature = -1.0 / prior_var - flips * Sigmoid(z) * Sigmoid(-z);
    double next = z - g / curvature;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - z) <= 1e-15 * (1.0 + std::abs(z))) {
      z = next;
      break;
    }
    z = next;
  }
  mode_ = z;
  laplace_scale_ = 1.0 / std::sqrt(1.0 / prior_var + flips * Sigmoid(z) * Sigmoid(-z));
  log_evidence_ = ComputeLogEvidence();
}

double LogisticBernoulliModel::LogLikelihood(double z) const {
  return heads_ * LogSigmoid(z) + (flips_ - heads_) * LogSigmoid(-z);
}

double LogisticBernoulliModel::LogLikelihood(const Eigen::VectorXd& z) const {
  return LogLikelihood(z[0]);
}

Eigen::VectorXd LogisticBernoulliModel::LogLikelihoodGradient(const Eigen::VectorXd& z) const {
  return One(heads_ - flips_ * Sigmoid(z[0]));
}

namespace {

// A uniform grid covering [lo, hi] with the given step (at most 400001 points).
std::vector<double> Grid(double lo, double hi, double step) {
  const double n = std::min(400000.0, std::ceil((hi - lo) / step));
  std::vector<double> z(static_cast<std::size_t>(n) + 1);
  for (std::size_t k = 0; k < z.size(); ++k) z[k] = lo + (hi - lo) * static_cast<double>(k) / n;
  return z;
}

}  // namespace

double LogisticBernoulliModel::ComputeLogEvidence() const {
  const std::vector<double> z =
      Grid(mode_ - 60.0 * laplace_scale_, mode_ + 60.0 * laplace_scale_, laplace_scale_ / 32.0);
  std::vector<double> log_f(z.size());
  const double m0 = prior_.mean()[0];
  const double v0 = prior_.cholesky()(0, 0) * prior_.cholesky()(0, 0);
  const UnivariateGaussian prior(m0, v0);
  for (std::size_t k = 0; k < z.size(); ++k) log_f[k] = prior.LogDensity(z[k]) + LogLikelihood(z[k]);
  // Trapezoid: the end points carry weight 1/2 (they are negligible anyway).
  log_f.front() += std::log(0.5);
  log_f.back() += std::log(0.5);
  return std::log(z[1] - z[0]) + LogSumExp(log_f);
}

double LogisticBernoulliModel::ExpectedLogLikelihoodQuadrature(const UnivariateGaussian& q) const {
  static const QuadratureRule rule = GaussHermiteNormal(64);
  double sum = 0.0;
  for (Eigen::Index i = 0; i < rule.nodes.size(); ++i) {
    sum += rule.weights[i] * LogLikelihood(q.Reparameterize(rule.nodes[i]));
  }
  return sum;
}

double LogisticBernoulliModel::KlToPosterior(const UnivariateGaussian& q) const {
  const double lo = std::min(mode_ - 60.0 * laplace_scale_, q.mean() - 40.0 * q.stddev());
  const double hi = std::max(mode_ + 60.0 * laplace_scale_, q.mean() + 40.0 * q.stddev());
  const std::vector<double> z = Grid(lo, hi, std::min(laplace_scale_, q.stddev()) / 32.0);
  const double log_evidence = LogEvidence();
  const UnivariateGaussian prior(prior_.mean()[0],
                                 prior_.cholesky()(0, 0) * prior_.cholesky()(0, 0));
  const double step = z[1] - z[0];
  double kl = 0.0;
  for (double zk : z) {
    const double log_q = q.LogDensity(zk);
    const double log_post = prior.LogDensity(zk) + LogLikelihood(zk) - log_evidence;
    kl += std::exp(log_q) * (log_q - log_post);
  }
  return kl * step;
}

QuadratureRule GaussHermiteNormal(int n) {
  if (n < 1 || n > 150) {
    throw Error(fmt::format("Gauss-Hermite: {} nodes is invalid (expected 1 to 150)", n));
  }
  // Golub-Welsch for the nodes: the Jacobi matrix of the probabilists' Hermite polynomials has zero
  // diagonal and off-diagonal sqrt(k); its eigenvalues are the nodes. Each node is then polished by
  // Newton's method on the orthonormal p_n (p_n' = sqrt(n) p_{n-1}), and the weight taken as the
  // Christoffel number 1 / sum_{k<n} p_k(x)^2, which is accurate relative to itself even in the tails
  // (the eigenvectors' first components are accurate only in absolute terms).
  Eigen::MatrixXd j = Eigen::MatrixXd::Zero(n, n);
  for (int k = 1; k < n; ++k) j(k, k - 1) = j(k - 1, k) = std::sqrt(static_cast<double>(k));
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(j, Eigen::EigenvaluesOnly);
  QuadratureRule rule;
  rule.nodes = eig.eigenvalues();
  rule.weights.resize(n);
  // p_0 .. p_n at x (orthonormal: p_{k+1} = (x p_k - sqrt(k) p_{k-1}) / sqrt(k + 1)); returns
  // p_n, p_{n-1} and sum_{k<n} p_k^2.
  auto evaluate = [n](double x, double& pn, double& pn1, double& sum_sq) {
    double prev = 0.0;
    double cur = 1.0;  // p_0
    sum_sq = 0.0;
    for (int k = 0; k < n; ++k) {
      sum_sq += cur * cur;
      const double next = (x * cur - std::sqrt(static_cast<double>(k)) * prev) /
                          std::sqrt(static_cast<double>(k + 1));
      prev = cur;
      cur = next;
    }
    pn = cur;
    pn1 = prev;
  };
  for (int i = 0; i < n; ++i) {
    double x = rule.nodes[i];
    double pn = 0.0;
    double pn1 = 0.0;
    double sum_sq = 0.0;
    for (int it = 0; it < 3; ++it) {
      evaluate(x, pn, pn1, sum_sq);
      if (pn1 != 0.0) x -= pn / (std::sqrt(static_cast<double>(n)) * pn1);
    }
    evaluate(x, pn, pn1, sum_sq);
    rule.nodes[i] = x;
    rule.weights[i] = 1.0 / sum_sq;
  }
  return rule;
}

}  // namespace cai
