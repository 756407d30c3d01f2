"""The Stable-Baselines3-style learners: learn / predict / save / load, training on Gymnasium
environments written in Python, exact resume, and option errors."""

import gymnasium
import numpy as np
import pytest

import cai

SMALL_SAC = dict(hidden=[32, 32], learning_starts=100, batch_size=64)


def test_sac_learn_predict_shapes_and_callback():
    model = cai.SAC("Pendulum-v1", seed=0, **SMALL_SAC)
    seen = []

    def callback(m, info):
        seen.append(info)
        assert m is model

    model.learn(600, callback=callback, log_interval=200)
    assert model.num_timesteps == 600
    assert [i["num_timesteps"] for i in seen] == [200, 400, 600]
    assert sum(len(i["episodes"]["return"]) for i in seen) == 3  # Pendulum episodes are 200 steps
    assert "losses/qf1_loss" in seen[-1]["scalars"]
    assert len(model.episode_returns) == 3 and np.isfinite(model.episode_returns).all()
    obs = np.zeros(3, dtype=np.float32)
    action, state = model.predict(obs, deterministic=True)
    assert state is None and action.shape == (1,) and -2.0 <= action[0] <= 2.0
    batch, _ = model.predict(np.zeros((5, 3)), deterministic=True)
    assert batch.shape == (5, 1)
    np.testing.assert_array_equal(batch[0], action)
    assert model.config["sac"]["hidden"] == [32, 32]


def test_callback_can_stop_training():
    model = cai.SAC("Pendulum-v1", seed=0, **SMALL_SAC)
    model.learn(1000, callback=lambda m, info: False, log_interval=200, finish_episode=False)
    assert model.num_timesteps == 200


def test_save_load_continues_bit_for_bit(tmp_path):
    straight = cai.SAC("Pendulum-v1", seed=1, **SMALL_SAC).learn(600)
    first = cai.SAC("Pendulum-v1", seed=1, **SMALL_SAC).learn(400)
    first.save(tmp_path / "sac.safetensors")
    resumed = cai.SAC.load(tmp_path / "sac.safetensors")
    assert resumed.num_timesteps == 400
    resumed.learn(200)
    obs = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    np.testing.assert_array_equal(resumed.predict(obs, deterministic=True)[0],
                                  straight.predict(obs, deterministic=True)[0])
    assert resumed.evaluate(2)["returns"].tolist() == straight.evaluate(2)["returns"].tolist()


def test_sac_on_gymnasiums_python_pendulum():
    env = gymnasium.make("Pendulum-v1")  # Gymnasium's own Python implementation
    model = cai.SAC(env, seed=0, **SMALL_SAC)
    model.learn(400)
    assert model.config["env"] == "Pendulum-v1"
    assert len(model.episode_returns) == 2 and all(-2000 < r < 0 for r in model.episode_returns)
    action, _ = model.predict(env.reset(seed=0)[0], deterministic=True)
    assert env.action_space.contains(action.astype(np.float32))
    ev = model.evaluate(episodes=1)
    assert ev["lengths"].tolist() == [200]


class CountingEnv(gymnasium.Env):
    """A Python environment that records what the C++ learner sends it."""

    def __init__(self):
        self.observation_space = gymnasium.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(3)
        self.actions = []
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(2, np.float32), {}

    def step(self, action):
        self.actions.append(action)
        self.t += 1
        reward = 1.0 if action == 2 else 0.0
        return np.full(2, self.t / 10, np.float32), reward, self.t >= 10, False, {}


def test_soft_dqn_on_a_python_env_learns_the_best_action():
    env = CountingEnv()
    model = cai.SoftDQN(env, seed=0, hidden=[16], learning_starts=50, train_frequency=10, gradient_steps=10,
                        target_update_interval=10, temperature=0.05, learning_rate=1e-2)
    model.learn(1500)
    assert all(isinstance(a, int) and 0 <= a < 3 for a in env.actions)
    assert len(env.actions) >= 1500
    action, _ = model.predict(np.full(2, 0.3, np.float32), deterministic=True)
    assert action == 2
    assert model.evaluate(episodes=2)["mean_return"] == 10.0


def test_soft_dqn_and_actor_critic_on_cartpole():
    q = cai.SoftDQN("CartPole-v1", seed=0, hidden=[32], learning_starts=200).learn(500)
    a, _ = q.predict(np.zeros(4), deterministic=True)
    assert a in (0, 1)
    ac = cai.MaxEntActorCritic("CartPole-v1", seed=0, num_envs=4).learn(400)
    assert ac.num_timesteps >= 400
    acts, _ = ac.predict(np.zeros((3, 4)), deterministic=False)
    assert acts.shape == (3,) and set(acts.tolist()) <= {0, 1}
    with pytest.raises(ValueError, match="simulators"):
        cai.MaxEntActorCritic(gymnasium.make("CartPole-v1"))


def test_option_errors_name_the_key():
    with pytest.raises(cai.CaiError, match="batch_sise"):
        cai.SAC("Pendulum-v1", batch_sise=3)
    with pytest.raises(ValueError, match="batch_size"):
        cai.SAC("Pendulum-v1", batch_size=0)
    with pytest.raises(ValueError, match="Discrete"):
        cai.SAC("CartPole-v1")
    with pytest.raises(ValueError, match="total_timesteps"):
        cai.SAC("Pendulum-v1").learn(-1)
    with pytest.raises(ValueError, match="algorithm"):
        cai.train("ppo", "Pendulum-v1", 10, "/nonexistent")
