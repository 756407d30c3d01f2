"""cai.align: pi* by enumeration against token-by-token soft value iteration and against NumPy,
the DPO / IPO losses against NumPy formulas and finite differences, Bradley-Terry sampling,
trainers reaching their exact targets, checkpoints, and errors naming the field."""

import numpy as np
import pytest

import cai


def softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.fixture(scope="module")
def problem():
    return cai.align.Problem(num_prompts=2, vocab_size=3, max_length=3, reward="length", seed=1)


def test_token_world_enumerates_responses():
    w = cai.align.TokenWorld(num_prompts=1, vocab_size=3, max_length=2)
    # Responses: "$", then "a" / "b" followed by any token: 1 + 2 * 3 = 7.
    assert w.num_responses == 7 and w.num_nodes == 3
    texts = [w.response_text(r) for r in range(w.num_responses)]
    assert len(set(texts)) == 7 and "$" in texts
    assert w.response_tokens(0) == [0]
    # Uniform next tokens: the response probabilities are prod_t 1/3 and sum to 1.
    lp = cai.align.TabularPolicy(w).response_log_probs()
    assert lp.shape == (1, 7)
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-12)
    lengths = np.array([len(w.response_tokens(r)) for r in range(7)])
    np.testing.assert_allclose(lp[0], -lengths * np.log(3), rtol=1e-12)


def test_one_step_pi_star_is_softmax_of_reward():
    # One token per response, uniform reference: pi* = softmax(r / beta).
    w = cai.align.TokenWorld(num_prompts=1, vocab_size=3, max_length=1)
    ref = cai.align.TabularPolicy(w)
    r = np.array([[1.0, 0.0, -1.0]])
    for beta in (0.5, 1.0, 3.0):
        e = cai.align.enumerated_posterior(w, ref.response_log_probs(), r, beta)
        np.testing.assert_allclose(np.exp(e["log_probs"]), softmax(r / beta), rtol=1e-12)
        np.testing.assert_allclose(e["log_partition"], np.log(np.mean(np.exp(r / beta))), rtol=1e-12)
        t = cai.align.soft_value_iteration_posterior(ref, r, beta)
        np.testing.assert_allclose(t["token_probabilities"][0, 0], softmax(r[0] / beta), rtol=1e-12)


