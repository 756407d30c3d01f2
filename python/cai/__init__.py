"""cai: reinforcement learning as probabilistic inference (control as inference).

The C++ core (``cai._core``) from Python: tabular MDPs and exact soft value iteration with NumPy
arrays in and out, the variational-inference toolkit, the simulators (also as Gymnasium
environments, ``cai.gym``), SAC / soft DQN / MaxEnt actor-critic learners in the style of
Stable-Baselines3, MPPI, MaxEnt IRL and the alignment solvers. Bad input raises
``cai.CaiError`` (a ``ValueError``) with the library's message, which names the field, the value
and what was expected.
"""

from . import _core
from ._core import (
    CaiError,
    Environment,
    FiniteHorizonSolution,
    Mdp,
    Policy,
    SoftSolution,
    SolverSummary,
    Space,
    VectorEnv,
    builtin_names,
    describe_builtins,
    discounted_occupancy,
    enumerate_posterior,
    env_names,
    forward_messages,
    load_policy,
    make_env,
    sample_trajectory,
    soft_value_iteration,
    solve_finite_horizon,
)
from .learners import SAC, MaxEntActorCritic, SoftDQN, train

__version__ = "0.1.0"

__all__ = [
    "CaiError",
    "Environment",
    "FiniteHorizonSolution",
    "MaxEntActorCritic",
    "Mdp",
    "Policy",
    "SAC",
    "SoftDQN",
    "SoftSolution",
    "SolverSummary",
    "Space",
    "VectorEnv",
    "builtin_names",
    "describe_builtins",
    "discounted_occupancy",
    "enumerate_posterior",
    "env_names",
    "forward_messages",
    "load_policy",
    "make_env",
    "sample_trajectory",
    "soft_value_iteration",
    "solve_finite_horizon",
    "train",
]

from . import align, irl, planning, vi  # noqa: E402,F401  (the extension's submodules, always built)

try:  # Gymnasium registration (cai/Pendulum-v1, ...); Gymnasium is a dependency, but cai's
    from . import gym  # noqa: F401  solvers stay usable where it is missing.
except ModuleNotFoundError as _e:  # pragma: no cover
    if _e.name != "gymnasium":
        raise
