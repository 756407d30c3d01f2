"""Tabular MDPs and exact inference from Python, each number checked a second way (NumPy closed
forms, brute-force enumeration, the lesson's worked examples)."""

import json

import numpy as np
import pytest

import cai


def test_lesson_two_action_example():
    mdp = cai.Mdp.builtin("two_action")
    sol = cai.solve_finite_horizon(mdp, temperature=1.0, horizon=1)
    # Closed form: V = log(e^1 + e^0), pi = softmax(r).
    assert sol.V[0, 0] == pytest.approx(np.log(np.e + 1.0), abs=1e-14)
    assert round(sol.V[0, 0], 4) == 1.3133
    np.testing.assert_allclose(sol.policy[0, 0], np.exp([1.0, 0.0]) / (np.e + 1.0), atol=1e-15)
    assert round(sol.policy[0, 0, 0], 4) == 0.7311


@pytest.mark.parametrize("temperature", [0.01, 0.5, 1.0, 5.0, 100.0])
def test_lesson_three_action_example(temperature):
    mdp = cai.Mdp.builtin("three_action")
    sol = cai.soft_value_iteration(mdp, temperature=temperature, discount=0.9)
    r = np.array([2.0, 1.0, 0.0])
    z = r / temperature
    expected_v = temperature * (z.max() + np.log(np.exp(z - z.max()).sum()))
    assert sol.converged
    assert sol.V[0] == pytest.approx(expected_v, rel=1e-12)
    np.testing.assert_allclose(sol.policy[0], np.exp(z - z.max()) / np.exp(z - z.max()).sum(), atol=1e-12)


def test_arrays_round_trip_and_numpy_bellman_fixed_point():
    rng = np.random.default_rng(0)
    S, A = 6, 3
    P = rng.random((S, A, S))
    P /= P.sum(axis=2, keepdims=True)
    R = rng.uniform(-1, 1, (S, A))
    mdp = cai.Mdp.from_arrays(R, P)
    np.testing.assert_array_equal(mdp.rewards, R)
    np.testing.assert_allclose(mdp.transition_matrix(), P, atol=1e-15)
    assert not mdp.terminal.any()
    alpha, gamma = 0.7, 0.9
    for backup in ("variational", "exact"):
        sol = cai.soft_value_iteration(mdp, temperature=alpha, discount=gamma, backup=backup, tolerance=1e-13)
        V = sol.V
        # The soft Bellman equation written in NumPy.
        if backup == "variational":
            Q = R + gamma * P @ V
        else:
            Q = R + alpha * np.log(P @ np.exp(gamma * V / alpha))
        np.testing.assert_allclose(sol.Q, Q, atol=1e-11)
        np.testing.assert_allclose(V, alpha * np.log(np.exp(Q / alpha).sum(axis=1)), atol=1e-11)
        np.testing.assert_allclose(sol.policy, np.exp((Q - V[:, None]) / alpha), atol=1e-11)
        assert sol.error_bound <= 1e-12
    # The JSON form round-trips losslessly.
    again = cai.Mdp.from_json(mdp.to_json())
    assert json.loads(again.to_json()) == json.loads(mdp.to_json())


def test_save_and_load(tmp_path):
    mdp = cai.Mdp.builtin("gridworld", {"width": 4, "height": 3, "slip": 0.2})
    assert mdp.grid_shape == (3, 4)
    path = tmp_path / "grid.json"
    mdp.save(str(path))
    assert cai.Mdp.load(str(path)).to_json() == mdp.to_json()


def test_exact_backup_matches_enumeration():
    mdp = cai.Mdp.builtin("random", {"states": 4, "actions": 2, "branching": 2, "seed": 3})
    T, alpha = 4, 0.8
    sol = cai.solve_finite_horizon(mdp, temperature=alpha, horizon=T, backup="exact")
    for s in range(mdp.num_states):
        e = cai.enumerate_posterior(mdp, s, T, alpha)
        assert sol.V[0, s] / alpha == pytest.approx(e["log_partition"], abs=1e-10)
        np.testing.assert_allclose(sol.policy[0, s], e["first_action_posterior"], atol=1e-10)


