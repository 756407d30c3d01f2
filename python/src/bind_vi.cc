// The variational-inference toolkit (module vi) as cai.vi: Gaussian families, the linear-Gaussian
// and logistic-Bernoulli latent models, ELBO estimators and FitElbo. Vectors and matrices are NumPy
// float64 arrays; draws take a seed (cai::Rng). No logic lives here: conversions and calls only.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <fmt/format.h>

#include "bindings.h"
#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/vi/elbo.h"
#include "cai/vi/gaussian.h"
#include "cai/vi/latent_model.h"
#include "cai/vi/variational_gaussian.h"

namespace cai::python {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::VectorXd VectorFrom(const py::handle& a, const std::string& field, py::ssize_t size = -1) {
  std::vector<double> v = DoublesFrom(a, field, {size});
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

Eigen::MatrixXd MatrixFrom(const py::handle& a, const std::string& field, py::ssize_t rows = -1,
                           py::ssize_t cols = -1) {
  std::vector<double> v = DoublesFrom(a, field, {rows, cols});
  const std::vector<py::ssize_t> shape = ShapeOf(a);
  return Eigen::Map<const RowMatrix>(v.data(), static_cast<Eigen::Index>(shape[0]), static_cast<Eigen::Index>(shape[1]));
}

py::array_t<double> ToNumpy(const Eigen::VectorXd& v) {
  return ToArray(std::span<const double>(v.data(), static_cast<std::size_t>(v.size())), {v.size()});
}

py::array_t<double> ToNumpy(const Eigen::MatrixXd& m) {
  const RowMatrix r = m;
  return ToArray(std::span<const double>(r.data(), static_cast<std::size_t>(r.size())), {r.rows(), r.cols()});
}

GaussianFamily FamilyFrom(const std::string& name) {
  if (name == GaussianFamilyName(GaussianFamily::kDiagonal)) return GaussianFamily::kDiagonal;
  if (name == GaussianFamilyName(GaussianFamily::kFull)) return GaussianFamily::kFull;
  throw Error(fmt::format("family: \"{}\" is invalid (expected \"diagonal\" or \"full\")", name));
}

KlTerm KlFrom(const std::string& name) {
  if (name == "closed-form") return KlTerm::kClosedForm;
  if (name == "monte-carlo") return KlTerm::kMonteCarlo;
  throw Error(fmt::format("kl: \"{}\" is invalid (expected \"closed-form\" or \"monte-carlo\")", name));
}

ElboOptions ElboOptionsFrom(const std::string& estimator, int samples, bool baseline, const std::string& kl) {
  ElboOptions o;
  o.estimator = ParseElboEstimator(estimator);
  o.samples = samples;
  o.baseline = baseline;
  o.kl = KlFrom(kl);
  ValidateElboOptions(o);
  return o;
}

// n draws of `g` from Rng(seed), stacked along a first axis of n entries (or one draw if n is None).
template <typename G>
py::object Draws(const G& g, std::optional<int> n, std::uint64_t seed) {
  if (n && *n < 0) throw Error(fmt::format("n: {} is invalid (expected an integer >= 0)", *n));
  Rng rng(seed);
  const Eigen::Index d = g.dim();
  if (!n) return ToNumpy(Eigen::VectorXd(g.Sample(rng)));
  RowMatrix out(*n, d);
  for (int i = 0; i < *n; ++i) out.row(i) = g.Sample(rng).transpose();
  return ToArray(std::span<const double>(out.data(), static_cast<std::size_t>(out.size())), {*n, d});
}

py::tuple ValueAndGradient(double value, const Eigen::VectorXd& gradient) {
  return py::make_tuple(value, ToNumpy(gradient));
}

const char* kSampleDoc =
    "Draws from a cai.Rng seeded with `seed`: one draw, or an (n, dim) array if n is given (the same seed "
    "gives the same draws).";

}  // namespace

CAI_PYTHON_BINDINGS(40, vi) {
  py::module_ vi = m.def_submodule(
      "vi", "The variational-inference toolkit: Gaussian families, latent models with exact posteriors or "
            "quadrature, ELBO estimators and ELBO fitting by Adam.");

  py::class_<UnivariateGaussian>(vi, "UnivariateGaussian", "N(mean, variance) on the real line.")
      .def(py::init<double, double>(), py::arg("mean"), py::arg("variance"),
           "Raises CaiError unless mean is finite and variance finite and positive.")
      .def_static("from_log_scale", &UnivariateGaussian::FromLogScale, py::arg("mean"), py::arg("log_scale"),
                  "N(mean, exp(log_scale)^2): the variational parameterisation.")
      .def_property_readonly("mean", &UnivariateGaussian::mean)
      .def_property_readonly("variance", &UnivariateGaussian::variance)
      .def_property_readonly("stddev", &UnivariateGaussian::stddev)
      .def("log_density", py::vectorize(&UnivariateGaussian::LogDensity), py::arg("x"),
           "log N(x; mean, variance); x a number or an array (elementwise).")
      .def("reparameterize", py::vectorize(&UnivariateGaussian::Reparameterize), py::arg("eps"),
           "mean + stddev * eps (elementwise).")
      .def("sample", [](const UnivariateGaussian& g, std::optional<int> n, std::uint64_t seed) -> py::object {
        if (n && *n < 0) throw Error(fmt::format("n: {} is invalid (expected an integer >= 0)", *n));
        Rng rng(seed);
        if (!n) return py::float_(g.Sample(rng));
        std::vector<double> v(static_cast<std::size_t>(*n));
        for (double& x : v) x = g.Sample(rng);
        return ToArray(std::span<const double>(v), {*n});
      }, py::arg("n") = py::none(), py::arg("seed") = 0,
      "Draws from a cai.Rng seeded with `seed`: one number, or an (n,) array if n is given.")
      .def("entropy", &UnivariateGaussian::Entropy, "Differential entropy in nats.")
      .def("__repr__", [](const UnivariateGaussian& g) {
        return fmt::format("UnivariateGaussian(mean={}, variance={})", g.mean(), g.variance());
      });

  py::class_<DiagonalGaussian>(vi, "DiagonalGaussian", "N(mean, diag(stddev^2)): the mean-field family.")
      .def(py::init([](const py::object& mean, const py::object& stddev) {
             return DiagonalGaussian(VectorFrom(mean, "mean"), VectorFrom(stddev, "stddev"));
           }),
           py::arg("mean"), py::arg("stddev"),
           "Raises CaiError unless the sizes agree, the mean is finite and every stddev finite and positive.")
      .def_static("from_log_scale", [](const py::object& mean, const py::object& log_scale) {
        return DiagonalGaussian::FromLogScale(VectorFrom(mean, "mean"), VectorFrom(log_scale, "log_scale"));
      }, py::arg("mean"), py::arg("log_scale"), "N(mean, diag(exp(2 log_scale))).")
      .def_property_readonly("dim", &DiagonalGaussian::dim)
      .def_property_readonly("mean", [](const DiagonalGaussian& g) { return ToNumpy(g.mean()); })
      .def_property_readonly("stddev", [](const DiagonalGaussian& g) { return ToNumpy(g.stddev()); })
      .def_property_readonly("variance", [](const DiagonalGaussian& g) { return ToNumpy(g.variance()); })
      .def("log_density", [](const DiagonalGaussian& g, const py::object& x) {
        return g.LogDensity(VectorFrom(x, "x", g.dim()));
      }, py::arg("x"), "sum_i log N(x_i; mean_i, stddev_i^2).")
      .def("reparameterize", [](const DiagonalGaussian& g, const py::object& eps) {
        return ToNumpy(g.Reparameterize(VectorFrom(eps, "eps", g.dim())));
      }, py::arg("eps"), "mean + stddev * eps.")
      .def("sample", &Draws<DiagonalGaussian>, py::arg("n") = py::none(), py::arg("seed") = 0, kSampleDoc)
      .def("entropy", &DiagonalGaussian::Entropy, "Differential entropy in nats.");

  py::class_<MultivariateGaussian>(vi, "MultivariateGaussian",
                                   "N(mean, L L^T) with L the Cholesky factor of the covariance.")
      .def(py::init([](const py::object& mean, const py::object& covariance) {
             Eigen::VectorXd mu = VectorFrom(mean, "mean");
             return MultivariateGaussian::FromCovariance(mu, MatrixFrom(covariance, "covariance"));
           }),
           py::arg("mean"), py::arg("covariance"),
           "From a covariance matrix; raises CaiError unless it is square of the mean's size, finite, symmetric and "
           "positive definite.")
      .def_static("from_cholesky", [](const py::object& mean, const py::object& cholesky) {
        return MultivariateGaussian::FromCholesky(VectorFrom(mean, "mean"), MatrixFrom(cholesky, "cholesky"));
      }, py::arg("mean"), py::arg("cholesky"), "From a lower-triangular factor with a positive diagonal.")
      .def_static("from_diagonal", &MultivariateGaussian::FromDiagonal, py::arg("gaussian"),
                  "A DiagonalGaussian as a member of this family.")
      .def_property_readonly("dim", &MultivariateGaussian::dim)
      .def_property_readonly("mean", [](const MultivariateGaussian& g) { return ToNumpy(g.mean()); })
      .def_property_readonly("cholesky", [](const MultivariateGaussian& g) { return ToNumpy(g.cholesky()); })
      .def_property_readonly("covariance", [](const MultivariateGaussian& g) { return ToNumpy(g.covariance()); })
      .def("log_determinant", &MultivariateGaussian::LogDeterminant, "log det(covariance).")
      .def("log_density", [](const MultivariateGaussian& g, const py::object& x) {
        return g.LogDensity(VectorFrom(x, "x", g.dim()));
      }, py::arg("x"), "log N(x; mean, covariance).")
      .def("log_density_gradient", [](const MultivariateGaussian& g, const py::object& x) {
        return ToNumpy(g.LogDensityGradient(VectorFrom(x, "x", g.dim())));
      }, py::arg("x"), "-covariance^{-1} (x - mean).")
      .def("reparameterize", [](const MultivariateGaussian& g, const py::object& eps) {
        return ToNumpy(g.Reparameterize(VectorFrom(eps, "eps", g.dim())));
      }, py::arg("eps"), "mean + L eps.")
      .def("sample", &Draws<MultivariateGaussian>, py::arg("n") = py::none(), py::arg("seed") = 0, kSampleDoc)
      .def("entropy", &MultivariateGaussian::Entropy, "Differential entropy in nats.")
      .def("solve_covariance", [](const MultivariateGaussian& g, const py::object& v) {
        return ToNumpy(g.SolveCovariance(VectorFrom(v, "v", g.dim())));
      }, py::arg("v"), "covariance^{-1} v.");

  vi.def("kl_divergence", py::overload_cast<const UnivariateGaussian&, const UnivariateGaussian&>(&KlDivergence),
         py::arg("q"), py::arg("p"), "KL(q || p) in closed form.");
  vi.def("kl_divergence", py::overload_cast<const DiagonalGaussian&, const DiagonalGaussian&>(&KlDivergence),
         py::arg("q"), py::arg("p"), "KL(q || p) in closed form (sum over coordinates).");
  vi.def("kl_divergence", py::overload_cast<const MultivariateGaussian&, const MultivariateGaussian&>(&KlDivergence),
         py::arg("q"), py::arg("p"), "KL(q || p) in closed form, through the Cholesky factors.");

  py::class_<VariationalGaussian>(
      vi, "VariationalGaussian",
      "q(z) = N(mean, L L^T) as a flat parameter vector: mean (d), log_scale (d, log diag L), and for the full family "
      "the strictly lower entries of L row by row.")
      .def(py::init([](const py::object& mean, const py::object& log_scale, const std::string& family) {
             return VariationalGaussian(FamilyFrom(family), VectorFrom(mean, "mean"), VectorFrom(log_scale, "log_scale"));
           }),
           py::arg("mean"), py::arg("log_scale"), py::arg("family") = "diagonal",
           "L = diag(exp(log_scale)); family \"diagonal\" or \"full\".")
      .def_static("from_parameters", [](const py::object& parameters, int dim, const std::string& family) {
        return VariationalGaussian::FromParameters(FamilyFrom(family), dim, VectorFrom(parameters, "parameters"));
      }, py::arg("parameters"), py::arg("dim"), py::arg("family") = "diagonal")
      .def_static("from_gaussian", [](const MultivariateGaussian& g, const std::string& family) {
        return VariationalGaussian::FromGaussian(FamilyFrom(family), g);
      }, py::arg("gaussian"), py::arg("family") = "full", "The member equal to `gaussian`.")
      .def_property_readonly("family", [](const VariationalGaussian& q) { return GaussianFamilyName(q.family()); })
      .def_property_readonly("dim", &VariationalGaussian::dim)
      .def_property("parameters", [](const VariationalGaussian& q) { return ToNumpy(q.parameters()); },
                    [](VariationalGaussian& q, const py::object& p) {
                      q.set_parameters(VectorFrom(p, "parameters", q.num_parameters()));
                    })
      .def_property_readonly("num_parameters", &VariationalGaussian::num_parameters)
      .def_property_readonly("mean", [](const VariationalGaussian& q) { return ToNumpy(q.mean()); })
      .def_property_readonly("log_scale", [](const VariationalGaussian& q) { return ToNumpy(q.log_scale()); })
      .def_property_readonly("cholesky", [](const VariationalGaussian& q) { return ToNumpy(q.cholesky()); })
      .def("to_gaussian", &VariationalGaussian::ToGaussian, "q as a MultivariateGaussian.")
      .def("log_density", [](const VariationalGaussian& q, const py::object& z) {
        return q.LogDensity(VectorFrom(z, "z", q.dim()));
      }, py::arg("z"))
      .def("reparameterize", [](const VariationalGaussian& q, const py::object& eps) {
        return ToNumpy(q.Reparameterize(VectorFrom(eps, "eps", q.dim())));
      }, py::arg("eps"), "mean + L eps.")
      .def("entropy", &VariationalGaussian::Entropy)
      .def("kl_to", [](const VariationalGaussian& q, const MultivariateGaussian& p) {
        Eigen::VectorXd g;
        const double kl = q.KlTo(p, &g);
        return ValueAndGradient(kl, g);
      }, py::arg("p"), "(KL(q || p), its gradient in q's parameters).");

  py::class_<LatentModel>(vi, "LatentModel", "A latent-variable model p(z) p(x | z) with its observation x fixed.")
      .def_property_readonly("dim", &LatentModel::dim)
      .def_property_readonly("prior", &LatentModel::prior, "p(z), a MultivariateGaussian.")
      .def("log_likelihood", [](const LatentModel& mod, const py::object& z) {
        return mod.LogLikelihood(VectorFrom(z, "z", mod.dim()));
      }, py::arg("z"), "log p(x | z).")
      .def("log_likelihood_gradient", [](const LatentModel& mod, const py::object& z) {
        return ToNumpy(mod.LogLikelihoodGradient(VectorFrom(z, "z", mod.dim())));
      }, py::arg("z"), "d/dz log p(x | z).")
      .def("log_joint", [](const LatentModel& mod, const py::object& z) {
        return mod.LogJoint(VectorFrom(z, "z", mod.dim()));
      }, py::arg("z"), "log p(z) + log p(x | z).")
      .def_property_readonly("has_closed_form_expectation", &LatentModel::has_closed_form_expectation)
      .def("expected_log_likelihood", [](const LatentModel& mod, const VariationalGaussian& q) {
        Eigen::VectorXd g;
        const double v = mod.ExpectedLogLikelihood(q, &g);
        return ValueAndGradient(v, g);
      }, py::arg("q"), "(E_q[log p(x | z)], its gradient in q's parameters); CaiError without a closed form.");

  py::class_<LinearGaussianModel> linear_gaussian(vi, "LinearGaussianModel",
                                                  "z ~ N(m0, S0), x | z ~ N(A z + b, Sx): exact posterior and evidence.");
  linear_gaussian
      .def(py::init([](const MultivariateGaussian& prior, const py::object& a, const py::object& b,
                       const MultivariateGaussian& noise) {
             return LinearGaussianModel(prior, MatrixFrom(a, "a"), VectorFrom(b, "b"), noise);
           }),
           py::arg("prior"), py::arg("a"), py::arg("b"), py::arg("noise"),
           "prior p(z), A (n x d), b (n), noise N(0, Sx) in n dimensions.")
      .def_static("scalar", &LinearGaussianModel::Scalar, py::arg("prior_mean") = 0.0, py::arg("prior_var") = 1.0,
                  py::arg("lik_var") = 1.0, "z ~ N(prior_mean, prior_var), x | z ~ N(z, lik_var) (the lesson's model).")
      .def_property_readonly("latent_dim", &LinearGaussianModel::latent_dim)
      .def_property_readonly("observed_dim", &LinearGaussianModel::observed_dim)
      .def_property_readonly("prior", &LinearGaussianModel::prior)
      .def_property_readonly("noise", &LinearGaussianModel::noise)
      .def_property_readonly("a", [](const LinearGaussianModel& mod) { return ToNumpy(mod.a()); })
      .def_property_readonly("b", [](const LinearGaussianModel& mod) { return ToNumpy(mod.b()); })
      .def("posterior", [](const LinearGaussianModel& mod, const py::object& x) {
        return mod.Posterior(VectorFrom(x, "x", mod.observed_dim()));
      }, py::arg("x"), "p(z | x), exactly.")
      .def("marginal", &LinearGaussianModel::Marginal, "p(x) = N(A m0 + b, A S0 A^T + Sx).")
      .def("log_evidence", [](const LinearGaussianModel& mod, const py::object& x) {
        return mod.LogEvidence(VectorFrom(x, "x", mod.observed_dim()));
      }, py::arg("x"), "log p(x).")
      .def("log_likelihood", [](const LinearGaussianModel& mod, const py::object& x, const py::object& z) {
        return mod.LogLikelihood(VectorFrom(x, "x", mod.observed_dim()), VectorFrom(z, "z", mod.latent_dim()));
      }, py::arg("x"), py::arg("z"))
      .def("elbo", [](const LinearGaussianModel& mod, const py::object& x, const VariationalGaussian& q) {
        return mod.Elbo(VectorFrom(x, "x", mod.observed_dim()), q);
      }, py::arg("x"), py::arg("q"), "The closed-form ELBO E_q[log p(x|z)] - KL(q || p(z)).");

  py::class_<ObservedLinearGaussian, LatentModel>(vi, "ObservedLinearGaussian",
                                                  "A linear-Gaussian model with its observation x.")
      .def(py::init([](const LinearGaussianModel& mod, const py::object& x) {
             return ObservedLinearGaussian(mod, VectorFrom(x, "x"));
           }),
           py::arg("model"), py::arg("x"))
      .def_property_readonly("model", &ObservedLinearGaussian::model)
      .def_property_readonly("x", [](const ObservedLinearGaussian& mod) { return ToNumpy(mod.x()); })
      .def("posterior", &ObservedLinearGaussian::Posterior, "p(z | x), exactly.")
      .def("log_evidence", &ObservedLinearGaussian::LogEvidence, "log p(x).");
  // Defined once ObservedLinearGaussian is registered, so that its signature names the Python type.
  linear_gaussian.def("observe", [](const LinearGaussianModel& mod, const py::object& x) {
        return ObservedLinearGaussian(mod, VectorFrom(x, "x", mod.observed_dim()));
      }, py::arg("x"), "The model with its observation x: an ObservedLinearGaussian (a LatentModel).");

  py::class_<LogisticBernoulliModel, LatentModel>(
      vi, "LogisticBernoulliModel",
      "A coin with an unknown logit: z ~ N(prior_mean, prior_var), `heads` of `flips` tosses with P(heads) = "
      "sigmoid(z). Not conjugate: evidence and posterior by quadrature.")
      .def(py::init<double, double, int, int>(), py::arg("prior_mean"), py::arg("prior_var"), py::arg("heads"),
           py::arg("flips"))
      .def_property_readonly("heads", &LogisticBernoulliModel::heads)
      .def_property_readonly("flips", &LogisticBernoulliModel::flips)
      .def("mode", &LogisticBernoulliModel::Mode, "The posterior mode (Newton's method).")
      .def("laplace_scale", &LogisticBernoulliModel::LaplaceScale, "1 / sqrt(-d^2/dz^2 log p(x, z)) at the mode.")
      .def("log_evidence", &LogisticBernoulliModel::LogEvidence, "log p(x) by the trapezoid rule.")
      .def("expected_log_likelihood_quadrature", &LogisticBernoulliModel::ExpectedLogLikelihoodQuadrature,
           py::arg("q"), "E_q[log p(x | z)] for a UnivariateGaussian q by 64-point Gauss-Hermite quadrature.")
      .def("kl_to_posterior", &LogisticBernoulliModel::KlToPosterior, py::arg("q"),
           "KL(q || p(z | x)) by quadrature, for a UnivariateGaussian q.");

  vi.def("gauss_hermite_normal", [](int n) {
    const QuadratureRule r = GaussHermiteNormal(n);
    return py::make_tuple(ToNumpy(r.nodes), ToNumpy(r.weights));
  }, py::arg("n"), "(nodes, weights) of the n-point Gauss-Hermite rule for N(0, 1): E[f] ~ sum_i w_i f(x_i).");

  vi.def("parse_elbo_estimator", [](const std::string& name) { return ElboEstimatorName(ParseElboEstimator(name)); },
         py::arg("name"), "The canonical name of an estimator (\"reparam\" -> \"reparameterization\", ...).");

  py::class_<ElboEstimate>(vi, "ElboEstimate", "One estimate of the ELBO and its gradient in q's parameters.")
      .def_readonly("value", &ElboEstimate::value)
      .def_property_readonly("gradient", [](const ElboEstimate& e) { return ToNumpy(e.gradient); })
      .def_readonly("value_variance", &ElboEstimate::value_variance, "Sample variance of one sample's value.")
      .def_property_readonly("gradient_variance", [](const ElboEstimate& e) { return ToNumpy(e.gradient_variance); },
                             "Per parameter, the sample variance of one sample's gradient.")
      .def_readonly("samples", &ElboEstimate::samples, "Samples used (0: closed form).")
      .def_property_readonly("standard_error", &ElboEstimate::ValueStandardError,
                             "sqrt(value_variance / samples).")
      .def("__repr__", [](const ElboEstimate& e) {
        return fmt::format("ElboEstimate(value={}, standard_error={}, samples={})", e.value, e.ValueStandardError(),
                           e.samples);
      });

  vi.def("estimate_elbo", [](const LatentModel& model, const VariationalGaussian& q, const std::string& estimator,
                             int samples, bool baseline, const std::string& kl, std::uint64_t seed) {
    const ElboOptions o = ElboOptionsFrom(estimator, samples, baseline, kl);
    Rng rng(seed);
    py::gil_scoped_release release;
    return EstimateElbo(model, q, o, rng);
  }, py::arg("model"), py::arg("q"), py::arg("estimator") = "reparameterization", py::arg("samples") = 1,
  py::arg("baseline") = false, py::arg("kl") = "closed-form", py::arg("seed") = 0,
  "Estimates the ELBO and its gradient: estimator \"closed-form\", \"reparameterization\" or \"score-function\" "
  "(baseline: leave-one-out, needs samples >= 2); kl \"closed-form\" or \"monte-carlo\". Returns an ElboEstimate.");

  py::class_<FitResult>(vi, "FitResult", "What fit_elbo found.")
      .def_readonly("q", &FitResult::q, "The fitted VariationalGaussian.")
      .def_property_readonly("trace_steps", [](const FitResult& r) {
        std::vector<int> steps;
        for (const auto& [step, elbo] : r.elbo_trace) steps.push_back(step);
        return ToArray(std::span<const int>(steps), {static_cast<py::ssize_t>(steps.size())});
      }, "Steps at which the ELBO was recorded (the last is `steps`: the final q).")
      .def_property_readonly("trace_elbo", [](const FitResult& r) {
        std::vector<double> values;
        for (const auto& [step, elbo] : r.elbo_trace) values.push_back(elbo);
        return ToArray(std::span<const double>(values), {static_cast<py::ssize_t>(values.size())});
      }, "The ELBO at those steps (exact when the model has a closed form).")
      .def_property_readonly("elbo", [](const FitResult& r) { return r.elbo_trace.back().second; },
                             "The final q's ELBO (the last trace entry).")
      .def_property_readonly("converged", [](const FitResult& r) { return r.summary.converged; })
      .def_property_readonly("iterations", [](const FitResult& r) { return r.summary.iterations; })
      .def_property_readonly("final_residual", [](const FitResult& r) { return r.summary.final_residual; },
                             "Norm of the last gradient estimate.")
      .def_property_readonly("message", [](const FitResult& r) { return r.summary.message; })
      .def_readonly("summary", &FitResult::summary, "The SolverSummary (cai.SolverSummary).");

  vi.def("fit_elbo", [](const LatentModel& model, const VariationalGaussian& initial, const std::string& estimator,
                        int samples, bool baseline, const std::string& kl, int steps, double learning_rate,
                        double final_learning_rate, std::uint64_t seed, int trace_every) {
    FitOptions o;
    o.elbo = ElboOptionsFrom(estimator, samples, baseline, kl);
    o.steps = steps;
    o.learning_rate = learning_rate;
    o.final_learning_rate = final_learning_rate;
    o.seed = seed;
    o.trace_every = trace_every;
    ValidateFitOptions(o);
    py::gil_scoped_release release;
    return FitElbo(model, initial, o);
  }, py::arg("model"), py::arg("initial"), py::arg("estimator") = "reparameterization", py::arg("samples") = 1,
  py::arg("baseline") = false, py::arg("kl") = "closed-form", py::arg("steps") = 2000, py::arg("learning_rate") = 0.05,
  py::arg("final_learning_rate") = 0.0, py::arg("seed") = 0, py::arg("trace_every") = 1,
  "Maximises the ELBO over q's parameters from `initial` by Adam on the estimated gradient (deterministic for a "
  "seed). Returns a FitResult.");
}

}  // namespace cai::python
