"""Maximum-entropy inverse RL: linear rewards r(s, a) = theta . f(s, a) from demonstrations.

Two models of the expert (the same as ``cai irl --method``):

* ``"mce"`` -- maximum causal entropy (Ziebart 2010): the soft policy of the variational backup
  Q = r + gamma E V' (SAC's backup);
* ``"maxent"`` -- MaxEnt IRL (Ziebart et al. 2008): trajectories weighted by exp(return / alpha),
  the exact (optimistic) backup.

Either with a finite horizon (``horizon=T``, every demonstration T steps or ending with a terminal
action) or discounted (``horizon=0``, ``discount`` in [0, 1)). The objective is concave; ``fit``
maximises it with L-BFGS (or Adam) in C++, the GIL released::

    import cai
    world = cai.irl.Objectworld(size=8, num_objects=10, seed=3)
    expert = cai.soft_value_iteration(world.mdp, temperature=1.0, discount=0.9)
    demos = cai.irl.sample_demonstrations(world.mdp, expert.policy, count=64, length=30, seed=0)
    result = cai.irl.fit(world.mdp, demos, world.features, discount=0.9)
    result.reward            # (S,) learned state reward theta . f(s)
    result.evd               # expected value difference under the true reward

The binding classes (``Features``, ``Objectworld``, ``Demonstration``, ``Objective``) are the
library's; the functions here only compose them with ``cai.soft_value_iteration`` /
``cai.solve_finite_horizon``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._core.irl import (
    Demonstration,
    Features,
    Objective,
    Objectworld,
    demonstrations_to_jsonl,
    expected_value_difference,
    load_demonstrations,
    parse_demonstrations,
    sample_demonstrations,
    save_demonstrations,
    validate_demonstrations,
    with_rewards,
)

__all__ = [
    "Demonstration",
    "Features",
    "IrlResult",
    "Objective",
    "Objectworld",
    "as_demonstrations",
    "as_features",
    "demonstrations_to_jsonl",
    "expected_value_difference",
    "expert_demonstrations",
    "fit",
    "gradient",
    "load_demonstrations",
    "objective",
    "parse_demonstrations",
    "sample_demonstrations",
    "save_demonstrations",
    "soft_policy",
    "validate_demonstrations",
    "with_rewards",
]

DemoLike = Union[Demonstration, Dict[str, Any], Tuple[Sequence[int], Sequence[int]]]
FeaturesLike = Union[Features, np.ndarray, None]


def as_demonstrations(demos: Iterable[DemoLike]) -> List[Demonstration]:
    """Demonstrations from ``Demonstration`` objects, ``{"states": ..., "actions": ...}`` dicts or
    ``(states, actions)`` pairs."""
    out = []
    for d in demos:
        if isinstance(d, Demonstration):
            out.append(d)
        elif isinstance(d, dict):
            out.append(Demonstration(d["states"], d["actions"]))
        else:
            states, actions = d
            out.append(Demonstration(states, actions))
    return out


def as_features(mdp: _core.Mdp, features: FeaturesLike) -> Features:
    """``None``: one-hot states; an (S, F) or (S, A, F) array; or a ``Features`` (returned as is)."""
    if features is None:
        return Features.indicator(mdp)
    if isinstance(features, Features):
        return features
    return Features.from_array(mdp, features)


def soft_policy(mdp: _core.Mdp, temperature: float = 1.0, horizon: int = 0, discount: float = 1.0,
                backup: str = "variational") -> np.ndarray:
    """The soft-optimal policy of the MDP's own rewards: (T, S, A) with a horizon, else (S, A)."""
    if horizon > 0:
        return _core.solve_finite_horizon(mdp, temperature, horizon, backup=backup, discount=discount).policy
    solution = _core.soft_value_iteration(mdp, temperature, discount, backup=backup)
    if not solution.converged:
        raise _core.CaiError(f"soft value iteration: {solution.message}")
    return solution.policy


def expert_demonstrations(mdp: _core.Mdp, count: int, length: int = 0, horizon: int = 0,
                          discount: float = 1.0, temperature: float = 1.0, backup: str = "variational",
                          seed: int = 0) -> List[Demonstration]:
    """As ``cai demos``: ``count`` trajectories of the soft-optimal expert of the MDP's rewards,
    finite horizon (``horizon``; length defaults to it) or discounted (``discount`` < 1, ``length``)."""
    policy = soft_policy(mdp, temperature, horizon, discount, backup)
    return sample_demonstrations(mdp, policy, count, length or horizon, seed)


