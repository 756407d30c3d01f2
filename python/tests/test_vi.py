"""cai.vi: every number is checked two ways (closed form against Monte Carlo or NumPy's own
formula, the ELBO gap against KL(q || exact posterior), the lesson's numbers)."""
import math

import numpy as np
import pytest

import cai
from cai import vi


def np_mvn_logpdf(x, mean, cov):
    d = x - mean
    _, logdet = np.linalg.slogdet(2 * np.pi * cov)
    return -0.5 * d @ np.linalg.solve(cov, d) - 0.5 * logdet


def np_kl(mq, sq, mp, sp):
    k = len(mq)
    sp_inv = np.linalg.inv(sp)
    d = mp - mq
    return 0.5 * (np.trace(sp_inv @ sq) + d @ sp_inv @ d - k + np.linalg.slogdet(sp)[1] - np.linalg.slogdet(sq)[1])


def test_univariate_density_entropy_and_kl_two_ways():
    g = vi.UnivariateGaussian(0.5, 2.0)
    x = np.linspace(-3, 3, 7)
    expected = -((x - 0.5) ** 2) / 4.0 - 0.5 * np.log(2 * np.pi * 2.0)
    np.testing.assert_allclose(g.log_density(x), expected, rtol=1e-13)
    assert g.log_density(1.0) == pytest.approx(expected[4])
    assert g.entropy() == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 2.0))
    # Seeded draws: same seed, same numbers; moments of 100k draws within 5 standard errors.
    z = g.sample(100_000, seed=7)
    np.testing.assert_array_equal(z, g.sample(100_000, seed=7))
    assert abs(z.mean() - 0.5) < 5 * math.sqrt(2.0 / len(z))
    assert z.var() == pytest.approx(2.0, rel=0.03)
    # Entropy as -E[log q] by Monte Carlo.
    assert -g.log_density(z).mean() == pytest.approx(g.entropy(), abs=0.02)
    # KL closed form vs the Monte Carlo average of log q - log p.
    p = vi.UnivariateGaussian(-0.3, 0.7)
    ratio = g.log_density(z) - p.log_density(z)
    se = ratio.std() / math.sqrt(len(z))
    assert abs(ratio.mean() - vi.kl_divergence(g, p)) < 5 * se
    assert vi.kl_divergence(g, g) == pytest.approx(0.0, abs=1e-15)


def test_multivariate_density_and_kl_against_numpy_and_monte_carlo():
    mq = np.array([0.2, -1.0, 0.5])
    a = np.array([[1.0, 0.3, 0.0], [0.3, 0.8, -0.2], [0.0, -0.2, 0.5]])
    sq = a @ a.T + 0.1 * np.eye(3)
    mp = np.array([0.0, 0.0, 1.0])
    sp = np.diag([1.0, 2.0, 0.5]) + 0.2
    q = vi.MultivariateGaussian(mq, sq)
    p = vi.MultivariateGaussian(mp, sp)
    np.testing.assert_allclose(q.covariance, sq, rtol=1e-12)
    np.testing.assert_allclose(q.cholesky @ q.cholesky.T, sq, rtol=1e-12)
    x = np.array([0.1, 0.2, -0.3])
    assert q.log_density(x) == pytest.approx(np_mvn_logpdf(x, mq, sq), rel=1e-12)
    np.testing.assert_allclose(q.log_density_gradient(x), -np.linalg.solve(sq, x - mq), rtol=1e-10)
    assert q.entropy() == pytest.approx(0.5 * np.linalg.slogdet(2 * np.pi * np.e * sq)[1], rel=1e-12)
    kl = vi.kl_divergence(q, p)
    assert kl == pytest.approx(np_kl(mq, sq, mp, sp), rel=1e-12)
    z = q.sample(50_000, seed=1)
    assert z.shape == (50_000, 3)
    np.testing.assert_allclose(np.cov(z.T), sq, atol=0.05)
    ratio = np.array([q.log_density(r) - p.log_density(r) for r in z[:20_000]])
    assert abs(ratio.mean() - kl) < 5 * ratio.std() / math.sqrt(len(ratio))
    # Diagonal family: the same numbers as the full family with a diagonal covariance.
    dq = vi.DiagonalGaussian([0.0, 1.0], [0.5, 2.0])
    dp = vi.DiagonalGaussian([1.0, -1.0], [1.0, 1.0])
    full = vi.kl_divergence(vi.MultivariateGaussian.from_diagonal(dq), vi.MultivariateGaussian.from_diagonal(dp))
    assert vi.kl_divergence(dq, dp) == pytest.approx(full, rel=1e-12)
    assert dq.log_density([0.1, 0.2]) == pytest.approx(
        np_mvn_logpdf(np.array([0.1, 0.2]), np.array([0.0, 1.0]), np.diag([0.25, 4.0])), rel=1e-12)


