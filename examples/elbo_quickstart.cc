// The ELBO of the lesson's example by an estimator, then q fitted to the posterior (README's
// "Variational inference" snippet as a whole program).
#include <cstdio>

#include "cai/vi/elbo.h"

int main() {
  cai::ObservedLinearGaussian model(cai::LinearGaussianModel::Scalar(0.0, 1.0, 1.0),  // z ~ N(0,1), x|z ~ N(z,1)
                                    Eigen::VectorXd::Constant(1, 1.0));              // x = 1
  cai::VariationalGaussian q(cai::GaussianFamily::kDiagonal, Eigen::VectorXd::Constant(1, 0.3),
                             Eigen::VectorXd::Zero(1));                                // N(0.3, 1)
  cai::Rng rng(0);
  cai::ElboOptions options;
  options.estimator = cai::ElboEstimator::kScoreFunction;  // or kReparameterization, kClosedForm
  options.baseline = true;                                 // leave-one-out
  options.samples = 100;
  cai::ElboEstimate e = cai::EstimateElbo(model, q, options, rng);
  std::printf("ELBO: exact %.6f, score-function estimate %.6f +- %.6f\n",
              model.model().Elbo(model.x(), q), e.value, e.ValueStandardError());
  cai::FitOptions fit_options;  // Adam on the reparameterisation gradient by default
  fit_options.steps = 2000;
  fit_options.final_learning_rate = 5e-4;
  cai::FitResult fit = cai::FitElbo(model, q, fit_options);
  const auto post = model.Posterior();
  std::printf("fitted q = N(%.4f, %.4f); posterior N(%.4f, %.4f); log p(x) = %.6f\n",
              fit.q.mean()[0], fit.q.cholesky()(0, 0) * fit.q.cholesky()(0, 0), post.mean()[0],
              post.covariance()(0, 0), model.LogEvidence());
  return 0;
}
