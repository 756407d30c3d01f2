"""
Maximum-entropy (Ziebart 2008) and maximum-causal-entropy (Ziebart 2010) inverse RL with linear rewards r(s, a) = theta . f(s, a), on exact tabular inference.
"""
from __future__ import annotations
import cai._core
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['Demonstration', 'Features', 'Objective', 'Objectworld', 'demonstrations_to_jsonl', 'expected_value_difference', 'load_demonstrations', 'parse_demonstrations', 'sample_demonstrations', 'save_demonstrations', 'validate_demonstrations', 'with_rewards']
class Features:
    """
    A dense feature table f(s) (kind "state") or f(s, a) (kind "state_action").
    """
    @staticmethod
    def builtin(name: str, params: dict = {}) -> Features:
        """
        The features of a built-in problem (objectworld's distance features, one-hot states for the others); same name and parameters as cai.Mdp.builtin.
        """
    @staticmethod
    def from_array(mdp: cai._core.Mdp, values: typing.Any, names: typing.Any = None) -> Features:
        """
        State features from an (S, F) array or state-action features from an (S, A, F) array; names: None or F strings. Validated against `mdp` (finite values, sizes).
        """
    @staticmethod
    def from_json(text: str) -> Features:
        """
        Parses a cai.features/1 document.
        """
    @staticmethod
    def indicator(mdp: cai._core.Mdp) -> Features:
        """
        One-hot state features f_k(s) = [s == k]: every state reward is representable.
        """
    @staticmethod
    def load(path: str) -> Features:
        """
        Reads a cai.features/1 file.
        """
    def __repr__(self) -> str:
        ...
    def reward(self, theta: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
        """
        r(s, a) = theta . f(s, a) as an (S, A) array.
        """
    def save(self, path: str) -> None:
        """
        Writes a cai.features/1 file.
        """
    def to_json(self) -> str:
        """
        The cai.features/1 document.
        """
    def validate(self, mdp: cai._core.Mdp) -> None:
        """
        Raises CaiError naming the field unless the table is well formed and fits `mdp`.
        """
    @property
    def kind(self) -> str:
        """
        "state" or "state_action".
        """
    @property
    def names(self) -> list[str]:
        """
        The feature names ("f<k>" where none was given).
        """
    @property
    def num_actions(self) -> int:
        """
        A.
        """
    @property
    def num_features(self) -> int:
        """
        F.
        """
    @property
    def num_states(self) -> int:
        """
        S.
        """
    @property
    def values(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        (S, F) for state features, (S, A, F) for state-action ones.
        """
class Objectworld:
    """
    Objectworld (Levine et al. 2011): the MDP, its distance features and the objects.
    """
    def __init__(self, size: typing.SupportsInt | typing.SupportsIndex = 32, num_objects: typing.SupportsInt | typing.SupportsIndex = 64, num_colours: typing.SupportsInt | typing.SupportsIndex = 2, move_success: typing.SupportsFloat | typing.SupportsIndex = 0.7, continuous_features: bool = True, discrete_features: bool = True, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        A size x size grid with num_objects objects on random cells (seeded); actions up, down, left, right, stay; the intended move happens with probability move_success.
        """
    @property
    def features(self) -> Features:
        """
        The state features (not linear in the true reward).
        """
    @property
    def mdp(self) -> cai._core.Mdp:
        """
        The cai.Mdp (its rewards are the true reward).
        """
    @property
    def objects(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        (N, 4) integers: x, y, inner colour, outer colour.
        """
class Demonstration:
    """
    One demonstrated trajectory: states and actions of equal length.
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: Demonstration) -> bool:
        """
        Same states and actions.
        """
    def __init__(self, states: typing.Any, actions: typing.Any) -> None:
        """
        From two integer sequences (their lengths are checked when the demonstrations are used).
        """
    def __len__(self) -> int:
        """
        The number of steps n.
        """
    def __repr__(self) -> str:
        ...
    @property
    def actions(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        a_0 .. a_{n-1}.
        """
    @property
    def states(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        s_0 .. s_{n-1}.
        """
class Objective:
    """
    The IRL objective L(theta) = (theta . f_D - E_{d_0} V_0) / alpha - l2 / 2 ||theta||^2 and its exact gradient (f_D - mu(theta)) / alpha - l2 theta.
    """
    def __init__(self, mdp: cai._core.Mdp, features: Features, demos: collections.abc.Sequence[Demonstration], method: str = 'mce', temperature: typing.SupportsFloat | typing.SupportsIndex = 1.0, horizon: typing.SupportsInt | typing.SupportsIndex = 0, discount: typing.SupportsFloat | typing.SupportsIndex = 1.0, l2: typing.SupportsFloat | typing.SupportsIndex = 0.0, tolerance: typing.SupportsFloat | typing.SupportsIndex = 1e-10, max_iterations: typing.SupportsInt | typing.SupportsIndex = 100000, checkpoint_interval: typing.SupportsInt | typing.SupportsIndex = 0, keep_policies: bool = True) -> None:
        """
        method: "mce" (Ziebart 2010, variational backup) or "maxent" (Ziebart 2008, exact backup). horizon > 0: finite horizon (discount in [0, 1]); horizon 0: discounted (discount in [0, 1)).
        """
    def evaluate(self, theta: typing.Any) -> tuple[float, numpy.typing.NDArray[numpy.float64]]:
        """
        (L(theta), dL/dtheta); also sets expected_features and mean_start_value.
        """
    def fit(self, optimizer: str = 'lbfgs', max_iterations: typing.SupportsInt | typing.SupportsIndex = 1000, gradient_tolerance: typing.SupportsFloat | typing.SupportsIndex = 1e-06, relative_tolerance: typing.SupportsFloat | typing.SupportsIndex = 1e-12, lbfgs_memory: typing.SupportsInt | typing.SupportsIndex = 10, learning_rate: typing.SupportsFloat | typing.SupportsIndex = 0.05, initial_theta: typing.Any = None) -> dict:
        """
        Maximises L (optimizer "lbfgs" or "adam") from initial_theta (None: zeros). Returns a dict: theta, trace (arrays iteration, evaluations, objective, gradient_norm), converged, iterations, message, summary (a cai.SolverSummary).
        """
    @property
    def checkpoint_interval(self) -> int:
        """
        Finite horizon: the value checkpoint interval B in use.
        """
    @property
    def dynamics_log_likelihood(self) -> float:
        """
        Mean over the demonstrations of sum_t log p(s_{t+1} | s_t, a_t).
        """
    @property
    def empirical_features(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        f_D: the demonstrations' mean discounted feature counts.
        """
    @property
    def expected_features(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        mu(theta) of the last evaluate: expected discounted feature counts under the soft policy.
        """
    @property
    def mean_start_value(self) -> float:
        """
        sum_s d_0(s) V_0(s) of the last evaluate.
        """
    @property
    def num_parameters(self) -> int:
        """
        The number of features F (size of theta).
        """
    @property
    def start_distribution(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        d_0: the empirical distribution of the first states, shape (S,).
        """
    @property
    def workspace_bytes(self) -> int:
        """
        Bytes held by the preallocated workspace.
        """
def demonstrations_to_jsonl(demos: collections.abc.Sequence[Demonstration]) -> str:
    """
    The JSON Lines text of `demos`.
    """
def expected_value_difference(mdp: cai._core.Mdp, learned_rewards: typing.Any, discount: typing.SupportsFloat | typing.SupportsIndex) -> float:
    """
    EVD (Levine et al. 2011): v(pi*) - v(pi_learned) under the MDP's own rewards, pi_learned optimal (hard) for learned_rewards (S, A); discount in [0, 1).
    """
def load_demonstrations(path: str) -> list[Demonstration]:
    """
    Reads a JSON Lines file of demonstrations.
    """
def parse_demonstrations(text: str) -> list[Demonstration]:
    """
    Parses JSON Lines: one {"states": [...], "actions": [...]} per line.
    """
def sample_demonstrations(mdp: cai._core.Mdp, policy: typing.Any, count: typing.SupportsInt | typing.SupportsIndex, length: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> list[Demonstration]:
    """
    `count` trajectories of `length` steps in the MDP's dynamics from its initial distribution under `policy` ((S, A) stationary or (T, S, A) with T >= length); deterministic given `seed`.
    """
def save_demonstrations(demos: collections.abc.Sequence[Demonstration], path: str) -> None:
    """
    Writes `demos` as JSON Lines.
    """
def validate_demonstrations(demos: collections.abc.Sequence[Demonstration], mdp: cai._core.Mdp) -> None:
    """
    Raises CaiError naming demos[i] and the step unless every demonstration fits `mdp`.
    """
def with_rewards(mdp: cai._core.Mdp, rewards: typing.Any) -> cai._core.Mdp:
    """
    The same MDP with its rewards replaced by an (S, A) array.
    """