def test_the_lessons_numbers_and_the_gap_is_the_kl_to_the_posterior():
    # z ~ N(0, 1), x | z ~ N(z, 1), x = 1, q = N(0.3, 1): ELBO -1.709, gap 0.193.
    model = vi.LinearGaussianModel.scalar(0.0, 1.0, 1.0).observe([1.0])
    q = vi.VariationalGaussian([0.3], [0.0])
    elbo = vi.estimate_elbo(model, q, estimator="closed-form").value
    assert elbo == pytest.approx(-1.709, abs=5e-4)
    gap = model.log_evidence() - elbo
    assert gap == pytest.approx(0.193, abs=5e-4)
    post = model.posterior()
    np.testing.assert_allclose(post.mean, [0.5])
    np.testing.assert_allclose(post.covariance, [[0.5]])
    assert gap == pytest.approx(vi.kl_divergence(q.to_gaussian(), post), abs=1e-12)
    assert model.log_evidence() == pytest.approx(-0.5 * math.log(4 * math.pi) - 0.25, abs=1e-12)
    assert model.model.elbo([1.0], q) == pytest.approx(elbo, abs=1e-12)


def test_linear_gaussian_posterior_and_evidence_against_numpy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 2))
    b = np.array([0.1, -0.2, 0.3])
    m0, s0 = np.array([0.5, -0.5]), np.array([[1.0, 0.3], [0.3, 0.7]])
    sx = np.diag([0.5, 0.4, 0.9])
    lg = vi.LinearGaussianModel(vi.MultivariateGaussian(m0, s0), a, b, vi.MultivariateGaussian(np.zeros(3), sx))
    x = np.array([1.0, 0.0, -1.0])
    precision = np.linalg.inv(s0) + a.T @ np.linalg.inv(sx) @ a
    cov = np.linalg.inv(precision)
    mean = cov @ (np.linalg.solve(s0, m0) + a.T @ np.linalg.solve(sx, x - b))
    post = lg.posterior(x)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-10)
    np.testing.assert_allclose(post.covariance, cov, rtol=1e-10)
    assert lg.log_evidence(x) == pytest.approx(np_mvn_logpdf(x, a @ m0 + b, a @ s0 @ a.T + sx), rel=1e-12)
    # For any q (full covariance), log p(x) - ELBO(q) = KL(q || p(z|x)).
    model = lg.observe(x)
    q = vi.VariationalGaussian.from_parameters([0.2, -0.1, -0.3, 0.1, 0.4], 2, "full")
    elbo = vi.estimate_elbo(model, q, estimator="closed-form").value
    assert model.log_evidence() - elbo == pytest.approx(vi.kl_divergence(q.to_gaussian(), post), rel=1e-10)
    # ... and q = the posterior closes the gap.
    qp = vi.VariationalGaussian.from_gaussian(post, "full")
    assert vi.estimate_elbo(model, qp, estimator="closed-form").value == pytest.approx(model.log_evidence(), abs=1e-10)


@pytest.mark.parametrize("estimator,baseline", [("reparameterization", False), ("score-function", False),
                                                ("score-function", True)])
def test_monte_carlo_estimators_agree_with_the_closed_form(estimator, baseline):
    model = vi.LinearGaussianModel.scalar(0.0, 1.0, 1.0).observe([1.0])
    q = vi.VariationalGaussian([0.3], [0.0])
    exact = vi.estimate_elbo(model, q, estimator="closed-form")
    assert exact.samples == 0 and exact.standard_error == 0.0
    e = vi.estimate_elbo(model, q, estimator=estimator, samples=20_000, baseline=baseline, seed=3)
    assert e.samples == 20_000
    assert e.standard_error > 0
    assert abs(e.value - exact.value) < 5 * e.standard_error
    gse = np.sqrt(e.gradient_variance / e.samples)
    assert np.all(np.abs(e.gradient - exact.gradient) < 5 * gse + 1e-9)
    # The closed-form gradient, again by finite differences of the closed-form ELBO.
    h = 1e-6
    fd = []
    for i in range(q.num_parameters):
        p = q.parameters.copy()
        p[i] += h
        up = vi.estimate_elbo(model, vi.VariationalGaussian.from_parameters(p, 1), estimator="closed-form").value
        p[i] -= 2 * h
        down = vi.estimate_elbo(model, vi.VariationalGaussian.from_parameters(p, 1), estimator="closed-form").value
        fd.append((up - down) / (2 * h))
    np.testing.assert_allclose(exact.gradient, fd, atol=1e-6)