def test_pi_star_two_ways_and_numpy(problem):
    w = problem.world
    ref = problem.reference_log_probs
    R = problem.reward
    np.testing.assert_allclose(np.exp(ref).sum(axis=1), 1.0, rtol=1e-12)
    for beta in (0.3, 1.0):
        e = cai.align.pi_star(problem, beta)
        t = cai.align.pi_star(problem, beta, token_by_token=True)
        np.testing.assert_allclose(t["log_probs"], e["log_probs"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(t["log_partition"], e["log_partition"], rtol=1e-10, atol=1e-12)
        # NumPy: pi_ref exp(R / beta) / Z.
        unnorm = ref + R / beta
        logz = np.log(np.exp(unnorm).sum(axis=1))
        np.testing.assert_allclose(e["log_partition"], logz, rtol=1e-12)
        np.testing.assert_allclose(e["log_probs"], unnorm - logz[:, None], rtol=1e-10, atol=1e-12)
    # The token MDP solved with cai.solve_finite_horizon gives the same log Z.
    mdp = cai.align.make_token_mdp(w, R)
    assert mdp.num_states == w.num_prompts * w.num_nodes and mdp.num_actions == w.vocab_size
    prior = problem.reference.token_probabilities().reshape(-1, w.vocab_size)
    fh = cai.solve_finite_horizon(mdp, 0.3, w.max_length, backup="exact", prior=prior)
    roots = [x * w.num_nodes for x in range(w.num_prompts)]
    np.testing.assert_allclose(fh.V[0][roots] / 0.3, cai.align.pi_star(problem, 0.3)["log_partition"], rtol=1e-10)


def test_pretraining_by_maximum_likelihood():
    w = cai.align.TokenWorld(num_prompts=2, vocab_size=3, max_length=2)
    teacher = cai.align.random_policy(w, scale=1.0, seed=4)
    corpus = cai.align.sample_corpus(teacher, per_prompt=500, seed=5)
    assert corpus.shape == (1000, 2)
    np.testing.assert_array_equal(corpus, cai.align.sample_corpus(teacher, per_prompt=500, seed=5))
    ml = cai.align.fit_maximum_likelihood(w, corpus, smoothing=0.0)
    # With smoothing 0, pi(y|x) is the corpus frequency of y among the responses to x.
    freq = np.zeros((2, w.num_responses))
    np.add.at(freq, (corpus[:, 0], corpus[:, 1]), 1.0)
    freq /= freq.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.exp(ml.response_log_probs()), freq, atol=1e-12)
    np.testing.assert_allclose(cai.align.response_log_probs_from_tokens(w, ml.token_probabilities()),
                               ml.response_log_probs(), atol=1e-12)
    # And close to the teacher it was sampled from.
    kl = cai.align.mean_sequence_kl(w, teacher.response_log_probs(), ml.response_log_probs())
    assert 0 <= kl < 0.02


def test_preference_losses_against_numpy(problem):
    w = problem.world
    ref = problem.reference_log_probs
    rng = np.random.default_rng(0)
    logits = np.log(np.exp(ref)) + 0.3 * rng.normal(size=ref.shape)
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    mu = cai.align.sampler_log_probs(w, "reference", ref)
    np.testing.assert_allclose(mu, ref)
    pairs = cai.align.sample_preference_pairs(w, mu, problem.reward, per_prompt=50, seed=3)
    assert pairs.shape == (100, 3)
    np.testing.assert_array_equal(pairs, cai.align.sample_preference_pairs(w, mu, problem.reward, 50, seed=3))
    beta = 0.7
    x, c, r = pairs.T
    h = (lp[x, c] - ref[x, c]) - (lp[x, r] - ref[x, r])
    dpo, g = cai.align.preference_loss(w, lp, ref, pairs, loss="dpo", beta=beta)
    assert dpo == pytest.approx(np.mean(np.log1p(np.exp(-beta * h))), rel=1e-12)
    ipo, _ = cai.align.preference_loss(w, lp, ref, pairs, loss="ipo", beta=beta)
    assert ipo == pytest.approx(np.mean((h - 1 / (2 * beta)) ** 2), rel=1e-12)
    # Gradient with respect to log pi: central differences.
    eps = 1e-6
    for idx in [(0, 0), (1, 3), (0, w.num_responses - 1)]:
        e = np.zeros_like(lp)
        e[idx] = eps
        fd = (cai.align.preference_loss(w, lp + e, ref, pairs, "dpo", beta)[0]
              - cai.align.preference_loss(w, lp - e, ref, pairs, "dpo", beta)[0]) / (2 * eps)
        assert g[idx] == pytest.approx(fd, abs=1e-8)
    # Aggregated weights give the same loss.
    weights = cai.align.pair_weights(w, pairs)
    assert weights.shape == (2, w.num_responses, w.num_responses)
    wl, wg = cai.align.weighted_preference_loss(w, lp, ref, weights, "dpo", beta)
    assert wl == pytest.approx(dpo, rel=1e-12)
    np.testing.assert_allclose(wg, g, atol=1e-14)


def test_bradley_terry_labels():
    assert cai.align.bradley_terry_probability(1.0, 0.0) == pytest.approx(1 / (1 + np.exp(-1.0)))
    w = cai.align.TokenWorld(num_prompts=1, vocab_size=2, max_length=1)  # responses "$" and "a"
    r = np.array([[0.0, 1.0]])
    mu = cai.align.sampler_log_probs(w, "uniform", np.zeros((1, 2)))
    pairs = cai.align.sample_preference_pairs(w, mu, r, per_prompt=20000, seed=1)
    mixed = pairs[pairs[:, 1] != pairs[:, 2]]
    frac = np.mean(mixed[:, 1] == 1)
    assert frac == pytest.approx(1 / (1 + np.exp(-1.0)), abs=0.02)
    # The data set's weights match the population's (its expectation; they sum to 1).
    pop = cai.align.population_pair_weights(w, mu, r)
    assert pop.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(cai.align.pair_weights(w, pairs), pop, atol=0.01)


def test_population_loss_is_expectation_of_sampled_loss(problem):
    w = problem.world
    ref = problem.reference_log_probs
    mu = cai.align.sampler_log_probs(w, "reference", ref)
    lp = ref + 0.3 * np.random.default_rng(0).normal(size=ref.shape)
    lp -= np.log(np.exp(lp).sum(axis=1, keepdims=True))
    pairs = cai.align.sample_preference_pairs(w, mu, problem.reward, per_prompt=100000, seed=1)
    sampled, _ = cai.align.preference_loss(w, lp, ref, pairs, "dpo", 1.0)
    population, _ = cai.align.population_preference_loss(w, lp, ref, mu, problem.reward, "dpo", 1.0)
    assert population == pytest.approx(sampled, rel=0.02)


def test_dpo_on_population_preferences_reaches_pi_star(problem):
    beta = 1.0
    trainer = cai.align.Trainer(problem, method="dpo", beta=beta, learning_rate=0.1, pairs_per_prompt=0)
    start = trainer.evaluate()
    history = trainer.train(400)
    assert len(history) == 400 and history[-1]["step"] == 400 == trainer.steps_done
    target = cai.align.pi_star(problem, beta)["log_probs"]
    np.testing.assert_allclose(trainer.target_log_probs, target, atol=1e-12)
    final = history[-1]
    assert final["kl_target"] < 1e-3 < start["kl_target"]
    assert cai.align.mean_sequence_kl(problem.world, trainer.response_log_probs(), target) == pytest.approx(
        final["kl_target"], rel=1e-9)
    np.testing.assert_allclose(np.exp(trainer.response_log_probs()), np.exp(target), atol=0.02)
    m = problem.measure(trainer.response_log_probs(), target, target)
    assert m["kl_target"] == pytest.approx(final["kl_target"], rel=1e-9)


def test_ipo_target_and_ppo_improves(problem):
    ipo = cai.align.Trainer(problem, method="ipo", beta=1.0, learning_rate=0.1)
    mu = cai.align.sampler_log_probs(problem.world, "reference", problem.reference_log_probs)
    np.testing.assert_allclose(
        ipo.target_log_probs,
        cai.align.ipo_optimum(problem.world, problem.reference_log_probs, mu, problem.reward, 1.0), atol=1e-12)
    before = ipo.evaluate()["kl_target"]
    assert ipo.train(200)[-1]["kl_target"] < 0.1 * before
    ppo = cai.align.Trainer(problem, method="ppo", beta=0.5, samples_per_prompt=0, seed=2)
    start = ppo.evaluate()
    end = ppo.train(60)[-1]
    assert end["kl_target"] < start["kl_target"]
    assert end["reward"] > start["reward"]


def test_checkpoint_restore_continues_exactly(problem):
    a = cai.align.Trainer(problem, method="ppo", beta=1.0, samples_per_prompt=16, seed=3)
    a.train(5)
    ckpt = a.checkpoint()
    assert isinstance(ckpt, dict)
    b = cai.align.Trainer(problem, method="ppo", beta=1.0, samples_per_prompt=16, seed=3)
    b.restore(ckpt)
    assert b.steps_done == 5
    np.testing.assert_array_equal(a.train(3)[-1]["reward"], b.train(3)[-1]["reward"])
    np.testing.assert_array_equal(a.policy.logits, b.policy.logits)


def test_mlp_dpo_learns(problem):
    t = cai.align.MlpTrainer(problem, method="dpo", beta=1.0, learning_rate=0.01, hidden=[32])
    start = t.evaluate()["kl_target"]
    end = t.train(150)[-1]["kl_target"]
    assert end < 0.5 * start
    assert t.policy.response_log_probs().shape == t.response_log_probs().shape


def test_reward_model_fit():
    w = cai.align.TokenWorld(num_prompts=1, vocab_size=3, max_length=1)
    r = np.array([[1.0, 0.0, -1.0]])
    mu = cai.align.sampler_log_probs(w, "uniform", np.zeros((1, 3)))
    weights = cai.align.population_pair_weights(w, mu, r)
    fitted = cai.align.fit_reward_model(w, weights, steps=2000, learning_rate=0.05)
    np.testing.assert_allclose(fitted, r - r.mean(), atol=0.05)
    loss, grad = cai.align.bradley_terry_loss(w, fitted, weights)
    assert np.abs(grad).max() < 1e-2


def test_policy_prior_mixes_uniform():
    pi = np.array([[1.0, 0.0], [0.25, 0.75]])
    np.testing.assert_allclose(cai.align.policy_prior(pi, 0.5), 0.5 * pi + 0.25)


def test_behaviour_cloning_prior_counts():
    demos = [cai.irl.Demonstration([0, 1, 1], [1, 0, 0]), cai.irl.Demonstration([0], [1])]
    p = cai.align.behaviour_cloning_prior(3, 2, demos, smoothing=1.0)
    np.testing.assert_allclose(p, [[1 / 4, 3 / 4], [3 / 4, 1 / 4], [1 / 2, 1 / 2]])
    with pytest.raises(cai.CaiError, match="smoothing"):
        cai.align.behaviour_cloning_prior(3, 2, demos, smoothing=-1.0)


def test_bad_input_names_the_field(problem):
    with pytest.raises(cai.CaiError, match="vocab_size"):
        cai.align.TokenWorld(vocab_size=1)
    with pytest.raises(ValueError, match="bogus"):
        cai.align.Trainer(problem, method="bogus")
    with pytest.raises(cai.CaiError, match="beta"):
        cai.align.Trainer(problem, method="dpo", beta=0.0)
    with pytest.raises(cai.CaiError, match="reward"):
        cai.align.enumerated_posterior(problem.world, problem.reference_log_probs, np.zeros((2, 3)), 1.0)
    with pytest.raises(cai.CaiError, match="beta"):
        cai.align.enumerated_posterior(problem.world, problem.reference_log_probs, problem.reward, -1.0)
    with pytest.raises(cai.CaiError, match="sampler"):
        cai.align.Trainer(problem, method="dpo", sampler="everyone")
    with pytest.raises(cai.CaiError, match="unknown_reward"):
        cai.align.Problem(reward="unknown_reward")
    with pytest.raises(cai.CaiError, match="ppo"):
        cai.align.MlpTrainer(problem, method="ppo")
