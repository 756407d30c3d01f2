"""
KL-regularised alignment on the token world: pi*, preferences, DPO / IPO / PPO, exactly checkable.
"""
from __future__ import annotations
import cai._core
import cai._core.irl
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['MlpTrainer', 'Problem', 'TabularPolicy', 'TokenWorld', 'Trainer', 'behaviour_cloning_prior', 'bradley_terry_loss', 'bradley_terry_probability', 'enumerated_posterior', 'fit_maximum_likelihood', 'fit_reward_model', 'ipo_optimum', 'make_reward', 'make_token_mdp', 'mean_reward', 'mean_sequence_kl', 'pair_weights', 'policy_prior', 'population_pair_weights', 'population_preference_loss', 'preference_loss', 'random_policy', 'response_log_probs_from_tokens', 'sample_corpus', 'sample_preference_pairs', 'sampler_log_probs', 'soft_value_iteration_posterior', 'weighted_preference_loss']
class TokenWorld:
    """
    Prompts and responses as token sequences (token 0 ends a response; at most max_length tokens), few enough to enumerate. Nodes are unfinished prefixes, breadth first.
    """
    def __init__(self, num_prompts: typing.SupportsInt | typing.SupportsIndex = 2, vocab_size: typing.SupportsInt | typing.SupportsIndex = 3, max_length: typing.SupportsInt | typing.SupportsIndex = 3) -> None:
        """
        Validated: num_prompts >= 1, vocab_size >= 2 (token 0 is the end token), max_length >= 1.
        """
    def __repr__(self) -> str:
        ...
    def child(self, node: typing.SupportsInt | typing.SupportsIndex, token: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The node reached by emitting `token` at `node`, or -1 if that finishes the response.
        """
    def depth(self, node: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The length of prefix `node`.
        """
    def response(self, node: typing.SupportsInt | typing.SupportsIndex, token: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The response finished by emitting `token` at `node`, or -1 if the prefix continues.
        """
    def response_text(self, response: typing.SupportsInt | typing.SupportsIndex) -> str:
        """
        Tokens as letters with the end token "$", e.g. "ab$".
        """
    def response_tokens(self, response: typing.SupportsInt | typing.SupportsIndex) -> list[int]:
        """
        The tokens of a response (the end token included when it has one).
        """
    @property
    def max_length(self) -> int:
        """
        The most tokens in a response.
        """
    @property
    def num_nodes(self) -> int:
        """
        N: unfinished prefixes (node 0 is the empty one).
        """
    @property
    def num_prompts(self) -> int:
        """
        P.
        """
    @property
    def num_responses(self) -> int:
        """
        Y: complete responses.
        """
    @property
    def vocab_size(self) -> int:
        """
        V (token 0 ends a response).
        """
class TabularPolicy:
    """
    pi(y_t | x, y_<t) = softmax of free logits, shape (P, N, V) (prompt, prefix node, token).
    """
    @staticmethod
    def from_token_probabilities(world: TokenWorld, probabilities: typing.Any) -> TabularPolicy:
        """
        Logits log p for a (P, N, V) table of next-token probabilities (rows summing to 1, entries > 0).
        """
    def __init__(self, world: TokenWorld) -> None:
        """
        Zero logits: every next token has probability 1 / V.
        """
    def response_log_probs(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        log pi(y|x), shape (P, Y).
        """
    def sample(self, prompt: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> int:
        """
        One response for `prompt`, drawn token by token.
        """
    def token_probabilities(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Next-token probabilities, shape (P, N, V).
        """
    @property
    def logits(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The logits, shape (P, N, V).
        """
    @logits.setter
    def logits(self, arg1: typing.Any) -> None:
        ...
    @property
    def world(self) -> TokenWorld:
        """
        The TokenWorld.
        """
class Problem:
    """
    A token world, a reference model pretrained on a teacher's corpus and a built-in reward (optionally replaced by a reward model fitted to Bradley-Terry pairs).
    """
    def __init__(self, num_prompts: typing.SupportsInt | typing.SupportsIndex = 2, vocab_size: typing.SupportsInt | typing.SupportsIndex = 3, max_length: typing.SupportsInt | typing.SupportsIndex = 3, reward: str = 'length', teacher_scale: typing.SupportsFloat | typing.SupportsIndex = 1.0, corpus_per_prompt: typing.SupportsInt | typing.SupportsIndex = 200, smoothing: typing.SupportsFloat | typing.SupportsIndex = 0.5, seed: typing.SupportsInt | typing.SupportsIndex = 1, reward_model_pairs: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        As `cai align`: reward is a make_reward name; reward_model_pairs N > 0 optimises a reward model fitted to N Bradley-Terry pairs per prompt instead of the true reward.
        """
    def measure(self, log_probs: typing.Any, target: typing.Any, true_target: typing.Any) -> dict:
        """
        The metrics (reward, kl_reference, kl_target, true_reward, kl_true_target) of a policy's (P, Y) log-probabilities against (P, Y) log-probability targets.
        """
    @property
    def reference(self) -> TabularPolicy:
        """
        pi_ref as a TabularPolicy.
        """
    @property
    def reference_log_probs(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        log pi_ref(y|x), shape (P, Y).
        """
    @property
    def reward(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The optimised reward (P, Y): R, or the reward model.
        """
    @property
    def reward_model_error(self) -> float:
        """
        RMS error of the centred reward model (0 without one).
        """
    @property
    def true_reward(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        R (P, Y).
        """
    @property
    def world(self) -> TokenWorld:
        """
        The TokenWorld.
        """
class Trainer:
    """
    PPO (KL-regularised policy gradient, clipped surrogate), DPO or IPO on a tabular policy started at pi_ref, measured exactly against its target (pi*, or the IPO optimum).
    """
    def __init__(self, problem: Problem, method: str = 'ppo', beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, steps: typing.SupportsInt | typing.SupportsIndex = 300, learning_rate: typing.SupportsFloat | typing.SupportsIndex = 0.05, seed: typing.SupportsInt | typing.SupportsIndex = 1, pairs_per_prompt: typing.SupportsInt | typing.SupportsIndex = 0, sampler: str = 'reference', samples_per_prompt: typing.SupportsInt | typing.SupportsIndex = 64, epochs: typing.SupportsInt | typing.SupportsIndex = 4, clip: typing.SupportsFloat | typing.SupportsIndex = 0.2) -> None:
        """
        method "ppo" / "dpo" / "ipo"; pairs_per_prompt 0 trains on the population loss; sampler "reference" or "uniform"; samples_per_prompt 0 is PPO's exact expectation. `steps` is the length of a full run (train() without an argument).
        """
    def checkpoint(self) -> typing.Any:
        """
        Logits, Adam state, Rng state and step count as a dict (restore() continues exactly).
        """
    def evaluate(self) -> dict:
        """
        The metrics of the current policy.
        """
    def response_log_probs(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        log pi(y|x) of the current policy, shape (P, Y).
        """
    def restore(self, checkpoint: typing.Any) -> None:
        """
        Restores a checkpoint() dict; raises CaiError if it does not fit this trainer.
        """
    def step(self) -> dict:
        """
        One iteration; returns the metrics after it.
        """
    def train(self, steps: typing.SupportsInt | typing.SupportsIndex) -> list:
        """
        `steps` more iterations (GIL released); a list of the metrics after each.
        """
    @property
    def policy(self) -> TabularPolicy:
        """
        A copy of the current TabularPolicy.
        """
    @property
    def steps_done(self) -> int:
        """
        Iterations done so far.
        """
    @property
    def target_log_probs(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        log target(y|x): pi* (PPO, DPO) or the IPO optimum (IPO), shape (P, Y).
        """
class MlpTrainer:
    """
    DPO or IPO on a small MLP policy (float32, full-batch Adam), from its random initialisation; measured against the tabular trainer's target.
    """
    def __init__(self, problem: Problem, method: str = 'dpo', beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, steps: typing.SupportsInt | typing.SupportsIndex = 300, learning_rate: typing.SupportsFloat | typing.SupportsIndex = 0.05, seed: typing.SupportsInt | typing.SupportsIndex = 1, pairs_per_prompt: typing.SupportsInt | typing.SupportsIndex = 0, sampler: str = 'reference', samples_per_prompt: typing.SupportsInt | typing.SupportsIndex = 64, epochs: typing.SupportsInt | typing.SupportsIndex = 4, clip: typing.SupportsFloat | typing.SupportsIndex = 0.2, hidden: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = [64], activation: str = 'tanh', policy_seed: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        """
        method "dpo" or "ipo" (PPO is not offered on the MLP); hidden layer sizes and activation ("tanh", "relu", "elu", "identity") of the network; policy_seed initialises its weights.
        """
    def evaluate(self) -> dict:
        """
        The metrics of the current policy.
        """
    def response_log_probs(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        log pi(y|x) of the network, shape (P, Y).
        """
    def step(self) -> dict:
        """
        One full-batch step; returns the metrics after it.
        """
    def train(self, steps: typing.SupportsInt | typing.SupportsIndex) -> list:
        """
        `steps` more steps (GIL released); a list of the metrics after each.
        """
    @property
    def policy(self) -> TabularPolicy:
        """
        The network tabulated: a TabularPolicy with the same next-token distributions.
        """
def behaviour_cloning_prior(num_states: typing.SupportsInt | typing.SupportsIndex, num_actions: typing.SupportsInt | typing.SupportsIndex, demos: collections.abc.Sequence[cai._core.irl.Demonstration], smoothing: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Behaviour cloning: p(a|s) = (n(s, a) + smoothing) / (n(s) + A smoothing) from cai.irl.Demonstration objects, as an (S, A) prior table (usable as `prior=`).
    """
def bradley_terry_loss(world: TokenWorld, reward_model: typing.Any, pair_weights: typing.Any) -> tuple[float, numpy.typing.NDArray[numpy.float64]]:
    """
    Bradley-Terry negative log-likelihood of a (P, Y) reward model, and its gradient.
    """
def bradley_terry_probability(reward_first: typing.SupportsFloat | typing.SupportsIndex, reward_second: typing.SupportsFloat | typing.SupportsIndex) -> float:
    """
    p(first preferred) = sigmoid(reward_first - reward_second).
    """
def enumerated_posterior(world: TokenWorld, reference_log_probs: typing.Any, reward: typing.Any, beta: typing.SupportsFloat | typing.SupportsIndex) -> dict:
    """
    pi*(y|x) = pi_ref(y|x) exp(R(x, y) / beta) / Z(x) by enumeration: dict log_probs (P, Y), log_partition (P,).
    """
def fit_maximum_likelihood(world: TokenWorld, corpus: typing.Any, smoothing: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> TabularPolicy:
    """
    Pretraining pi_ref: the add-`smoothing` maximum-likelihood next-token table of an (N, 2) corpus.
    """
def fit_reward_model(world: TokenWorld, pair_weights: typing.Any, steps: typing.SupportsInt | typing.SupportsIndex = 3000, learning_rate: typing.SupportsFloat | typing.SupportsIndex = 0.05) -> numpy.typing.NDArray[numpy.float64]:
    """
    Maximum-likelihood reward model (P, Y), each prompt's row centred.
    """
def ipo_optimum(world: TokenWorld, reference_log_probs: typing.Any, sampler_log_probs: typing.Any, reward: typing.Any, beta: typing.SupportsFloat | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    """
    log pi(y|x) (P, Y) minimising the population IPO loss.
    """
def make_reward(world: TokenWorld, name: str, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    A built-in reward R(x, y), shape (P, Y): "length", "count" or "random" (seeded).
    """
def make_token_mdp(world: TokenWorld, reward: typing.Any) -> cai._core.Mdp:
    """
    The token-level cai.Mdp: state x * N + n, action = token, finishing tokens end with reward R(x, y).
    """
def mean_reward(world: TokenWorld, log_p: typing.Any, reward: typing.Any) -> float:
    """
    (1 / P) sum_x E_{y ~ p}[R(x, y)].
    """
def mean_sequence_kl(world: TokenWorld, log_p: typing.Any, log_q: typing.Any) -> float:
    """
    KL(p || q) averaged over the prompts, from (P, Y) response log-probabilities.
    """
def pair_weights(world: TokenWorld, pairs: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
    """
    Counts of (x, chosen, rejected) / number of pairs, shape (P, Y, Y).
    """
def policy_prior(policy: typing.Any, uniform_mix: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Transfer: (1 - uniform_mix) pi + uniform_mix / A as an (S, A) prior table (usable as `prior=`).
    """
def population_pair_weights(world: TokenWorld, sampler_log_probs: typing.Any, reward: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
    """
    mu(y|x) mu(y'|x) p(y > y' | x) / P, shape (P, Y, Y).
    """
def population_preference_loss(world: TokenWorld, log_probs: typing.Any, reference_log_probs: typing.Any, sampler_log_probs: typing.Any, reward: typing.Any, loss: str = 'dpo', beta: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> tuple[float, numpy.typing.NDArray[numpy.float64]]:
    """
    The infinite-data DPO / IPO loss and its gradient (P, Y).
    """
def preference_loss(world: TokenWorld, log_probs: typing.Any, reference_log_probs: typing.Any, pairs: typing.Any, loss: str = 'dpo', beta: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> tuple[float, numpy.typing.NDArray[numpy.float64]]:
    """
    Mean DPO (-log sigmoid(beta h)) or IPO ((h - 1 / (2 beta))^2) loss over (N, 3) pairs, and its gradient with respect to log pi(y|x), shape (P, Y).
    """
def random_policy(world: TokenWorld, scale: typing.SupportsFloat | typing.SupportsIndex = 1.0, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> TabularPolicy:
    """
    A teacher language model: logits i.i.d. N(0, scale^2).
    """
def response_log_probs_from_tokens(world: TokenWorld, token_probabilities: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
    """
    log pi(y|x) (P, Y) from a (P, N, V) next-token table.
    """
def sample_corpus(policy: TabularPolicy, per_prompt: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.int64]:
    """
    `per_prompt` responses sampled for every prompt: an (N, 2) array of (prompt, response).
    """
def sample_preference_pairs(world: TokenWorld, sampler_log_probs: typing.Any, reward: typing.Any, per_prompt: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.int64]:
    """
    Bradley-Terry labelled pairs, y, y' ~ mu(.|x): an (N, 3) array of (prompt, chosen, rejected).
    """
def sampler_log_probs(world: TokenWorld, sampler: str, reference_log_probs: typing.Any) -> numpy.typing.NDArray[numpy.float64]:
    """
    log mu(y|x) (P, Y) of the pair sampler "reference" (pi_ref) or "uniform".
    """
def soft_value_iteration_posterior(reference: TabularPolicy, reward: typing.Any, beta: typing.SupportsFloat | typing.SupportsIndex) -> dict:
    """
    pi* token by token: finite-horizon soft value iteration on the token MDP with pi_ref as the action prior. dict token_probabilities (P, N, V), log_partition (P,).
    """
def weighted_preference_loss(world: TokenWorld, log_probs: typing.Any, reference_log_probs: typing.Any, pair_weights: typing.Any, loss: str = 'dpo', beta: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> tuple[float, numpy.typing.NDArray[numpy.float64]]:
    """
    sum_{x, y, y'} weight loss(h(y, y')) with (P, Y, Y) weights, and its gradient (P, Y).
    """
