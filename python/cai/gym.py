"""cai's simulators as Gymnasium environments.

``import cai.gym`` (or ``import cai``) registers ``cai/Pendulum-v1``, ``cai/CartPole-v1``,
``cai/Acrobot-v1``, ``cai/MountainCarContinuous-v0`` and ``cai/CartPoleSwingUp-v0``::

    import gymnasium, cai
    env = gymnasium.make("cai/Pendulum-v1")
    obs, info = env.reset(seed=0)

Each is a real ``gymnasium.Env`` (float32 observations, seeding through ``reset(seed=...)``) that
passes ``gymnasium.utils.env_checker.check_env``; the physics run in C++ and match Gymnasium's
equations (tests/env/). The time limit is the simulator's own (``truncated`` as Gymnasium's
TimeLimit reports it), so no TimeLimit wrapper is added. ``CaiVectorEnv`` steps N copies in C++.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import gymnasium
import numpy as np
from gymnasium import spaces

from . import _core


def _space(space: "_core.Space") -> gymnasium.Space:
    if space.is_discrete:
        return spaces.Discrete(space.n)
    return spaces.Box(low=space.low.astype(np.float32), high=space.high.astype(np.float32), dtype=np.float32)


def _action(space: "_core.Space", action: Any) -> Any:
    if space.is_discrete:
        return int(np.asarray(action).reshape(()))
    return np.asarray(action, dtype=np.float64).reshape(space.dim)


class CaiEnv(gymnasium.Env):
    """One of cai's C++ simulators behind Gymnasium's API. ``name`` is a cai id (``cai.env_names()``)."""

    metadata = {"render_modes": []}

    def __init__(self, name: str = "Pendulum-v1", max_episode_steps: Optional[int] = None,
                 render_mode: Optional[str] = None) -> None:
        if render_mode is not None:
            raise _core.CaiError(f"render_mode: {render_mode!r} is not supported (cai's simulators do not render)")
        self._env = _core.make_env(name)
        if max_episode_steps is not None:
            self._env.max_episode_steps = int(max_episode_steps)
        self._name = name
        self._native_action_space = self._env.action_space
        self.observation_space = _space(self._env.observation_space)
        self.action_space = _space(self._native_action_space)
        self.render_mode = None

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None
              ) -> Tuple[np.ndarray, Dict[str, Any]]:
        super().reset(seed=seed)
        if seed is None and not hasattr(self, "_seeded"):
            # Unseeded first reset: take a seed from Gymnasium's generator (itself seeded by the OS),
            # as Gymnasium's own environments do.
            seed = int(self.np_random.integers(0, 2**63 - 1))
        self._seeded = True
        return self._env.reset(seed), {}

    def step(self, action: Any) -> Tuple[np.ndarray, float, bool, bool, Dict[str, Any]]:
        obs, reward, terminated, truncated = self._env.step(_action(self._native_action_space, action))
        return obs, float(reward), bool(terminated), bool(truncated), {}

    @property
    def state(self) -> np.ndarray:
        """The physical state (e.g. Pendulum's [theta, theta_dot]); settable."""
        return self._env.state

    @state.setter
    def state(self, value: Any) -> None:
        self._env.state = value

    @property
    def native(self) -> "_core.Environment":
        """The C++ environment."""
        return self._env


class CaiVectorEnv(gymnasium.vector.VectorEnv):
    """N copies of a cai simulator stepped together in C++ (``cai.VectorEnv``), with same-step
    automatic reset: a copy whose episode ended returns its next episode's first observation, and
    ``info["final_obs"]`` holds the observation the action led to (``info["_final_obs"]`` marks
    which), as Stable-Baselines3's VecEnv does."""

    def __init__(self, name: str, num_envs: int) -> None:
        self._venv = _core.VectorEnv(int(num_envs), name)
        self.num_envs = int(num_envs)
        self.single_observation_space = _space(self._venv.observation_space)
        self.single_action_space = _space(self._venv.action_space)
        self.observation_space = gymnasium.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        self.action_space = gymnasium.vector.utils.batch_space(self.single_action_space, self.num_envs)
        mode = getattr(gymnasium.vector, "AutoresetMode", None)
        self.metadata = {"autoreset_mode": mode.SAME_STEP if mode is not None else "same-step"}
        self.render_mode = None

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None
              ) -> Tuple[np.ndarray, Dict[str, Any]]:
        if isinstance(seed, (list, tuple)):
            seed = seed[0]
        return self._venv.reset(seed), {}

    def step(self, actions: Any):
        obs, rewards, terminated, truncated, final_obs = self._venv.step(np.asarray(actions))
        done = terminated | truncated
        info: Dict[str, Any] = {}
        if done.any():
            final = np.empty(self.num_envs, dtype=object)
            for i in np.flatnonzero(done):
                final[i] = final_obs[i]
            info = {"final_obs": final, "_final_obs": done.copy()}
        return obs, rewards, terminated, truncated, info


ENV_IDS = {f"cai/{name}": name for name in _core.env_names()}


def register_envs() -> None:
    """Registers every cai simulator with Gymnasium as ``cai/<name>`` (idempotent)."""
    for env_id, name in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point="cai.gym:CaiEnv", kwargs={"name": name},
                               max_episode_steps=None, disable_env_checker=False,
                               vector_entry_point="cai.gym:_make_vector")


def _make_vector(name: str = "Pendulum-v1", num_envs: int = 1, **kwargs: Any) -> CaiVectorEnv:
    return CaiVectorEnv(name, num_envs)


register_envs()
