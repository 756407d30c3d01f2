"""KL-regularised alignment on the token world, checked against exact answers.

A token world has prompts x and responses y (token sequences ending with token 0 or after
``max_length`` tokens), few enough to enumerate. Response tables are (P, Y) arrays (prompt x
response, as ``TokenWorld.response_text`` numbers them); next-token tables are (P, N, V) (prompt x
prefix node x token). The optimum of E[R] - beta KL(pi || pi_ref) is
pi*(y|x) = pi_ref(y|x) exp(R(x, y) / beta) / Z(x), computed two ways (``enumerated_posterior`` and,
token by token, ``soft_value_iteration_posterior``). Trainers (PPO, DPO, IPO; tabular or MLP) are
measured against it exactly::

    import cai
    problem = cai.align.Problem(num_prompts=2, vocab_size=3, max_length=3, reward="length")
    trainer = cai.align.Trainer(problem, method="dpo", beta=0.5)
    history = trainer.train(200)          # GIL released; metrics after each step
    history[-1]["kl_target"]              # KL(pi || pi*) averaged over the prompts

Everything is the library's (``cai align`` runs the same code); ``pi_star`` and ``probabilities``
below are conveniences that only call it.
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from ._core.align import (
    MlpTrainer,
    Problem,
    TabularPolicy,
    TokenWorld,
    Trainer,
    behaviour_cloning_prior,
    bradley_terry_loss,
    bradley_terry_probability,
    enumerated_posterior,
    fit_maximum_likelihood,
    fit_reward_model,
    ipo_optimum,
    make_reward,
    make_token_mdp,
    mean_reward,
    mean_sequence_kl,
    pair_weights,
    policy_prior,
    population_pair_weights,
    population_preference_loss,
    preference_loss,
    random_policy,
    response_log_probs_from_tokens,
    sample_corpus,
    sample_preference_pairs,
    sampler_log_probs,
    soft_value_iteration_posterior,
    weighted_preference_loss,
)

__all__ = [
    "MlpTrainer",
    "Problem",
    "TabularPolicy",
    "TokenWorld",
    "Trainer",
    "behaviour_cloning_prior",
    "bradley_terry_loss",
    "bradley_terry_probability",
    "enumerated_posterior",
    "fit_maximum_likelihood",
    "fit_reward_model",
    "ipo_optimum",
    "make_reward",
    "make_token_mdp",
    "mean_reward",
    "mean_sequence_kl",
    "pair_weights",
    "pi_star",
    "probabilities",
    "policy_prior",
    "population_pair_weights",
    "population_preference_loss",
    "preference_loss",
    "random_policy",
    "response_log_probs_from_tokens",
    "sample_corpus",
    "sample_preference_pairs",
    "sampler_log_probs",
    "soft_value_iteration_posterior",
    "weighted_preference_loss",
]


def pi_star(problem: Problem, beta: float, token_by_token: bool = False) -> Dict[str, Any]:
    """pi* of a ``Problem``'s reward at ``beta``: dict log_probs (P, Y) and log_partition (P,), by
    enumeration or (``token_by_token``) by soft value iteration over prefixes."""
    if not token_by_token:
        return enumerated_posterior(problem.world, problem.reference_log_probs, problem.reward, beta)
    t = soft_value_iteration_posterior(problem.reference, problem.reward, beta)
    return {"log_probs": response_log_probs_from_tokens(problem.world, t["token_probabilities"]),
            "log_partition": t["log_partition"],
            "token_probabilities": t["token_probabilities"]}


def probabilities(log_probs: Any) -> np.ndarray:
    """exp of a (P, Y) log-probability table."""
    return np.exp(np.asarray(log_probs, dtype=float))
