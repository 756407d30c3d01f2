"""Every solver result carries one SolverSummary: termination, iterations, final residual, error
bound (NaN where the solver has none), message and a one-line brief report; the old attribute
names on the results keep working."""

import math

import numpy as np

import cai
from cai import vi


def test_soft_value_iteration_summary_matches_the_old_attributes():
    mdp = cai.Mdp.builtin("chain")
    sol = cai.soft_value_iteration(mdp, temperature=1.0, discount=0.9)
    s = sol.summary
    assert isinstance(s, cai.SolverSummary)
    assert s.termination == "converged" and s.converged
    assert (s.iterations, s.final_residual, s.error_bound, s.message) == (
        sol.iterations, sol.residual, sol.error_bound, sol.message)
    report = s.brief_report()
    assert report.startswith(sol.message) and "termination: converged" in report and "\n" not in report

    capped = cai.soft_value_iteration(mdp, temperature=1.0, discount=0.99, max_iterations=3)
    assert capped.summary.termination == "no convergence" and not capped.converged
    assert capped.summary.iterations == 3


def test_finite_horizon_and_occupancy_summaries():
    mdp = cai.Mdp.builtin("two_action")
    s = cai.solve_finite_horizon(mdp, temperature=1.0, horizon=2).summary
    assert s.termination == "converged" and s.iterations == 2
    assert s.final_residual == 0.0 and s.error_bound == 0.0
    sol = cai.soft_value_iteration(cai.Mdp.builtin("chain"), temperature=1.0, discount=0.9)
    occ = cai.discounted_occupancy(cai.Mdp.builtin("chain"), sol.policy, 0.9)
    assert occ["summary"].converged == occ["converged"]
    assert occ["summary"].iterations == occ["iterations"]


def test_fit_elbo_ran_its_budget():
    model = vi.LinearGaussianModel.scalar(0.0, 1.0, 1.0).observe([1.0])
    r = vi.fit_elbo(model, vi.VariationalGaussian([0.0], [0.0]), estimator="closed-form", steps=50)
    assert r.summary.termination == "budget reached" and r.converged
    assert r.summary.iterations == r.iterations == 50
    assert r.summary.final_residual == r.final_residual
    assert math.isnan(r.summary.error_bound)
    assert "error bound" not in r.summary.brief_report()


def test_irl_fit_summary():
    rng = np.random.default_rng(0)
    P = rng.random((4, 2, 4)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    mdp = cai.Mdp.from_arrays(rng.normal(size=(4, 2)), P)
    demos = cai.irl.expert_demonstrations(mdp, count=20, length=6, horizon=6, seed=1)
    result = cai.irl.fit(mdp, demos, horizon=6)
    s = result.summary
    assert s.converged == result.converged and s.iterations == result.iterations and s.message == result.message
    assert s.termination == "converged"
    assert s.final_residual == result.trace["gradient_norm"][-1]