def test_fit_elbo_reaches_the_posterior():
    model = vi.LinearGaussianModel.scalar(0.0, 1.0, 1.0).observe([1.0])
    r = vi.fit_elbo(model, vi.VariationalGaussian([0.0], [0.0]), estimator="closed-form", steps=2000,
                    learning_rate=0.05, trace_every=100)
    assert r.converged
    np.testing.assert_allclose(r.q.mean, [0.5], atol=1e-3)
    np.testing.assert_allclose(np.exp(2 * r.q.log_scale), [0.5], atol=1e-3)
    assert r.elbo == pytest.approx(model.log_evidence(), abs=1e-5)
    assert r.trace_steps[-1] == 2000 and len(r.trace_steps) == len(r.trace_elbo)
    # A noisy estimator with a decaying rate lands near the same optimum.
    noisy = vi.fit_elbo(model, vi.VariationalGaussian([0.0], [0.0]), samples=8, steps=2000,
                        learning_rate=0.05, final_learning_rate=0.0005, seed=1)
    np.testing.assert_allclose(noisy.q.mean, [0.5], atol=0.03)


def test_coin_gap_by_quadrature_and_fit():
    coin = vi.LogisticBernoulliModel(0.0, 4.0, 7, 10)
    assert not coin.has_closed_form_expectation
    q1 = vi.UnivariateGaussian(0.5, 0.3)
    q = vi.VariationalGaussian([0.5], [0.5 * math.log(0.3)])
    elbo = coin.expected_log_likelihood_quadrature(q1) - q.kl_to(coin.prior)[0]
    assert coin.log_evidence() - elbo == pytest.approx(coin.kl_to_posterior(q1), abs=1e-9)
    e = vi.estimate_elbo(coin, q, samples=20_000, seed=2)
    assert abs(e.value - elbo) < 5 * e.standard_error
    # Gauss-Hermite against a Monte Carlo average of the log likelihood.
    nodes, weights = vi.gauss_hermite_normal(64)
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert (weights * nodes ** 2).sum() == pytest.approx(1.0, abs=1e-10)
    fit = vi.fit_elbo(coin, vi.VariationalGaussian([0.0], [0.0]), samples=8, steps=1500, learning_rate=0.05,
                      final_learning_rate=0.0005, seed=0)
    assert fit.q.mean[0] == pytest.approx(coin.mode(), abs=0.1)
    assert fit.elbo <= coin.log_evidence() + 0.01


def test_bad_input_raises_cai_error_naming_the_field():
    model = vi.LinearGaussianModel.scalar(0.0, 1.0, 1.0).observe([1.0])
    q = vi.VariationalGaussian([0.3], [0.0])
    with pytest.raises(cai.CaiError, match="estimator"):
        vi.estimate_elbo(model, q, estimator="bogus")
    with pytest.raises(ValueError, match="samples"):
        vi.estimate_elbo(model, q, estimator="score-function", baseline=True, samples=1)
    with pytest.raises(cai.CaiError, match="baseline"):
        vi.estimate_elbo(model, q, estimator="reparameterization", baseline=True, samples=4)
    with pytest.raises(cai.CaiError, match="kl"):
        vi.estimate_elbo(model, q, kl="sometimes")
    with pytest.raises(cai.CaiError, match="steps"):
        vi.fit_elbo(model, q, steps=0)
    with pytest.raises(cai.CaiError, match="variance|positive"):
        vi.UnivariateGaussian(0.0, -1.0)
    with pytest.raises(cai.CaiError, match="x"):
        vi.LinearGaussianModel.scalar().log_evidence([1.0, 2.0])
    with pytest.raises(cai.CaiError, match="family"):
        vi.VariationalGaussian([0.0], [0.0], family="banded")
    with pytest.raises(cai.CaiError, match="closed-form"):
        vi.estimate_elbo(vi.LogisticBernoulliModel(0.0, 1.0, 1, 2), q, estimator="closed-form")
