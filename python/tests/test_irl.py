"""cai.irl: the objective's gradient against finite differences, the expected features against
cai.forward_messages / cai.discounted_occupancy, recovery on a small objectworld, demonstration
files, and errors naming the field."""

import numpy as np
import pytest

import cai


def random_mdp(S=5, A=3, seed=0, terminal=False):
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    if terminal:
        P[S - 1, 0, :] = 0.0  # action 0 in the last state ends the episode
    r = rng.normal(size=(S, A))
    d0 = rng.random(S)
    return cai.Mdp.from_arrays(r, P, initial=d0 / d0.sum())


def expert(mdp, horizon=0, discount=0.9, count=40, length=12, seed=1):
    return cai.irl.expert_demonstrations(mdp, count=count, length=length, horizon=horizon,
                                         discount=discount, seed=seed)


CASES = [
    # method, horizon, discount, feature kind
    ("mce", 6, 1.0, "state"),
    ("maxent", 6, 1.0, "state_action"),
    ("mce", 0, 0.8, "state_action"),
    ("maxent", 0, 0.8, "state"),
    ("mce", 5, 0.9, "state"),
]


@pytest.mark.parametrize("method,horizon,discount,kind", CASES)
def test_gradient_matches_finite_difference(method, horizon, discount, kind):
    mdp = random_mdp()
    rng = np.random.default_rng(2)
    shape = (mdp.num_states, 3) if kind == "state" else (mdp.num_states, mdp.num_actions, 3)
    features = cai.irl.Features.from_array(mdp, rng.normal(size=shape))
    assert features.kind == kind
    demos = expert(mdp, horizon=horizon, discount=discount if horizon == 0 else 1.0, length=horizon or 12)
    obj = cai.irl.objective(mdp, demos, features, method=method, temperature=0.7, horizon=horizon,
                            discount=discount, l2=0.1, tolerance=1e-13)
    theta = rng.normal(size=3)
    value, grad = obj.evaluate(theta)
    # The gradient is (f_D - mu) / alpha - l2 theta, from the two feature vectors the objective reports.
    np.testing.assert_allclose(grad, (obj.empirical_features - obj.expected_features) / 0.7 - 0.1 * theta,
                               rtol=1e-12, atol=1e-12)
    # Central differences of L (NumPy) agree with the exact gradient.
    h = 1e-5
    fd = np.array([(obj.evaluate(theta + h * e)[0] - obj.evaluate(theta - h * e)[0]) / (2 * h)
                   for e in np.eye(3)])
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
    # cai.irl.gradient is the same evaluation from scratch.
    g = cai.irl.gradient(mdp, demos, theta, features, method=method, temperature=0.7, horizon=horizon,
                         discount=discount, l2=0.1, tolerance=1e-13)
    assert g["objective"] == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(g["gradient"], grad, rtol=1e-10, atol=1e-12)


def test_expected_features_match_forward_messages():
    mdp = random_mdp(S=6, A=3, seed=4)
    T = 5
    rng = np.random.default_rng(5)
    f = rng.normal(size=(mdp.num_states, mdp.num_actions, 4))
    features = cai.irl.Features.from_array(mdp, f)
    demos = expert(mdp, horizon=T, length=T, count=30)
    obj = cai.irl.objective(mdp, demos, features, method="mce", horizon=T, temperature=1.0)
    theta = rng.normal(size=4)
    obj.evaluate(theta)
    # Independently: the soft policy of r = theta . f, rolled forward by cai.forward_messages.
    learned = cai.irl.with_rewards(mdp, features.reward(theta))
    np.testing.assert_allclose(features.reward(theta), f @ theta, rtol=1e-12, atol=1e-12)
    policy = cai.solve_finite_horizon(learned, 1.0, T).policy
    fm = cai.forward_messages(mdp, policy, initial=obj.start_distribution)
    mu = np.einsum("tsa,saf->f", fm["state_action_marginals"], f)
    np.testing.assert_allclose(obj.expected_features, mu, rtol=1e-10, atol=1e-12)
    # f_D by hand from the demonstrations.
    fd = np.mean([sum(f[s, a] for s, a in zip(d.states, d.actions)) for d in demos], axis=0)
    np.testing.assert_allclose(obj.empirical_features, fd, rtol=1e-12, atol=1e-12)


def test_discounted_expected_features_match_occupancy():
    mdp = random_mdp(S=6, A=2, seed=6)
    gamma = 0.85
    f = np.random.default_rng(7).normal(size=(mdp.num_states, 3))
    features = cai.irl.Features.from_array(mdp, f, names=["a", "b", "c"])
    assert features.names == ["a", "b", "c"]
    demos = expert(mdp, discount=gamma, length=10)
    obj = cai.irl.objective(mdp, demos, features, method="mce", discount=gamma, tolerance=1e-13)
    theta = np.array([0.5, -1.0, 0.25])
    obj.evaluate(theta)
    learned = cai.irl.with_rewards(mdp, features.reward(theta))
    policy = cai.soft_value_iteration(learned, 1.0, gamma, tolerance=1e-13).policy
    occ = cai.discounted_occupancy(mdp, policy, gamma, initial=obj.start_distribution)
    mu = occ["state"] @ f
    np.testing.assert_allclose(obj.expected_features, mu, rtol=1e-7, atol=1e-9)


