"""cai's simulators from Python: the native API, the Gymnasium environments (check_env, seeding),
the vector environment, and the physics against Gymnasium's own Python environments."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import cai
import cai.gym

# cai id -> (Gymnasium's own id or None, how to put Gymnasium's env into a state)
GYM_TWINS = {
    "Pendulum-v1": "Pendulum-v1",
    "CartPole-v1": "CartPole-v1",
    "Acrobot-v1": "Acrobot-v1",
    "MountainCarContinuous-v0": "MountainCarContinuous-v0",
}


@pytest.mark.parametrize("name", cai.env_names())
def test_gymnasium_env_checker_passes(name):
    env = gymnasium.make(f"cai/{name}")
    check_env(env.unwrapped, skip_render_check=True)
    assert env.observation_space.dtype == np.float32
    obs, info = env.reset(seed=3)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)


@pytest.mark.parametrize("name", cai.env_names())
def test_reset_seed_is_reproducible(name):
    a, b = gymnasium.make(f"cai/{name}"), gymnasium.make(f"cai/{name}")
    oa, _ = a.reset(seed=11)
    ob, _ = b.reset(seed=11)
    np.testing.assert_array_equal(oa, ob)
    a.action_space.seed(0)
    b.action_space.seed(0)
    for _ in range(20):
        ra = a.step(a.action_space.sample())
        rb = b.step(b.action_space.sample())
        np.testing.assert_array_equal(ra[0], rb[0])
        assert ra[1:4] == rb[1:4]
        if ra[2] or ra[3]:
            break
    oc, _ = a.reset(seed=12)
    assert not np.array_equal(oa, oc)


@pytest.mark.parametrize("name", sorted(GYM_TWINS))
def test_physics_match_gymnasiums_equations(name):
    """Same state, same actions: our C++ step against Gymnasium's Python step."""
    ours = cai.make_env(name)
    theirs = gymnasium.make(GYM_TWINS[name]).unwrapped
    rng = np.random.default_rng(1)
    ours.reset(seed=5)
    theirs.reset(seed=5)
    theirs.state = np.array(ours.state, dtype=np.float64)
    for t in range(60):
        if isinstance(theirs.action_space, gymnasium.spaces.Discrete):
            action = int(rng.integers(theirs.action_space.n))
        else:
            action = rng.uniform(theirs.action_space.low, theirs.action_space.high).astype(np.float32)
        o1, r1, term1, trunc1 = ours.step(action)
        o2, r2, term2, _, _ = theirs.step(action)
        np.testing.assert_allclose(o1, np.asarray(o2, dtype=np.float32), rtol=2e-6, atol=2e-6, err_msg=f"step {t}")
        assert r1 == pytest.approx(float(r2), rel=1e-6, abs=1e-6)
        assert term1 == term2
        if term1:
            break


def test_native_environment_protocol_and_errors():
    env = cai.make_env("Pendulum-v1")
    with pytest.raises(cai.CaiError, match="before Reset"):
        env.step([0.0])
    obs = env.reset(seed=0)
    assert obs.shape == (3,) and obs.dtype == np.float32
    with pytest.raises(ValueError, match="action"):
        env.step([0.0, 1.0])
    env.state = [np.pi, 0.0]
    np.testing.assert_allclose(env.observe(), [-1.0, 0.0, 0.0], atol=1e-7)
    steps = 0
    while True:
        _, _, terminated, truncated = env.step([0.0])
        steps += 1
        if terminated or truncated:
            break
    assert steps == 200 and truncated
    with pytest.raises(ValueError, match="Unknown|unknown|expected"):
        cai.make_env("Nope-v0")


def test_vector_env_matches_single_copies():
    n = 4
    venv = cai.VectorEnv(n, "CartPole-v1")
    obs = venv.reset(seed=7)
    singles = [cai.make_env("CartPole-v1") for _ in range(n)]
    for i, e in enumerate(singles):
        np.testing.assert_array_equal(e.reset(seed=7 + i), obs[i])
    rng = np.random.default_rng(0)
    for _ in range(100):
        actions = rng.integers(0, 2, n)
        obs, rewards, terminated, truncated, final = venv.step(actions)
        for i, e in enumerate(singles):
            o, r, te, tr = e.step(int(actions[i]))
            np.testing.assert_array_equal(final[i], o)
            assert (rewards[i], terminated[i], truncated[i]) == (r, te, tr)
            if te or tr:
                o = e.reset()
            np.testing.assert_array_equal(obs[i], o)


def test_gymnasium_vector_env_wrapper():
    venv = cai.gym.CaiVectorEnv("Pendulum-v1", 3)
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (3, 3)
    obs, rewards, terminated, truncated, info = venv.step(venv.action_space.sample())
    assert rewards.shape == (3,) and venv.single_action_space.shape == (1,)
    vec = gymnasium.make_vec("cai/CartPole-v1", num_envs=2, vectorization_mode="vector_entry_point")
    assert vec.reset(seed=1)[0].shape == (2, 4)
