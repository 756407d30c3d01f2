"""cai.planning: sampling-based planning as inference (C++ module planning).

``MPPI(env, samples=..., horizon=..., temperature=..., noise=...)`` plans on one of the library's
batched models (``model_names()``): ``plan(state)`` returns the first action of the updated plan,
``summary`` the last call's effective sample size and returns, ``reset()`` goes back to the nominal
plan. ``run(env, steps, ...)`` is the closed loop of ``cai plan mppi`` on a simulator
(``control_env_names()``), returning the trajectory, actions and return. Bad options raise
``cai.CaiError`` (a ``ValueError``) naming the field, e.g. ``MppiOptions.samples``.
"""

from . import _core

_planning = _core.planning

MPPI = _planning.MPPI
run = _planning.run
model_names = _planning.model_names
control_env_names = _planning.control_env_names

__all__ = ["MPPI", "control_env_names", "model_names", "run"]
