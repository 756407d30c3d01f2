"""
The variational-inference toolkit: Gaussian families, latent models with exact posteriors or quadrature, ELBO estimators and ELBO fitting by Adam.
"""
from __future__ import annotations
import cai._core
import numpy
import numpy.typing
import typing
__all__: list[str] = ['DiagonalGaussian', 'ElboEstimate', 'FitResult', 'LatentModel', 'LinearGaussianModel', 'LogisticBernoulliModel', 'MultivariateGaussian', 'ObservedLinearGaussian', 'UnivariateGaussian', 'VariationalGaussian', 'estimate_elbo', 'fit_elbo', 'gauss_hermite_normal', 'kl_divergence', 'parse_elbo_estimator']
class UnivariateGaussian:
    """
    N(mean, variance) on the real line.
    """
    @staticmethod
    def from_log_scale(mean: typing.SupportsFloat | typing.SupportsIndex, log_scale: typing.SupportsFloat | typing.SupportsIndex) -> UnivariateGaussian:
        """
        N(mean, exp(log_scale)^2): the variational parameterisation.
        """
    def __init__(self, mean: typing.SupportsFloat | typing.SupportsIndex, variance: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Raises CaiError unless mean is finite and variance finite and positive.
        """
    def __repr__(self) -> str:
        ...
    def entropy(self) -> float:
        """
        Differential entropy in nats.
        """
    def log_density(self, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
        """
        log N(x; mean, variance); x a number or an array (elementwise).
        """
    def reparameterize(self, eps: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
        """
        mean + stddev * eps (elementwise).
        """
    def sample(self, n: typing.SupportsInt | typing.SupportsIndex | None = None, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> typing.Any:
        """
        Draws from a cai.Rng seeded with `seed`: one number, or an (n,) array if n is given.
        """
    @property
    def mean(self) -> float:
        ...
    @property
    def stddev(self) -> float:
        ...
    @property
    def variance(self) -> float:
        ...
class DiagonalGaussian:
    """
    N(mean, diag(stddev^2)): the mean-field family.
    """
    @staticmethod
    def from_log_scale(mean: typing.Any, log_scale: typing.Any) -> DiagonalGaussian:
        """
        N(mean, diag(exp(2 log_scale))).
        """
    def __init__(self, mean: typing.Any, stddev: typing.Any) -> None:
        """
        Raises CaiError unless the sizes agree, the mean is finite and every stddev finite and positive.
        """
    def entropy(self) -> float:
        """
        Differential entropy in nats.
        """
    def log_density(self, x: typing.Any) -> float:
        """
        sum_i log N(x_i; mean_i, stddev_i^2).
        """
    def reparameterize(self, eps: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        mean + stddev * eps.
        """
    def sample(self, n: typing.SupportsInt | typing.SupportsIndex | None = None, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> typing.Any:
        """
        Draws from a cai.Rng seeded with `seed`: one draw, or an (n, dim) array if n is given (the same seed gives the same draws).
        """
    @property
    def dim(self) -> int:
        ...
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def stddev(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def variance(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
class MultivariateGaussian:
    """
    N(mean, L L^T) with L the Cholesky factor of the covariance.
    """
    @staticmethod
    def from_cholesky(mean: typing.Any, cholesky: typing.Any) -> MultivariateGaussian:
        """
        From a lower-triangular factor with a positive diagonal.
        """
    @staticmethod
    def from_diagonal(gaussian: DiagonalGaussian) -> MultivariateGaussian:
        """
        A DiagonalGaussian as a member of this family.
        """
    def __init__(self, mean: typing.Any, covariance: typing.Any) -> None:
        """
        From a covariance matrix; raises CaiError unless it is square of the mean's size, finite, symmetric and positive definite.
        """
    def entropy(self) -> float:
        """
        Differential entropy in nats.
        """
    def log_density(self, x: typing.Any) -> float:
        """
        log N(x; mean, covariance).
        """
    def log_density_gradient(self, x: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        -covariance^{-1} (x - mean).
        """
    def log_determinant(self) -> float:
        """
        log det(covariance).
        """
    def reparameterize(self, eps: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        mean + L eps.
        """
    def sample(self, n: typing.SupportsInt | typing.SupportsIndex | None = None, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> typing.Any:
        """
        Draws from a cai.Rng seeded with `seed`: one draw, or an (n, dim) array if n is given (the same seed gives the same draws).
        """
    def solve_covariance(self, v: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        covariance^{-1} v.
        """
    @property
    def cholesky(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def covariance(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def dim(self) -> int:
        ...
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
class VariationalGaussian:
    """
    q(z) = N(mean, L L^T) as a flat parameter vector: mean (d), log_scale (d, log diag L), and for the full family the strictly lower entries of L row by row.
    """
    @staticmethod
    def from_gaussian(gaussian: MultivariateGaussian, family: str = 'full') -> VariationalGaussian:
        """
        The member equal to `gaussian`.
        """
    @staticmethod
    def from_parameters(parameters: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex, family: str = 'diagonal') -> VariationalGaussian:
        ...
    def __init__(self, mean: typing.Any, log_scale: typing.Any, family: str = 'diagonal') -> None:
        """
        L = diag(exp(log_scale)); family "diagonal" or "full".
        """
    def entropy(self) -> float:
        ...
    def kl_to(self, p: MultivariateGaussian) -> tuple:
        """
        (KL(q || p), its gradient in q's parameters).
        """
    def log_density(self, z: typing.Any) -> float:
        ...
    def reparameterize(self, eps: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        mean + L eps.
        """
    def to_gaussian(self) -> MultivariateGaussian:
        """
        q as a MultivariateGaussian.
        """
    @property
    def cholesky(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def dim(self) -> int:
        ...
    @property
    def family(self) -> str:
        ...
    @property
    def log_scale(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def num_parameters(self) -> int:
        ...
    @property
    def parameters(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @parameters.setter
    def parameters(self, arg1: typing.Any) -> None:
        ...
class LatentModel:
    """
    A latent-variable model p(z) p(x | z) with its observation x fixed.
    """
    def expected_log_likelihood(self, q: VariationalGaussian) -> tuple:
        """
        (E_q[log p(x | z)], its gradient in q's parameters); CaiError without a closed form.
        """
    def log_joint(self, z: typing.Any) -> float:
        """
        log p(z) + log p(x | z).
        """
    def log_likelihood(self, z: typing.Any) -> float:
        """
        log p(x | z).
        """
    def log_likelihood_gradient(self, z: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        d/dz log p(x | z).
        """
    @property
    def dim(self) -> int:
        ...
    @property
    def has_closed_form_expectation(self) -> bool:
        ...
    @property
    def prior(self) -> MultivariateGaussian:
        """
        p(z), a MultivariateGaussian.
        """
class LinearGaussianModel:
    """
    z ~ N(m0, S0), x | z ~ N(A z + b, Sx): exact posterior and evidence.
    """
    @staticmethod
    def scalar(prior_mean: typing.SupportsFloat | typing.SupportsIndex = 0.0, prior_var: typing.SupportsFloat | typing.SupportsIndex = 1.0, lik_var: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> LinearGaussianModel:
        """
        z ~ N(prior_mean, prior_var), x | z ~ N(z, lik_var) (the lesson's model).
        """
    def __init__(self, prior: MultivariateGaussian, a: typing.Any, b: typing.Any, noise: MultivariateGaussian) -> None:
        """
        prior p(z), A (n x d), b (n), noise N(0, Sx) in n dimensions.
        """
    def elbo(self, x: typing.Any, q: VariationalGaussian) -> float:
        """
        The closed-form ELBO E_q[log p(x|z)] - KL(q || p(z)).
        """
    def log_evidence(self, x: typing.Any) -> float:
        """
        log p(x).
        """
    def log_likelihood(self, x: typing.Any, z: typing.Any) -> float:
        ...
    def marginal(self) -> MultivariateGaussian:
        """
        p(x) = N(A m0 + b, A S0 A^T + Sx).
        """
    def observe(self, x: typing.Any) -> ObservedLinearGaussian:
        """
        The model with its observation x: an ObservedLinearGaussian (a LatentModel).
        """
    def posterior(self, x: typing.Any) -> MultivariateGaussian:
        """
        p(z | x), exactly.
        """
    @property
    def a(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def b(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def latent_dim(self) -> int:
        ...
    @property
    def noise(self) -> MultivariateGaussian:
        ...
    @property
    def observed_dim(self) -> int:
        ...
    @property
    def prior(self) -> MultivariateGaussian:
        ...
class ObservedLinearGaussian(LatentModel):
    """
    A linear-Gaussian model with its observation x.
    """
    def __init__(self, model: LinearGaussianModel, x: typing.Any) -> None:
        ...
    def log_evidence(self) -> float:
        """
        log p(x).
        """
    def posterior(self) -> MultivariateGaussian:
        """
        p(z | x), exactly.
        """
    @property
    def model(self) -> LinearGaussianModel:
        ...
    @property
    def x(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
class LogisticBernoulliModel(LatentModel):
    """
    A coin with an unknown logit: z ~ N(prior_mean, prior_var), `heads` of `flips` tosses with P(heads) = sigmoid(z). Not conjugate: evidence and posterior by quadrature.
    """
    def __init__(self, prior_mean: typing.SupportsFloat | typing.SupportsIndex, prior_var: typing.SupportsFloat | typing.SupportsIndex, heads: typing.SupportsInt | typing.SupportsIndex, flips: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def expected_log_likelihood_quadrature(self, q: UnivariateGaussian) -> float:
        """
        E_q[log p(x | z)] for a UnivariateGaussian q by 64-point Gauss-Hermite quadrature.
        """
    def kl_to_posterior(self, q: UnivariateGaussian) -> float:
        """
        KL(q || p(z | x)) by quadrature, for a UnivariateGaussian q.
        """
    def laplace_scale(self) -> float:
        """
        1 / sqrt(-d^2/dz^2 log p(x, z)) at the mode.
        """
    def log_evidence(self) -> float:
        """
        log p(x) by the trapezoid rule.
        """
    def mode(self) -> float:
        """
        The posterior mode (Newton's method).
        """
    @property
    def flips(self) -> int:
        ...
    @property
    def heads(self) -> int:
        ...
class ElboEstimate:
    """
    One estimate of the ELBO and its gradient in q's parameters.
    """
    def __repr__(self) -> str:
        ...
    @property
    def gradient(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def gradient_variance(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Per parameter, the sample variance of one sample's gradient.
        """
    @property
    def samples(self) -> int:
        """
        Samples used (0: closed form).
        """
    @property
    def standard_error(self) -> float:
        """
        sqrt(value_variance / samples).
        """
    @property
    def value(self) -> float:
        ...
    @property
    def value_variance(self) -> float:
        """
        Sample variance of one sample's value.
        """
class FitResult:
    """
    What fit_elbo found.
    """
    @property
    def converged(self) -> bool:
        ...
    @property
    def elbo(self) -> float:
        """
        The final q's ELBO (the last trace entry).
        """
    @property
    def final_residual(self) -> float:
        """
        Norm of the last gradient estimate.
        """
    @property
    def iterations(self) -> int:
        ...
    @property
    def message(self) -> str:
        ...
    @property
    def q(self) -> VariationalGaussian:
        """
        The fitted VariationalGaussian.
        """
    @property
    def summary(self) -> cai._core.SolverSummary:
        """
        The SolverSummary (cai.SolverSummary).
        """
    @property
    def trace_elbo(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The ELBO at those steps (exact when the model has a closed form).
        """
    @property
    def trace_steps(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        Steps at which the ELBO was recorded (the last is `steps`: the final q).
        """
def estimate_elbo(model: LatentModel, q: VariationalGaussian, estimator: str = 'reparameterization', samples: typing.SupportsInt | typing.SupportsIndex = 1, baseline: bool = False, kl: str = 'closed-form', seed: typing.SupportsInt | typing.SupportsIndex = 0) -> ElboEstimate:
    """
    Estimates the ELBO and its gradient: estimator "closed-form", "reparameterization" or "score-function" (baseline: leave-one-out, needs samples >= 2); kl "closed-form" or "monte-carlo". Returns an ElboEstimate.
    """
def fit_elbo(model: LatentModel, initial: VariationalGaussian, estimator: str = 'reparameterization', samples: typing.SupportsInt | typing.SupportsIndex = 1, baseline: bool = False, kl: str = 'closed-form', steps: typing.SupportsInt | typing.SupportsIndex = 2000, learning_rate: typing.SupportsFloat | typing.SupportsIndex = 0.05, final_learning_rate: typing.SupportsFloat | typing.SupportsIndex = 0.0, seed: typing.SupportsInt | typing.SupportsIndex = 0, trace_every: typing.SupportsInt | typing.SupportsIndex = 1) -> FitResult:
    """
    Maximises the ELBO over q's parameters from `initial` by Adam on the estimated gradient (deterministic for a seed). Returns a FitResult.
    """
def gauss_hermite_normal(n: typing.SupportsInt | typing.SupportsIndex) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (nodes, weights) of the n-point Gauss-Hermite rule for N(0, 1): E[f] ~ sum_i w_i f(x_i).
    """
@typing.overload
def kl_divergence(q: UnivariateGaussian, p: UnivariateGaussian) -> float:
    """
    KL(q || p) in closed form.
    """
@typing.overload
def kl_divergence(q: DiagonalGaussian, p: DiagonalGaussian) -> float:
    """
    KL(q || p) in closed form (sum over coordinates).
    """
@typing.overload
def kl_divergence(q: MultivariateGaussian, p: MultivariateGaussian) -> float:
    """
    KL(q || p) in closed form, through the Cholesky factors.
    """
def parse_elbo_estimator(name: str) -> str:
    """
    The canonical name of an estimator ("reparam" -> "reparameterization", ...).
    """