def objective(mdp: _core.Mdp, demos: Iterable[DemoLike], features: FeaturesLike = None, method: str = "mce",
              temperature: float = 1.0, horizon: int = 0, discount: float = 1.0, l2: float = 0.0,
              **options: Any) -> Objective:
    """The IRL objective (see ``Objective``); further options: tolerance, max_iterations,
    checkpoint_interval, keep_policies."""
    return Objective(mdp, as_features(mdp, features), as_demonstrations(demos), method=method,
                     temperature=temperature, horizon=horizon, discount=discount, l2=l2, **options)


def gradient(mdp: _core.Mdp, demos: Iterable[DemoLike], theta: Any, features: FeaturesLike = None,
             **options: Any) -> Dict[str, Any]:
    """L(theta) and dL/dtheta = (f_D - mu(theta)) / alpha - l2 theta, with the empirical features
    f_D and the expected features mu(theta): dict objective, gradient, empirical, expected."""
    obj = objective(mdp, demos, features, **options)
    value, grad = obj.evaluate(np.asarray(theta, dtype=float))
    return {"objective": value, "gradient": grad, "empirical": obj.empirical_features,
            "expected": obj.expected_features}


@dataclass
class IrlResult:
    """What ``fit`` returns."""

    theta: np.ndarray                 #: (F,) reward weights
    rewards: np.ndarray               #: (S, A) r(s, a) = theta . f(s, a)
    reward: np.ndarray                #: (S,) for state features, else (S, A)
    policy: np.ndarray                #: soft policy of the learned reward: (T, S, A) or (S, A)
    trace: Dict[str, np.ndarray]      #: iteration, evaluations, objective, gradient_norm
    converged: bool
    iterations: int
    message: str
    objective: float                  #: the final L(theta)
    empirical_features: np.ndarray    #: f_D
    expected_features: np.ndarray     #: mu(theta) at the solution
    evd: Optional[float] = None       #: expected value difference (discounted problems)
    feature_names: List[str] = field(default_factory=list)
    summary: Optional[_core.SolverSummary] = None  #: the fit's SolverSummary (brief_report(), termination, ...)


def fit(mdp: _core.Mdp, demos: Iterable[DemoLike], features: FeaturesLike = None, method: str = "mce",
        temperature: float = 1.0, horizon: int = 0, discount: float = 1.0, l2: float = 0.0,
        optimizer: str = "lbfgs", max_iterations: int = 1000, gradient_tolerance: float = 1e-6,
        learning_rate: float = 0.05, initial_theta: Any = None, **options: Any) -> IrlResult:
    """As ``cai irl``: the reward weights under which the demonstrations are most likely, the
    learned reward, its soft policy (exact backup for ``"maxent"``, variational for ``"mce"``) and,
    for discounted problems, the expected value difference under the MDP's own rewards.
    ``options`` go to ``Objective`` (tolerance, max_iterations, ...) except relative_tolerance and
    lbfgs_memory, which go to ``Objective.fit``."""
    fit_options = {k: options.pop(k) for k in ("relative_tolerance", "lbfgs_memory") if k in options}
    table = as_features(mdp, features)
    obj = objective(mdp, demos, table, method=method, temperature=temperature, horizon=horizon,
                    discount=discount, l2=l2, **options)
    r = obj.fit(optimizer=optimizer, max_iterations=max_iterations, gradient_tolerance=gradient_tolerance,
                learning_rate=learning_rate, initial_theta=initial_theta, **fit_options)
    theta = r["theta"]
    value, _ = obj.evaluate(theta)
    rewards = table.reward(theta)
    reward = table.values @ theta
    backup = "exact" if method == "maxent" else "variational"
    policy = soft_policy(with_rewards(mdp, rewards), temperature, horizon, discount, backup)
    evd = expected_value_difference(mdp, rewards, discount) if horizon == 0 else None
    return IrlResult(theta=theta, rewards=rewards, reward=reward, policy=policy, trace=r["trace"],
                     converged=r["converged"], iterations=r["iterations"], message=r["message"], objective=value,
                     empirical_features=obj.empirical_features, expected_features=obj.expected_features, evd=evd,
                     feature_names=table.names, summary=r["summary"])
