"""cai.planning: the MPPI planner's limits (tiny temperature: the best sample; huge temperature: the
plain mean of the samples, i.e. the prior mean), its summary recomputed with NumPy, the closed loop
(Pendulum swing-up) recomputed step by step from Pendulum's equations and against the planner
itself, and option errors naming the field."""
import math

import numpy as np
import pytest

import cai
from cai import planning


def angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


def test_tiny_temperature_takes_the_best_sample():
    m = planning.MPPI("PointMass2D", samples=300, horizon=1, temperature=1e-8, noise=[0.8, 0.5],
                      warm_start=False, seed=3)
    state = np.array([1.0, -0.5, 0.0, 0.0])
    action = m.plan(state)
    best = int(np.argmax(m.returns))
    assert m.samples.shape == (1, 2, 300)
    np.testing.assert_array_equal(action, m.samples[0, :, best])
    np.testing.assert_array_equal(m.plan_sequence[0], m.samples[0, :, best])
    assert m.weights[best] == 1.0
    assert m.summary["effective_sample_size"] == pytest.approx(1.0)
    assert m.summary["best_return"] == pytest.approx(m.returns.max(), rel=1e-6)


def test_huge_temperature_returns_the_prior_mean():
    prior = np.array([[0.3, -0.2]])
    for k in (100, 20_000):
        m = planning.MPPI("PointMass2D", samples=k, horizon=1, temperature=1e12, noise=0.1, seed=5)
        m.set_plan(prior)
        m.plan(np.zeros(4))
        np.testing.assert_allclose(m.plan_sequence[0], m.samples[0].mean(axis=1), atol=1e-6)
        np.testing.assert_allclose(m.weights, np.full(k, 1.0 / k), rtol=1e-9)
        if k == 20_000:  # the prior mean within 4 standard errors
            np.testing.assert_allclose(m.plan_sequence[0], prior[0], atol=4 * 0.1 / math.sqrt(k))


def test_summary_recomputed_from_weights_and_returns():
    m = planning.MPPI("Pendulum-v1", samples=500, horizon=20, temperature=0.5, seed=1)
    assert m.summary is None
    a = m.plan([math.pi, 0.0])
    assert a.shape == (1,) and -2.0 <= a[0] <= 2.0
    s = m.summary
    w, r = m.weights, m.returns
    assert w.sum() == pytest.approx(1.0)
    assert 1.0 <= s["effective_sample_size"] <= 500.0
    assert s["effective_sample_size"] == pytest.approx(1.0 / (w ** 2).sum(), rel=1e-9)
    assert s["weighted_return"] == pytest.approx((w * r).sum(), rel=1e-6)
    assert s["mean_return"] == pytest.approx(r.mean(), rel=1e-5)
    # Weights are exp(R / temperature), normalised.
    expected = np.exp((r - r.max()) / 0.5)
    np.testing.assert_allclose(w, expected / expected.sum(), rtol=1e-4, atol=1e-12)
    assert m.plan_sequence.shape == (20, 1)
    m.reset()
    assert m.summary is None
    np.testing.assert_array_equal(m.plan_sequence, np.zeros((20, 1)))
    assert m.options["samples"] == 500 and m.env == "Pendulum-v1"


def test_pendulum_swing_up_closed_loop():
    r = planning.run("Pendulum-v1", 120, samples=1000, horizon=30, seed=0)
    assert r["start"].startswith("hanging")
    assert r["states"].shape == (121, 2) and r["actions"].shape == (120, 1)
    assert r["steps_to_upright"] is not None and r["steps_to_upright"] <= 100
    assert np.all(np.abs(r["angle"][r["steps_to_upright"]:]) < 0.2)
    assert r["return"] == pytest.approx(r["rewards"].sum(), rel=1e-12)
    assert r["states"][0, 0] == pytest.approx(math.pi)
    # Every reward and transition again from Pendulum's equations.
    for k in range(120):
        th, thdot = r["states"][k]
        u = min(max(r["actions"][k, 0], -2.0), 2.0)
        assert r["rewards"][k] == pytest.approx(-(angle_normalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2),
                                                abs=1e-9)
        new_thdot = min(max(thdot + (3 * 10.0 / 2 * math.sin(th) + 3.0 * u) * 0.05, -8.0), 8.0)
        assert r["states"][k + 1, 1] == pytest.approx(new_thdot, abs=1e-9)
        assert r["states"][k + 1, 0] == pytest.approx(th + new_thdot * 0.05, abs=1e-9)
    # The planner driven from Python gives the same actions from the same states.
    m = planning.MPPI("Pendulum-v1", samples=1000, horizon=30, seed=0)
    for k in range(40):
        np.testing.assert_array_equal(m.plan(r["states"][k]), r["actions"][k])
        assert m.summary["effective_sample_size"] == r["effective_sample_size"][k]


