"""cai.vi: the variational-inference toolkit of cai (C++ module vi).

Gaussian families (``UnivariateGaussian``, ``DiagonalGaussian``, ``MultivariateGaussian``) with log
densities, seeded sampling, entropies and closed-form ``kl_divergence``; the variational family
``VariationalGaussian`` as a flat parameter vector; latent models with their observation fixed
(``LinearGaussianModel(...).observe(x)`` with an exact posterior and evidence, and the non-conjugate
``LogisticBernoulliModel`` coin); ``estimate_elbo`` (closed form, reparameterisation, score function
with an optional leave-one-out baseline) and ``fit_elbo`` (Adam). Vectors and matrices are NumPy
float64 arrays. Bad input raises ``cai.CaiError`` (a ``ValueError``) naming the field.
"""

from . import _core

_vi = _core.vi

UnivariateGaussian = _vi.UnivariateGaussian
DiagonalGaussian = _vi.DiagonalGaussian
MultivariateGaussian = _vi.MultivariateGaussian
kl_divergence = _vi.kl_divergence
VariationalGaussian = _vi.VariationalGaussian
LatentModel = _vi.LatentModel
LinearGaussianModel = _vi.LinearGaussianModel
ObservedLinearGaussian = _vi.ObservedLinearGaussian
LogisticBernoulliModel = _vi.LogisticBernoulliModel
gauss_hermite_normal = _vi.gauss_hermite_normal
parse_elbo_estimator = _vi.parse_elbo_estimator
ElboEstimate = _vi.ElboEstimate
estimate_elbo = _vi.estimate_elbo
FitResult = _vi.FitResult
fit_elbo = _vi.fit_elbo

__all__ = [
    "DiagonalGaussian",
    "ElboEstimate",
    "FitResult",
    "LatentModel",
    "LinearGaussianModel",
    "LogisticBernoulliModel",
    "MultivariateGaussian",
    "ObservedLinearGaussian",
    "UnivariateGaussian",
    "VariationalGaussian",
    "estimate_elbo",
    "fit_elbo",
    "gauss_hermite_normal",
    "kl_divergence",
    "parse_elbo_estimator",
]
