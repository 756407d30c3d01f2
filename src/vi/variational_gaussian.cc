#include "cai/vi/variational_gaussian.h"

#include <cmath>
#include <utility>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {
namespace {

// Position of L(i, j), i > j, in the parameter vector.
int LowerIndex(int dim, int i, int j) { return 2 * dim + i * (i - 1) / 2 + j; }

}  // namespace

const char* GaussianFamilyName(GaussianFamily family) {
  return family == GaussianFamily::kDiagonal ? "diagonal" : "full";
}

int VariationalGaussian::NumParameters(GaussianFamily family, int dim) {
  return family == GaussianFamily::kDiagonal ? 2 * dim : 2 * dim + dim * (dim - 1) / 2;
}

VariationalGaussian::VariationalGaussian(GaussianFamily family, const Eigen::VectorXd& mean,
                                         const Eigen::VectorXd& log_scale)
    : family_(family) {
  if (mean.size() < 1) throw Error("mean: dimension 0 (expected at least 1)");
  if (log_scale.size() != mean.size()) {
    throw Error(fmt::format("log_scale: size {} does not match the mean's size {}",
                            log_scale.size(), mean.size()));
  }
  const int d = static_cast<int>(mean.size());
  Eigen::VectorXd p = Eigen::VectorXd::Zero(NumParameters(family, d));
  p.head(d) = mean;
  p.segment(d, d) = log_scale;
  mean_.resize(d);
  chol_.resize(d, d);
  set_parameters(p);
}

VariationalGaussian VariationalGaussian::FromParameters(GaussianFamily family, int dim,
                                                        const Eigen::VectorXd& parameters) {
  if (dim < 1) throw Error(fmt::format("dim: {} is invalid (expected at least 1)", dim));
  VariationalGaussian q(family, Eigen::VectorXd::Zero(dim), Eigen::VectorXd::Zero(dim));
  q.set_parameters(parameters);
  return q;
}

VariationalGaussian VariationalGaussian::FromGaussian(GaussianFamily family,
                                                      const MultivariateGaussian& g) {
  const int d = g.dim();
  const Eigen::MatrixXd& l = g.cholesky();
  if (family == GaussianFamily::kDiagonal) {
    for (int i = 0; i < d; ++i) {
      for (int j = 0; j < i; ++j) {
        if (l(i, j) != 0.0) {
          throw Error(fmt::format(
              "FromGaussian: covariance entry [{}][{}] is not 0 (the diagonal family needs a "
              "diagonal covariance)",
              i, j));
        }
      }
    }
  }
  Eigen::VectorXd p(NumParameters(family, d));
  p.head(d) = g.mean();
  p.segment(d, d) = l.diagonal().array().log().matrix();
  if (family == GaussianFamily::kFull) {
    for (int i = 0; i < d; ++i) {
      for (int j = 0; j < i; ++j) p[LowerIndex(d, i, j)] = l(i, j);
    }
  }
  return FromParameters(family, d, p);
}

void VariationalGaussian::set_parameters(const Eigen::VectorXd& parameters) {
  const int d = dim();
  if (parameters.size() != NumParameters(family_, d)) {
    throw Error(fmt::format("parameters: size {} is invalid (expected {} for a {} Gaussian in {} "
                            "dimensions)",
                            parameters.size(), NumParameters(family_, d),
                            GaussianFamilyName(family_), d));
  }
  for (Eigen::Index i = 0; i < parameters.size(); ++i) {
    if (!std::isfinite(parameters[i])) {
      throw Error(fmt::format("parameters[{}]: {} is not finite", i, parameters[i]));
    }
  }
  for (int i = 0; i < d; ++i) {
    if (!std::isfinite(std::exp(parameters[d + i])) || std::exp(parameters[d + i]) <= 0.0) {
      throw Error(fmt::format("log_scale[{}]: {} is out of range (exp overflows or underflows)", i,
                              parameters[d + i]));
    }
  }
  params_ = parameters;
  Unpack();
}

void VariationalGaussian::Unpack() {
  const int d = dim();
  mean_ = params_.head(d);
  chol_.setZero();
  for (int i = 0; i < d; ++i) {
    chol_(i, i) = std::exp(params_[d + i]);
    if (family_ == GaussianFamily::kFull) {
      for (int j = 0; j < i; ++j) chol_(i, j) = params_[LowerIndex(d, i, j)];
    }
  }
}

MultivariateGaussian VariationalGaussian::ToGaussian() const {
  return MultivariateGaussian::FromCholesky(mean_, chol_);
}

Eigen::VectorXd VariationalGaussian::Reparameterize(const Eigen::VectorXd& eps) const {
  return mean_ + chol_.triangularView<Eigen::Lower>() * eps;
}

double VariationalGaussian::LogDensity(const Eigen::VectorXd& z) const {
  return ToGaussian().LogDensity(z);
}

Eigen::VectorXd VariationalGaussian::ReparameterizationGradient(const Eigen::VectorXd& eps,
                                                                const Eigen::VectorXd& g) const {
  const int d = dim();
  Eigen::VectorXd out(num_parameters());
  out.head(d) = g;
  for (int i = 0; i < d; ++i) out[d + i] = g[i] * chol_(i, i) * eps[i];
  if (family_ == GaussianFamily::kFull) {
    for (int i = 0; i < d; ++i) {
      for (int j = 0; j < i; ++j) out[LowerIndex(d, i, j)] = g[i] * eps[j];
    }
  }
  return out;
}

Eigen::VectorXd VariationalGaussian::ScoreGradient(const Eigen::VectorXd& eps) const {
  const int d = dim();
  // log q(z) = -||L^-1 (z - mean)||^2 / 2 - sum log L_ii - const; at z = mean + L eps the
  // derivative in mean is L^-T eps = u, in L it is u eps^T - diag(1 / L_ii) (lower part).
  const Eigen::VectorXd u = chol_.transpose().triangularView<Eigen::Upper>().solve(eps);
  Eigen::VectorXd out(num_parameters());
  out.head(d) = u;
  for (int i = 0; i < d; ++i) out[d + i] = u[i] * eps[i] * chol_(i, i) - 1.0;
  if (family_ == GaussianFamily::kFull) {
    for (int i = 0; i < d; ++i) {
      for (int j = 0; j < i; ++j) out[LowerIndex(d, i, j)] = u[i] * eps[j];
    }
  }
  return out;
}

double VariationalGaussian::Entropy() const { return ToGaussian().Entropy(); }

Eigen::VectorXd VariationalGaussian::EntropyGradient() const {
  Eigen::VectorXd out = Eigen::VectorXd::Zero(num_parameters());
  out.segment(dim(), dim()).setOnes();
  return out;
}

double VariationalGaussian::KlTo(const MultivariateGaussian& p, Eigen::VectorXd* gradient) const {
  const MultivariateGaussian q = ToGaussian();
  const double kl = KlDivergence(q, p);
  if (gradient != nullptr) {
    const int d = dim();
    Eigen::VectorXd& out = *gradient;
    out.resize(num_parameters());
    out.head(d) = p.SolveCovariance(Eigen::VectorXd(mean_ - p.mean()));
    const Eigen::MatrixXd m = p.SolveCovariance(chol_);  // Sp^-1 L
    for (int i = 0; i < d; ++i) out[d + i] = m(i, i) * chol_(i, i) - 1.0;
    if (family_ == GaussianFamily::kFull) {
      for (int i = 0; i < d; ++i) {
        for (int j = 0; j < i; ++j) out[LowerIndex(d, i, j)] = m(i, j);
      }
    }
  }
  return kl;
}

}  // namespace cai