def test_mountain_car_reaches_the_goal():
    r = planning.run("MountainCarContinuous-v0", samples=500, energy_weight=50.0)
    assert r["steps_to_goal"] is not None and r["steps_to_goal"] <= 200
    assert r["steps"] == r["steps_to_goal"] == len(r["actions"])
    assert r["states"][-1, 0] >= 0.45
    assert r["return"] >= 90.0


@pytest.mark.parametrize("kwargs,field", [
    (dict(samples=0), "MppiOptions.samples"),
    (dict(horizon=-1), "MppiOptions.horizon"),
    (dict(temperature=0.0), "MppiOptions.temperature"),
    (dict(noise=[1.0, 1.0]), "MppiOptions.noise_std"),
    (dict(noise=-1.0), "MppiOptions.noise_std[0]"),
    (dict(smoothing="box"), "MppiOptions.smoothing"),
    (dict(smoothing="moving-average", smoothing_window=4), "MppiOptions.smoothing_window"),
    (dict(threads=0), "MppiOptions.threads"),
    (dict(action_low=[-1.0]), "MppiOptions.action_high"),
    (dict(energy_weight=-2.0), "energy_weight"),
])
def test_bad_options_name_the_field(kwargs, field):
    with pytest.raises(cai.CaiError, match=field.replace("[", r"\[").replace("]", r"\]")):
        planning.MPPI("Pendulum-v1", **kwargs)
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        planning.run("Pendulum-v1", 5, **kwargs)


def test_bad_env_state_and_steps():
    with pytest.raises(cai.CaiError, match="env"):
        planning.MPPI("CartPole-v1")
    with pytest.raises(cai.CaiError, match='MppiControlOptions.env: "PointMass2D" is invalid'):
        planning.run("PointMass2D", 5)
    with pytest.raises(cai.CaiError, match="MppiControlOptions.steps"):
        planning.run("Pendulum-v1", -1)
    with pytest.raises(cai.CaiError, match="MppiControlOptions.energy_weight"):
        planning.run("CartPoleSwingUp-v0", 5, energy_weight=5.0)
    m = planning.MPPI("Pendulum-v1", samples=8, horizon=2)
    with pytest.raises(cai.CaiError, match="state"):
        m.plan([0.0])
    with pytest.raises(cai.CaiError, match="plan"):
        m.set_plan(np.array([[0.0], [3.0]]))
    assert set(planning.control_env_names()) <= set(planning.model_names())


def test_terminal_value_from_exact_inference_lifts_the_swing_up():
    """Issue #6's -350 bound at K = 1000, T = 30: the grid value's terminal message closes the gap
    the short horizon leaves (same seed and settings with and without it)."""
    kw = dict(samples=1000, horizon=30, temperature=0.1, noise=1.0, iterations=2, seed=0)
    with_value = planning.run("Pendulum-v1", 200, value_grid=51, **kw)
    without = planning.run("Pendulum-v1", 200, **kw)
    assert with_value["return"] >= -350.0
    assert with_value["return"] > without["return"]
    assert with_value["steps_to_upright"] is not None and with_value["steps_to_upright"] <= 100
    with pytest.raises(cai.CaiError, match="value_grid"):
        planning.run("MountainCarContinuous-v0", 10, value_grid=51)