def test_uniform_prior_shifts_values():
    mdp = cai.Mdp.builtin("chain")
    a = cai.soft_value_iteration(mdp, temperature=0.5, discount=0.9)
    b = cai.soft_value_iteration(mdp, temperature=0.5, discount=0.9, prior="uniform")
    # V shifts by -alpha log|A| / (1 - gamma); the policy is unchanged.
    np.testing.assert_allclose(b.V, a.V - 0.5 * np.log(2) / (1 - 0.9), atol=1e-8)
    np.testing.assert_allclose(b.policy, a.policy, atol=1e-10)


def test_forward_messages_and_occupancy_identities():
    mdp = cai.Mdp.builtin("gridworld", {"width": 4, "height": 4, "slip": 0.1})
    T = 6
    sol = cai.solve_finite_horizon(mdp, temperature=0.3, horizon=T)
    f = cai.forward_messages(mdp, sol.policy)
    P = mdp.transition_matrix()
    d = f["state_marginals"]
    # Flow equations in NumPy: d_{t+1}(s') = sum_{s,a} d_t(s, a) p(s'|s, a).
    for t in range(T - 1):
        np.testing.assert_allclose(d[t + 1], np.einsum("sa,sap->p", f["state_action_marginals"][t], P), atol=1e-14)
    # Mass still running plus mass ended so far is 1.
    np.testing.assert_allclose(d.sum(axis=1) + np.concatenate([[0], np.cumsum(f["ended"])[:-1]]), 1.0, atol=1e-12)
    stationary = cai.soft_value_iteration(mdp, temperature=0.3, discount=0.9).policy
    occ = cai.discounted_occupancy(mdp, stationary, 0.9)
    P_pi = np.einsum("sa,sap->sp", stationary, P)
    rho = np.linalg.solve(np.eye(mdp.num_states) - 0.9 * P_pi.T, mdp.initial)
    np.testing.assert_allclose(occ["state"], rho, atol=1e-10)


def test_sample_trajectory_is_seeded():
    mdp = cai.Mdp.builtin("gridworld")
    pi = cai.soft_value_iteration(mdp, temperature=0.1, discount=0.95).policy
    a = cai.sample_trajectory(mdp, pi, 50, seed=4)
    b = cai.sample_trajectory(mdp, pi, 50, seed=4)
    np.testing.assert_array_equal(a["states"], b["states"])
    assert a["rewards"].shape == a["actions"].shape


def test_bad_input_raises_value_error_naming_the_field():
    with pytest.raises(cai.CaiError, match=r"transitions\[0\]\.next\[1\]: probability -0.5 is negative"):
        P = np.zeros((2, 1, 2))
        P[0, 0] = [0.5, -0.5]
        P[1, 0] = [0.0, 1.0]
        cai.Mdp.from_arrays(np.zeros((2, 1)), P)
    with pytest.raises(ValueError, match="rewards"):
        cai.Mdp.from_arrays(np.zeros(3), np.zeros((3, 1, 3)))
    with pytest.raises(ValueError, match="temperature"):
        cai.soft_value_iteration(cai.Mdp.builtin("chain"), temperature=-1.0, discount=0.9)
    with pytest.raises(ValueError, match="backup"):
        cai.soft_value_iteration(cai.Mdp.builtin("chain"), temperature=1.0, discount=0.9, backup="optimistic")
    with pytest.raises(ValueError, match="prior"):
        cai.soft_value_iteration(cai.Mdp.builtin("chain"), temperature=1.0, discount=0.9, prior=np.ones((2, 2)))
    with pytest.raises(ValueError, match="nosuch"):
        cai.Mdp.builtin("nosuch")
    assert issubclass(cai.CaiError, ValueError)
