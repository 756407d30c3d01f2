"""
cai's C++ core (control as inference). Use the `cai` package, which wraps this module.
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
from . import vi
from . import planning
from . import irl
from . import align
__all__: list[str] = ['ActorCriticTrainer', 'CaiError', 'Environment', 'FiniteHorizonSolution', 'Mdp', 'Policy', 'PythonEnvironment', 'SacTrainer', 'SoftQTrainer', 'SoftSolution', 'SolverSummary', 'Space', 'Trainer', 'VectorEnv', 'align', 'builtin_names', 'describe_builtins', 'discounted_occupancy', 'enumerate_posterior', 'env_names', 'forward_messages', 'irl', 'load_policy', 'make_env', 'planning', 'read_metadata', 'run_training', 'sample_trajectory', 'soft_value_iteration', 'solve_finite_horizon', 'vi']
class CaiError(ValueError):
    """
    Bad input (an argument, option, file or array): the message names the field, the value and what was expected. A ValueError.
    """
class Mdp:
    """
    An immutable, validated tabular MDP (sparse stochastic transitions).
    """
    @staticmethod
    def builtin(name: str, params: dict = {}) -> Mdp:
        """
        A built-in problem by name (see builtin_names()), parameters as on `cai solve --param`.
        """
    @staticmethod
    def from_arrays(rewards: typing.Any, transitions: typing.Any, initial: typing.Any = None, state_names: typing.Any = None, action_names: typing.Any = None) -> Mdp:
        """
        rewards (S, A); transitions (S, A, S) with rows summing to 1, or all zero where the episode ends after the action; initial (S,) or None for state 0.
        """
    @staticmethod
    def from_json(text: str) -> Mdp:
        """
        Parses a cai.mdp/1 document.
        """
    @staticmethod
    def load(path: str) -> Mdp:
        """
        Reads a cai.mdp/1 file.
        """
    def __repr__(self) -> str:
        ...
    def save(self, path: str) -> None:
        """
        Writes a cai.mdp/1 file atomically.
        """
    def to_json(self) -> str:
        """
        The cai.mdp/1 document.
        """
    def transition_matrix(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        p(s'|s, a) as a dense (S, A, S) array.
        """
    @property
    def action_names(self) -> list[str]:
        ...
    @property
    def grid_shape(self) -> typing.Any:
        """
        (height, width) for gridworlds (state = y * width + x), else None.
        """
    @property
    def initial(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The initial state distribution, shape (S,).
        """
    @property
    def num_actions(self) -> int:
        ...
    @property
    def num_states(self) -> int:
        ...
    @property
    def num_transitions(self) -> int:
        ...
    @property
    def rewards(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        r(s, a), shape (S, A).
        """
    @property
    def state_names(self) -> list[str]:
        ...
    @property
    def terminal(self) -> numpy.typing.NDArray[numpy.bool]:
        """
        (S, A) booleans: the episode ends after the action.
        """
class SolverSummary:
    """
    What an iterative solver reports: how it stopped, iterations, final residual, error bound, message.
    """
    def __repr__(self) -> str:
        ...
    def brief_report(self) -> str:
        """
        One line: message, termination, iterations, residual, bound.
        """
    @property
    def converged(self) -> bool:
        """
        True when the solver finished normally (converged or ran its fixed budget).
        """
    @property
    def error_bound(self) -> float:
        """
        NaN when the solver has none.
        """
    @property
    def final_residual(self) -> float:
        """
        NaN when the solver has none.
        """
    @property
    def iterations(self) -> int:
        ...
    @property
    def message(self) -> str:
        ...
    @property
    def termination(self) -> str:
        """
        "converged", "no convergence", "budget reached" or "failure".
        """
class SoftSolution:
    """
    Result of soft_value_iteration.
    """
    @property
    def Q(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Q(s, a), shape (S, A).
        """
    @property
    def V(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        V(s), shape (S,).
        """
    @property
    def converged(self) -> bool:
        ...
    @property
    def error_bound(self) -> float:
        ...
    @property
    def iterations(self) -> int:
        ...
    @property
    def message(self) -> str:
        ...
    @property
    def policy(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        pi(a|s), shape (S, A).
        """
    @property
    def residual(self) -> float:
        ...
    @property
    def summary(self) -> SolverSummary:
        """
        The SolverSummary.
        """
class FiniteHorizonSolution:
    """
    Result of solve_finite_horizon.
    """
    @property
    def Q(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Q_t(s, a), shape (T, S, A).
        """
    @property
    def V(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        V_t(s), shape (T, S).
        """
    @property
    def horizon(self) -> int:
        ...
    @property
    def policy(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        pi_t(a|s), shape (T, S, A).
        """
    @property
    def summary(self) -> SolverSummary:
        """
        The SolverSummary (exact: converged).
        """
class Space:
    """
    Box(low, high) of float vectors, or Discrete(n).
    """
    @staticmethod
    def box(low: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], high: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> Space:
        ...
    @staticmethod
    def discrete(n: typing.SupportsInt | typing.SupportsIndex) -> Space:
        ...
    def __repr__(self) -> str:
        ...
    def contains(self, arg0: typing.Any) -> bool:
        ...
    @property
    def dim(self) -> int:
        ...
    @property
    def high(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def is_discrete(self) -> bool:
        ...
    @property
    def low(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def n(self) -> int:
        ...
class Environment:
    """
    A simulator (Gymnasium's Env + TimeLimit, strict episode protocol). Make one with make_env(name).
    """
    def observe(self) -> numpy.typing.NDArray[numpy.float32]:
        ...
    def reset(self, seed: typing.SupportsInt | typing.SupportsIndex | None = None) -> numpy.typing.NDArray[numpy.float32]:
        """
        Starts an episode; returns the first observation (float32).
        """
    def step(self, action: typing.Any) -> tuple[numpy.typing.NDArray[numpy.float32], float, bool, bool]:
        """
        Returns (observation, reward, terminated, truncated).
        """
    @property
    def action_space(self) -> Space:
        ...
    @property
    def elapsed_steps(self) -> int:
        ...
    @property
    def max_episode_steps(self) -> int:
        ...
    @max_episode_steps.setter
    def max_episode_steps(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def needs_reset(self) -> bool:
        ...
    @property
    def observation_space(self) -> Space:
        ...
    @property
    def state(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The internal physical state (e.g. Pendulum [theta, theta_dot]); settable.
        """
    @state.setter
    def state(self, arg1: typing.Any) -> None:
        ...
    @property
    def state_dim(self) -> int:
        ...
class PythonEnvironment(Environment):
    """
    Adapts a Gymnasium environment written in Python (Box observations; Box or Discrete actions) to the C++ Environment interface, so that the C++ learners can train on it. It is re-seeded from the C++ generator at every reset.
    """
    def __init__(self, env: typing.Any, name: str = '') -> None:
        ...
class VectorEnv:
    """
    N copies of a simulator stepped together in C++, with automatic reset (Stable-Baselines3 style).
    """
    def __init__(self, num_envs: typing.SupportsInt | typing.SupportsIndex, name: str) -> None:
        ...
    def reset(self, seed: typing.SupportsInt | typing.SupportsIndex | None = None) -> numpy.typing.NDArray[numpy.float32]:
        """
        Resets copy i with seed + i; returns (N, D) float32 observations.
        """
    def step(self, actions: typing.Any) -> tuple[numpy.typing.NDArray[numpy.float32], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.bool], numpy.typing.NDArray[numpy.bool], numpy.typing.NDArray[numpy.float32]]:
        """
        Steps every copy ((N,) discrete or (N, action_dim) actions); returns (observations, rewards, terminated, truncated, final_observations); a copy whose episode ended is reset at once and its final observation is in final_observations.
        """
    @property
    def action_space(self) -> Space:
        ...
    @property
    def num_envs(self) -> int:
        ...
    @property
    def observation_space(self) -> Space:
        ...
class Trainer:
    """
    A learner driven one environment step at a time (see cai.SAC).
    """
    def config(self) -> typing.Any:
        ...
    def evaluate(self, episodes: typing.SupportsInt | typing.SupportsIndex = 10, seed: typing.SupportsInt | typing.SupportsIndex = 1000003) -> dict:
        """
        Deterministic evaluation episodes.
        """
    def restore(self, path: str) -> None:
        """
        Continues from a checkpoint written by save() or by a `cai train` run.
        """
    def run_steps(self, steps: typing.SupportsInt | typing.SupportsIndex, finish_episode: bool = True) -> dict:
        """
        Trains for `steps` environment steps (then to the end of the episode if finish_episode); returns the finished episodes as arrays end_step, return, length, truncated.
        """
    def save(self, path: str) -> None:
        """
        Writes a checkpoint (learner, replay buffer, generators, counters, config) atomically.
        """
    def save_policy(self, path: str) -> None:
        """
        Writes the policy alone: loadable by `cai eval`, load_policy() and safetensors/PyTorch.
        """
    def scalars(self) -> dict:
        """
        Losses and diagnostics of the latest update (TensorBoard tags).
        """
    @property
    def algorithm(self) -> str:
        ...
    @property
    def can_checkpoint(self) -> bool:
        ...
    @property
    def num_timesteps(self) -> int:
        ...
    @property
    def total_steps(self) -> int:
        ...
class SacTrainer(Trainer):
    """
    SAC (the trainer behind cai.SAC and `cai train sac`).
    """
    @staticmethod
    def from_python_env(env: typing.Any, eval_env: typing.Any, options: typing.Any, total_steps: typing.SupportsInt | typing.SupportsIndex) -> SacTrainer:
        """
        SAC on a Gymnasium environment written in Python (a second instance for evaluation).
        """
    def __init__(self, env: str, options: typing.Any, total_steps: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def act(self, observation: typing.Any, deterministic: bool = True) -> typing.Any:
        ...
    @property
    def replay_size(self) -> int:
        ...
    @property
    def temperature(self) -> float:
        ...
class SoftQTrainer(Trainer):
    """
    Soft DQN (the trainer behind cai.SoftDQN and `cai train soft-q`).
    """
    @staticmethod
    def from_python_env(env: typing.Any, eval_env: typing.Any, options: typing.Any, total_steps: typing.SupportsInt | typing.SupportsIndex) -> SoftQTrainer:
        ...
    def __init__(self, env: str, options: typing.Any, total_steps: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def act(self, observation: typing.Any, deterministic: bool = True) -> typing.Any:
        ...
    @property
    def temperature(self) -> float:
        ...
class ActorCriticTrainer(Trainer):
    """
    The MaxEnt actor-critic (behind cai.MaxEntActorCritic and `cai train maxent-pg`).
    """
    def __init__(self, env: str, options: typing.Any, total_steps: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def act(self, observation: typing.Any, deterministic: bool = True) -> typing.Any:
        ...
class Policy:
    """
    A deterministic policy read from a policy file (any algorithm).
    """
    def act(self, observation: typing.Any) -> typing.Any:
        ...
    def evaluate(self, episodes: typing.SupportsInt | typing.SupportsIndex = 10, seed: typing.SupportsInt | typing.SupportsIndex = 1000003) -> dict:
        """
        As `cai eval`: deterministic episodes on its env.
        """
    @property
    def algorithm(self) -> str:
        ...
    @property
    def env(self) -> str:
        ...
def builtin_names() -> list[str]:
    """
    Names accepted by Mdp.builtin.
    """
def describe_builtins() -> str:
    """
    One line per built-in: name, parameters and defaults.
    """
def discounted_occupancy(mdp: Mdp, policy: typing.Any, discount: typing.SupportsFloat | typing.SupportsIndex, initial: typing.Any = None) -> dict:
    """
    rho(s) = sum_t gamma^t P(s_t = s) of a stationary policy (S, A), and rho(s, a).
    """
def enumerate_posterior(mdp: Mdp, start_state: typing.SupportsInt | typing.SupportsIndex, horizon: typing.SupportsInt | typing.SupportsIndex, temperature: typing.SupportsFloat | typing.SupportsIndex, prior: typing.Any = None) -> dict:
    """
    Brute force: log p(O = 1 | s_0) and p(a_0 | s_0, O = 1) by enumerating every trajectory (the independent check of solve_finite_horizon with backup="exact").
    """
def env_names() -> list[str]:
    """
    The simulators make_env knows.
    """
def forward_messages(mdp: Mdp, policy: typing.Any, initial: typing.Any = None) -> dict:
    """
    State and state-action marginals d_t(s), d_t(s, a) of a time-indexed policy (T, S, A), and the probability that the episode ended at each t.
    """
def load_policy(path: str) -> Policy:
    """
    Reads a policy file (or a run directory's policy.safetensors) written by C++ or Python.
    """
def make_env(name: str) -> Environment:
    """
    A simulator by Gymnasium id (see env_names()).
    """
def read_metadata(path: str) -> dict[str, str]:
    """
    The __metadata__ of a safetensors file (checkpoints keep their config under "config").
    """
def option_fields(name: str) -> list:
    """Every field of an options list: name, keyword (the Python keyword argument), flag (the CLI flag without dashes, when not the name's), doc and default."""
def run_training(trainer: Trainer, directory: str, resume: bool = False, checkpoint_interval: typing.SupportsInt | typing.SupportsIndex = 10000, eval_interval: typing.SupportsInt | typing.SupportsIndex = 5000, eval_episodes: typing.SupportsInt | typing.SupportsIndex = 10, eval_seed: typing.SupportsInt | typing.SupportsIndex = 1000003, log_interval: typing.SupportsInt | typing.SupportsIndex = 1000, progress: bool = False) -> dict:
    """
    A run directory exactly as `cai train` writes it (config.json, metrics, TensorBoard, checkpoints, policy.safetensors, eval.json), trained to the trainer's total_steps.
    """
def sample_trajectory(mdp: Mdp, policy: typing.Any, max_steps: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> dict:
    """
    One trajectory from a stationary (S, A) or time-indexed (T, S, A) policy.
    """
def soft_value_iteration(mdp: Mdp, temperature: typing.SupportsFloat | typing.SupportsIndex, discount: typing.SupportsFloat | typing.SupportsIndex, backup: str = 'variational', prior: typing.Any = None, tolerance: typing.SupportsFloat | typing.SupportsIndex = 1e-10, max_iterations: typing.SupportsInt | typing.SupportsIndex = 100000, threads: typing.SupportsInt | typing.SupportsIndex = 1) -> SoftSolution:
    """
    Discounted soft value iteration. backup: "variational" (Q = r + gamma E V') or "exact" (Q = r + alpha log E exp(gamma V' / alpha), optimistic); prior: None (counting measure), "uniform" or an (S, A) table; temperature 0 is the hard Bellman backup.
    """
def solve_finite_horizon(mdp: Mdp, temperature: typing.SupportsFloat | typing.SupportsIndex, horizon: typing.SupportsInt | typing.SupportsIndex, backup: str = 'variational', prior: typing.Any = None, discount: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> FiniteHorizonSolution:
    """
    The backward recursion over t = T-1..0. With backup="exact", V[0] / temperature is the log-partition log p(O_{0:T-1} = 1 | s_0) and policy[t] the exact posterior.
    """
