#!/usr/bin/env python3
"""Generates the golden traces in tests/data/golden/ with Gymnasium itself.

Run once when the environments change (needs network for pip; CI only reads the committed data):
    python3 -m venv /tmp/gymvenv && /tmp/gymvenv/bin/pip install gymnasium numpy
    /tmp/gymvenv/bin/python scripts/gen_golden_traces.py tests/data/golden

Each file holds one-step transitions from states set directly on env.unwrapped (broad ranges plus
edge cases: velocity clipping, angle wrapping, walls, termination thresholds, out-of-bound
actions) and a few multi-step trajectories from reset. Floats are written with Python's shortest
round-trip repr, so the C++ test reads exactly the doubles Gymnasium produced.
"""
import json
import math
import os
import sys

import gymnasium as gym
import numpy as np

rng = np.random.default_rng(20261122)


def one_step(env, state, action, state_dtype=np.float64):
    env.reset()  # clears per-episode bookkeeping (CartPole's steps_beyond_terminated)
    env.unwrapped.state = np.array(state, dtype=state_dtype)
    set_state = [float(v) for v in env.unwrapped.state]
    obs, reward, terminated, truncated, _ = env.step(action)
    return {
        "state": set_state,
        "action": [float(a) for a in np.atleast_1d(action)],
        "next_state": [float(v) for v in env.unwrapped.state],
        "observation": [float(v) for v in obs],
        "reward": float(reward),
        "terminated": bool(terminated),
    }


def trajectories(env, n, steps, discrete):
    out = []
    for k in range(n):
        env.reset(seed=100 + k)
        start = [float(v) for v in env.unwrapped.state]
        actions, states, rewards, terms = [], [], [], []
        for _ in range(steps):
            if discrete:
                a = int(rng.integers(env.action_space.n))
                act = a
            else:
                a = float(rng.uniform(env.action_space.low[0], env.action_space.high[0]))
                act = np.array([a])
            _, r, term, _, _ = env.step(act)
            actions.append([float(a)])
            states.append([float(v) for v in env.unwrapped.state])
            rewards.append(float(r))
            terms.append(bool(term))
            if term:
                break
        out.append({"start": start, "actions": actions, "states": states, "rewards": rewards, "terminated": terms})
    return out


def pendulum(env):
    steps = []
    for _ in range(250):
        th = rng.uniform(-3 * math.pi, 3 * math.pi)
        thdot = rng.uniform(-9, 9)
        a = rng.uniform(-3, 3)
        steps.append(one_step(env, [th, thdot], np.array([a])))
    for th, thdot, a in [(0, 7.99, 2), (math.pi, -7.9, -2), (-math.pi, 0, 0), (1e-12, 8, 5), (10, -8, -5)]:
        steps.append(one_step(env, [th, thdot], np.array([float(a)])))
    return steps


def mountain_car(env):
    steps = []
    for _ in range(250):
        p = rng.uniform(-1.2, 0.6)
        v = rng.uniform(-0.07, 0.07)
        a = rng.uniform(-1.5, 1.5)
        steps.append(one_step(env, [p, v], np.array([a]), np.float32))
    for p, v, a in [(-1.19, -0.07, -1), (-1.2, -0.01, 0.3), (0.449, 0.002, 1), (0.44, 0.02, 0.5), (0.59, 0.07, 1),
                    (0.45, -0.001, -1), (-0.5, 0.0, 2.0)]:
        steps.append(one_step(env, [p, v], np.array([float(a)]), np.float32))
    return steps


def cart_pole(env):
    steps = []
    for _ in range(250):
        s = [rng.uniform(-2.5, 2.5), rng.uniform(-3, 3), rng.uniform(-0.25, 0.25), rng.uniform(-3, 3)]
        steps.append(one_step(env, s, int(rng.integers(2))))
    for s, a in [([2.39, 1.0, 0, 0], 1), ([-2.39, -1.0, 0, 0], 0), ([0, 0, 0.209, 0.5], 1), ([0, 0, -0.209, -0.5], 0)]:
        steps.append(one_step(env, s, a))
    return steps


def acrobot(env):
    steps = []
    for _ in range(250):
        s = [rng.uniform(-math.pi, math.pi), rng.uniform(-math.pi, math.pi),
             rng.uniform(-4 * math.pi, 4 * math.pi), rng.uniform(-9 * math.pi, 9 * math.pi)]
        steps.append(one_step(env, s, int(rng.integers(3))))
    for s, a in [([math.pi - 1e-3, 0, 5, 0], 2), ([-math.pi + 1e-3, 0, -5, 0], 0), ([0, math.pi - 1e-3, 0, 20], 2),
                 ([0, 0, 4 * math.pi, 9 * math.pi], 2), ([math.pi, 0, 0, 0], 1), ([2.5, 0.5, 1, 1], 1)]:
        steps.append(one_step(env, s, a))
    return steps


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for env_id, fn, discrete in [("Pendulum-v1", pendulum, False), ("MountainCarContinuous-v0", mountain_car, False),
                                 ("CartPole-v1", cart_pole, True), ("Acrobot-v1", acrobot, True)]:
        env = gym.make(env_id).unwrapped
        env.reset(seed=0)
        data = {"env": env_id, "gymnasium": gym.__version__, "numpy": np.__version__, "steps": fn(env)}
        env = gym.make(env_id).unwrapped
        data["trajectories"] = trajectories(env, 4, 25, discrete)
        path = os.path.join(out_dir, env_id + ".json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        print(path, len(data["steps"]), "steps")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/golden")
