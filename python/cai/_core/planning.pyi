"""
Sampling-based planning as inference: MPPI on batched models.
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['MPPI', 'control_env_names', 'model_names', 'run']
class MPPI:
    """
    Model Predictive Path Integral control: samples K action sequences around the current plan, rolls them through the batched model, weights them by exp(return / temperature) and takes the weighted mean as the new plan.
    """
    def __init__(self, env: str = 'Pendulum-v1', *, samples: typing.SupportsInt | typing.SupportsIndex = 1000, horizon: typing.SupportsInt | typing.SupportsIndex = 30, temperature: typing.SupportsFloat | typing.SupportsIndex = 1.0, noise: typing.Any = 1.0, iterations: typing.SupportsInt | typing.SupportsIndex = 1, warm_start: bool = True, smoothing: str = 'none', smoothing_window: typing.SupportsInt | typing.SupportsIndex = 3, smoothing_alpha: typing.SupportsFloat | typing.SupportsIndex = 0.5, seed: typing.SupportsInt | typing.SupportsIndex = 0, threads: typing.SupportsInt | typing.SupportsIndex = 1, energy_weight: typing.SupportsFloat | typing.SupportsIndex = 0.0, action_low: typing.Any = None, action_high: typing.Any = None) -> None:
        """
        samples: K sequences per iteration; horizon: T steps; temperature: lambda of the weights exp(R / lambda); noise: proposal standard deviation (one number or one per action dimension); iterations: sample-and-update rounds per plan() call; warm_start: start each call from the previous plan shifted by one step; smoothing: "none", "moving-average" (smoothing_window, odd) or "exponential" (smoothing_alpha in (0, 1]); seed: of the proposal noise; threads: the samples are split over them (results depend on seed and thread count); action_low / action_high: clip bounds (None: the model's); energy_weight: terminal energy reward of the Pendulum-v1 and MountainCarContinuous-v0 models (0: none). Bad values raise CaiError naming the field.
        """
    def plan(self, state: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        Plans from `state` and returns the first action of the updated plan.
        """
    def reset(self) -> None:
        """
        Back to the nominal plan (zeros clipped to the bounds); the next plan() does not shift.
        """
    def set_plan(self, plan: typing.Any) -> None:
        """
        Sets the plan, (horizon, action_dim) within the bounds; the next plan() starts from it.
        """
    @property
    def action_dim(self) -> int:
        ...
    @property
    def env(self) -> str:
        ...
    @property
    def options(self) -> dict:
        """
        The planner's options as a dict.
        """
    @property
    def plan_sequence(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The current plan, (horizon, action_dim).
        """
    @property
    def returns(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The returns (undiscounted over the horizon) of the last iteration's samples, (samples,).
        """
    @property
    def samples(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The clipped sampled actions of the last iteration, (horizon, action_dim, samples).
        """
    @property
    def state_dim(self) -> int:
        ...
    @property
    def summary(self) -> typing.Any:
        """
        The last plan() call's last iteration: effective_sample_size, weighted_return, best_return, mean_return (None before the first call and after reset()).
        """
    @property
    def weights(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The normalised weights of the last iteration, (samples,).
        """
def control_env_names() -> list[str]:
    """
    Environments with a batched model and a simulator: what run() accepts.
    """
def model_names() -> list[str]:
    """
    Batched models MPPI can plan with.
    """
def run(env: str = 'Pendulum-v1', steps: typing.SupportsInt | typing.SupportsIndex = 0, *, random_start: bool = False, energy_weight: typing.SupportsFloat | typing.SupportsIndex = 0.0, samples: typing.SupportsInt | typing.SupportsIndex = 1000, horizon: typing.SupportsInt | typing.SupportsIndex = 30, temperature: typing.SupportsFloat | typing.SupportsIndex = 1.0, noise: typing.Any = 1.0, iterations: typing.SupportsInt | typing.SupportsIndex = 1, warm_start: bool = True, smoothing: str = 'none', smoothing_window: typing.SupportsInt | typing.SupportsIndex = 3, smoothing_alpha: typing.SupportsFloat | typing.SupportsIndex = 0.5, seed: typing.SupportsInt | typing.SupportsIndex = 0, threads: typing.SupportsInt | typing.SupportsIndex = 1, action_low: typing.Any = None, action_high: typing.Any = None, value_grid: typing.SupportsInt | typing.SupportsIndex = 0) -> dict:
    """
    Closed-loop MPPI on the simulator `env` with its own model, as `cai plan mppi`: steps (0: the time limit); Pendulum-v1 starts hanging at rest unless random_start (the others from reset(seed)); value_grid N > 0 (Pendulum-v1) adds the terminal value from exact value iteration on an N x N grid. Returns a dict: states (steps + 1, state_dim), actions (steps, action_dim), rewards, return, steps, effective_sample_size, weighted_return, ms_per_step, start, and angle + steps_to_upright (|angle| < 0.2 to the end; None if never) for the pendulums or position + steps_to_goal for MountainCarContinuous-v0.
    """
