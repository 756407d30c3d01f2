"""Learners in the style of Stable-Baselines3: ``learn``, ``predict``, ``save``, ``load``.

Each class drives a C++ trainer (the same code as ``cai train``); ``learn`` runs the C++ loop with
the GIL released, in chunks, calling ``callback`` between chunks. An environment is a Gymnasium id
of one of cai's simulators (``cai.env_names()``), stepped in C++, or any ``gymnasium.Env`` object
(SAC and soft DQN), stepped through Python.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Optional, Tuple, Union

import numpy as np

from . import _core

#: Step budget given to the C++ trainers, which ``learn`` does not use: it steps as asked.
_UNBOUNDED = 10**12

Callback = Callable[["_Learner", Dict[str, Any]], Optional[bool]]


class _Learner:
    """Shared by SAC, SoftDQN and MaxEntActorCritic (see their docstrings)."""

    _algorithm = ""
    _section = ""
    _trainer_class: Any = None
    _python_envs = True

    def __init__(self, env: Union[str, Any], seed: int = 0, **options: Any) -> None:
        options = dict(options)
        options["seed"] = int(seed)
        self._gym_env = None
        if isinstance(env, str):
            self._trainer = self._trainer_class(env, options, _UNBOUNDED)
        else:
            if not self._python_envs:
                raise _core.CaiError(
                    f"env: {type(self).__name__} trains on cai's simulators only "
                    f"(give a name from cai.env_names(), got {type(env).__name__})")
            self._gym_env = env
            self._trainer = self._trainer_class.from_python_env(env, _second_instance(env), options, _UNBOUNDED)
        self.episode_returns: list = []

    # -- training -------------------------------------------------------------------------------
    def learn(self, total_timesteps: int, callback: Optional[Callback] = None, log_interval: int = 1000,
              finish_episode: bool = True) -> "_Learner":
        """Trains for ``total_timesteps`` more environment steps.

        ``callback(model, info)`` is called every ``log_interval`` steps with ``info`` holding
        ``num_timesteps``, ``episodes`` (arrays ``end_step``, ``return``, ``length``, ``truncated``
        of the episodes that ended in the chunk) and ``scalars`` (the latest losses); returning
        ``False`` stops training. With ``finish_episode`` (default) training continues to the end
        of the episode in progress, so that ``save`` can checkpoint exactly.
        """
        if int(total_timesteps) < 0:
            raise _core.CaiError(f"total_timesteps: {total_timesteps} is invalid (expected an integer >= 0)")
        if int(log_interval) < 1:
            raise _core.CaiError(f"log_interval: {log_interval} is invalid (expected an integer >= 1)")
        remaining = int(total_timesteps)
        while remaining > 0:
            chunk = min(remaining, int(log_interval))
            last = chunk == remaining
            start = self._trainer.num_timesteps
            episodes = self._trainer.run_steps(chunk, finish_episode and last)
            remaining -= self._trainer.num_timesteps - start
            self.episode_returns.extend(episodes["return"].tolist())
            if callback is not None:
                info = {"num_timesteps": self.num_timesteps, "episodes": episodes, "scalars": self._trainer.scalars()}
                if callback(self, info) is False:
                    break
        if remaining <= 0 and finish_episode and not self._trainer.can_checkpoint:
            self._trainer.run_steps(0, True)
        return self

    # -- acting ---------------------------------------------------------------------------------
    def predict(self, observation: Any, state: Any = None, episode_start: Any = None,
                deterministic: bool = False) -> Tuple[Any, None]:
        """The action for one observation (D,) or a batch (N, D), and ``None`` (no recurrent state),
        as Stable-Baselines3 returns them."""
        return self._trainer.act(np.asarray(observation, dtype=np.float32), deterministic), None

    def evaluate(self, episodes: int = 10, seed: int = 1000003) -> Dict[str, Any]:
        """Deterministic episodes on a separate copy of the environment: mean_return, std_return,
        returns, lengths."""
        return self._trainer.evaluate(episodes, seed)

    # -- files ----------------------------------------------------------------------------------
    def save(self, path: Union[str, os.PathLike]) -> None:
        """Everything needed to continue training (a safetensors checkpoint with the config)."""
        self._trainer.save(os.fspath(path))

    def save_policy(self, path: Union[str, os.PathLike]) -> None:
        """The policy alone, as ``cai train`` writes policy.safetensors: ``cai eval FILE`` and
        ``cai.load_policy`` read it, and PyTorch through ``safetensors.torch.load_file``."""
        self._trainer.save_policy(os.fspath(path))

    @classmethod
    def load(cls, path: Union[str, os.PathLike], env: Any = None) -> "_Learner":
        """A learner from ``save``'s file or a ``cai train`` run directory (its checkpoint); pass
        ``env`` for one trained on a Python environment."""
        path = os.fspath(path)
        if os.path.isdir(path):
            with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
                config = json.load(f)
            checkpoint = os.path.join(path, "checkpoint.safetensors")
        else:
            meta = _core.read_metadata(path)
            if "config" not in meta:
                raise _core.CaiError(f"{path}: metadata \"config\" is missing (not a checkpoint written by save())")
            config = json.loads(meta["config"])
            checkpoint = path
        if config.get("algorithm") != cls._algorithm:
            raise _core.CaiError(f"{path}: algorithm \"{config.get('algorithm')}\" (expected \"{cls._algorithm}\" "
                                 f"for {cls.__name__})")
        self = cls.__new__(cls)
        self._gym_env = env
        self.episode_returns = []
        options = config[cls._section]
        if env is None or isinstance(env, str):
            self._trainer = cls._trainer_class(env or config["env"], options, int(config["steps"]))
        else:
            self._trainer = cls._trainer_class.from_python_env(env, _second_instance(env), options,
                                                               int(config["steps"]))
        self._trainer.restore(checkpoint)
        return self

    # -- properties -----------------------------------------------------------------------------
    @property
    def num_timesteps(self) -> int:
        """Environment steps taken so far."""
        return self._trainer.num_timesteps

    @property
    def config(self) -> Dict[str, Any]:
        """The resolved configuration (algorithm, env, every option), as `cai train` writes it."""
        return self._trainer.config()

    @property
    def trainer(self) -> Any:
        """The C++ trainer (cai._core)."""
        return self._trainer

    def __repr__(self) -> str:
        c = self.config
        return f"<cai.{type(self).__name__} on {c['env']}: {self.num_timesteps} steps>"


def _second_instance(env: Any) -> Any:
    """A separate instance of a Gymnasium environment for evaluation."""
    spec = getattr(env, "spec", None)
    if spec is not None:
        import gymnasium

        return gymnasium.make(spec)
    return type(env)()


class SAC(_Learner):
    """Soft Actor-Critic (Haarnoja et al. 2018): Stable-Baselines3's defaults.

    ``SAC("Pendulum-v1", seed=0, learning_starts=1000)`` or ``SAC(gymnasium.make("Pendulum-v1"))``.
    Options are ``cai train sac``'s (``hidden``, ``batch_size``, ``buffer_size``, ``discount``,
    ``tau``, ``actor_learning_rate``, ``critic_learning_rate``, ``learning_starts``,
    ``train_frequency``, ``gradient_steps``, ``initial_temperature``, ``auto_temperature``,
    ``target_entropy``, ...: every field of ``cai._core.option_fields("sac")``, with its default); an
    unknown name is a ``CaiError`` naming it.
    """

    _algorithm = "sac"
    _section = "sac"
    _trainer_class = _core.SacTrainer


class SoftDQN(_Learner):
    """Deep soft Q-learning for discrete actions (the variational soft Bellman backup from samples).

    ``SoftDQN("CartPole-v1", seed=0, temperature=0.01)``; options as ``cai train soft-q``'s (the fields
    of ``cai._core.option_fields("soft-q")``).
    """

    _algorithm = "soft-q"
    _section = "soft_q"
    _trainer_class = _core.SoftQTrainer


class MaxEntActorCritic(_Learner):
    """The MaxEnt actor-critic (A2C with an entropy or KL-to-prior bonus, GAE) on ``num_envs``
    copies of one of cai's simulators stepped in C++; options as ``cai train maxent-pg``'s (the fields
    of ``cai._core.option_fields("actor-critic")``)."""

    _algorithm = "maxent-pg"
    _section = "actor_critic"
    _trainer_class = _core.ActorCriticTrainer
    _python_envs = False


_TRAINERS = {"sac": SAC, "soft-q": SoftDQN, "maxent-pg": MaxEntActorCritic}


def train(algorithm: str, env: str, steps: int, directory: Union[str, os.PathLike], seed: int = 0,
          resume: bool = False, checkpoint_interval: int = 10000, eval_interval: int = 5000,
          eval_episodes: int = 10, log_interval: int = 1000, progress: bool = False,
          **options: Any) -> Dict[str, Any]:
    """A run directory exactly as ``cai train ALGORITHM --env ENV --steps STEPS --out DIR`` writes
    it (config.json, metrics.csv/jsonl, TensorBoard events, checkpoints, policy.safetensors,
    eval.json); ``resume=True`` continues the run in ``directory`` from its last checkpoint."""
    if algorithm not in _TRAINERS:
        raise _core.CaiError(f"algorithm: \"{algorithm}\" is invalid (expected one of {', '.join(_TRAINERS)})")
    cls = _TRAINERS[algorithm]
    directory = os.fspath(directory)
    if resume:
        with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        trainer = cls._trainer_class(config["env"], config[cls._section], int(config["steps"]))
    else:
        options["seed"] = int(seed)
        trainer = cls._trainer_class(env, options, int(steps))
    return _core.run_training(trainer, directory, resume, checkpoint_interval, eval_interval, eval_episodes,
                              1000003, log_interval, progress)