def test_recovers_objectworld_reward():
    world = cai.irl.Objectworld(size=6, num_objects=8, num_colours=2, seed=3)
    mdp = world.mdp
    assert world.objects.shape == (8, 4)
    assert world.features.num_states == mdp.num_states == 36
    gamma = 0.9
    demos = cai.irl.expert_demonstrations(mdp, count=100, length=25, discount=gamma, seed=0)
    result = cai.irl.fit(mdp, demos, world.features, discount=gamma, l2=0.01)
    assert result.converged, result.message
    assert result.reward.shape == (mdp.num_states,)
    assert result.rewards.shape == (mdp.num_states, mdp.num_actions)
    assert result.policy.shape == (mdp.num_states, mdp.num_actions)
    # L-BFGS's trace rises monotonically; at the optimum f_D ~ mu + l2 theta (gradient ~ 0).
    assert np.all(np.diff(result.trace["objective"]) > 0)
    np.testing.assert_allclose(result.empirical_features - result.expected_features, 0.01 * result.theta,
                               atol=1e-4)
    # The learned reward's optimal policy loses much less than the uninformed one (EVD).
    baseline = cai.irl.expected_value_difference(mdp, np.zeros_like(result.rewards), gamma)
    assert result.evd is not None and result.evd < 0.5 * baseline
    # The learned state reward correlates with the true one.
    true_state = mdp.rewards.mean(axis=1)
    assert np.corrcoef(true_state, result.reward)[0, 1] > 0.5


def test_adam_and_maxent_finite_horizon():
    mdp = random_mdp(S=4, A=2, seed=8)
    demos = expert(mdp, horizon=4, length=4, count=50, seed=3)
    lb = cai.irl.fit(mdp, demos, method="maxent", horizon=4)
    ad = cai.irl.fit(mdp, demos, method="maxent", horizon=4, optimizer="adam", max_iterations=3000,
                     learning_rate=0.05, gradient_tolerance=1e-4)
    assert lb.evd is None and lb.policy.shape == (4, 4, 2)
    assert ad.objective == pytest.approx(lb.objective, abs=1e-5)
    assert len(lb.feature_names) == 4  # one-hot state features, one per state


def test_demonstration_files_round_trip(tmp_path):
    mdp = random_mdp(seed=9)
    demos = expert(mdp, count=5, length=7)
    path = str(tmp_path / "demos.jsonl")
    cai.irl.save_demonstrations(demos, path)
    loaded = cai.irl.load_demonstrations(path)
    assert loaded == demos
    assert cai.irl.parse_demonstrations(cai.irl.demonstrations_to_jsonl(demos)) == demos
    # Same seed, same demonstrations; dicts and tuples are accepted too.
    assert expert(mdp, count=5, length=7) == demos
    d = demos[0]
    assert cai.irl.as_demonstrations([{"states": d.states, "actions": d.actions}, (d.states, d.actions)]) == [d, d]
    cai.irl.validate_demonstrations(demos, mdp)


def test_features_files_round_trip(tmp_path):
    mdp = random_mdp(seed=10)
    f = cai.irl.Features.from_array(mdp, np.arange(15.0).reshape(5, 3))
    path = str(tmp_path / "f.json")
    f.save(path)
    g = cai.irl.Features.load(path)
    np.testing.assert_array_equal(g.values, f.values)
    np.testing.assert_array_equal(cai.irl.Features.from_json(f.to_json()).values, f.values)
    np.testing.assert_array_equal(cai.irl.Features.indicator(mdp).values, np.eye(5))
    b = cai.irl.Features.builtin("objectworld", {"size": 4, "objects": 3})
    assert b.num_states == 16


def test_bad_input_names_the_field():
    mdp = random_mdp()
    demos = expert(mdp, count=3, length=4)
    with pytest.raises(cai.CaiError, match="features"):
        cai.irl.Features.from_array(mdp, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="features"):
        cai.irl.Features.from_array(mdp, np.zeros(5))
    with pytest.raises(cai.CaiError, match="discount"):
        cai.irl.objective(mdp, demos, discount=1.0)  # discounted needs discount < 1
    with pytest.raises(cai.CaiError, match="bogus"):
        cai.irl.objective(mdp, demos, method="bogus", discount=0.9)
    with pytest.raises(cai.CaiError, match="theta"):
        cai.irl.objective(mdp, demos, discount=0.9).evaluate(np.zeros(3))
    with pytest.raises(cai.CaiError, match=r"demos\[0\]"):
        cai.irl.validate_demonstrations([cai.irl.Demonstration([0, 99], [0, 0])], mdp)
    with pytest.raises(cai.CaiError, match="line 1"):
        cai.irl.parse_demonstrations('{"states": [0], "actions": [0, 1]}\n')
    with pytest.raises(cai.CaiError, match="adamw"):
        cai.irl.fit(mdp, demos, discount=0.9, optimizer="adamw")
    with pytest.raises(cai.CaiError, match="size"):
        cai.irl.Objectworld(size=0)
