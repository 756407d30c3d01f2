#!/usr/bin/env python3
"""Golden traces for cai's classic-control environments, produced by Gymnasium itself.

For each environment it sets many internal states (`env.unwrapped.state`), takes one step with a
chosen action, and records the state, the action, the next internal state, the observation, the
reward and `terminated`; it also records a few ~20-step trajectories. tests/env/golden_trace_test.cc
replays them through cai::env and compares. The generated JSON is committed so that the tests need
neither Python nor network access; this script documents how it was made.

Regenerate (needs PyPI once):
    python3 -m venv /tmp/gymvenv && /tmp/gymvenv/bin/pip install gymnasium numpy
    /tmp/gymvenv/bin/python scripts/gen_golden_traces.py            # writes tests/data/golden/

File layout (one compact JSON object per environment):
    env, params (constructor arguments), gymnasium_version, numpy_version, python_version,
    command, transition_fields,
    groups: [{name, params, transitions: [[state, action, next_state, observation, reward,
              terminated], ...]}],
    trajectories: [{initial_state, actions, states, observations, rewards, terminated}]
Numbers are written with Python's repr, which round-trips float64 exactly; observations are the
float32 values widened to float64 (exact). Actions are float64 arrays for Box spaces (as cai passes
them) and Python ints for Discrete ones. Steps call the unwrapped environment, so no TimeLimit and
no order checks apply.

Details that keep the comparison fair:
  * MountainCarContinuous's state is set as a float32 array, which is what Gymnasium holds after
    every step (cai keeps it in float32 throughout).
  * CartPole's `steps_beyond_terminated` is cleared before each step so that the reward is the one
    of a first terminating step (1.0), not of a step after termination.
  * Acrobot transitions whose outcome is decided within 1e-9 of a discontinuity (the termination
    line, or the +-pi wrap) are dropped: there, a last-bit difference between NumPy's and the C
    library's sin/cos could legitimately flip the result.
"""

import argparse
import json
import math
import platform
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

PI = math.pi
TRANSITION_FIELDS = ["state", "action", "next_state", "observation", "reward", "terminated"]


def floats(values):
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


class Recorder:
    """Steps one unwrapped Gymnasium environment from chosen states."""

    def __init__(self, env_id, params, seed):
        self.env = gym.make(env_id, **params).unwrapped
        self.env.reset(seed=seed)
        self.env_id = env_id

    def set_state(self, state):
        if self.env_id == "MountainCarContinuous-v0":
            self.env.state = np.array(state, dtype=np.float32)
        else:
            self.env.state = np.array(state, dtype=np.float64)
        if self.env_id == "CartPole-v1":
            self.env.steps_beyond_terminated = None

    def state(self):
        return floats(self.env.state)

    def step(self, action):
        if isinstance(action, (int, np.integer)):
            gym_action = int(action)
            recorded = [float(action)]
        else:
            gym_action = np.array(action, dtype=np.float64)
            recorded = floats(action)
        obs, reward, terminated, truncated, _ = self.env.step(gym_action)
        assert not truncated
        obs = np.asarray(obs)
        assert obs.dtype == np.float32, obs.dtype
        return recorded, floats(obs.astype(np.float64)), float(reward), bool(terminated)

    def transition(self, state, action):
        self.set_state(state)
        before = self.state()
        recorded, obs, reward, terminated = self.step(action)
        return [before, recorded, self.state(), obs, reward, terminated]


def acrobot_is_fair(transition):
    """False if the outcome sits within 1e-9 of the termination line or the angle wrap."""
    s1 = transition[2]
    margin = -math.cos(s1[0]) - math.cos(s1[1] + s1[0]) - 1.0
    near_wrap = any(abs(abs(angle) - PI) < 1e-9 for angle in s1[:2])
    return abs(margin) > 1e-9 and not near_wrap


# ----- state and action samplers, one per environment --------------------------------------------


def pendulum_groups(rng):
    def random(n, th_range, thdot_range, a_range):
        return [([rng.uniform(*th_range), rng.uniform(*thdot_range)], [rng.uniform(*a_range)])
                for _ in range(n)]

    special_angles = [0.0, PI, -PI, 2 * PI, 3 * PI, -3 * PI, PI / 2, 1e3, -1e3, 12345.678]
    special_actions = [-2.0, 2.0, 0.0, -1e3, 1e3, 2.0000001, -2.0000001]
    return [
        ("typical", {}, random(160, (-PI, PI), (-8, 8), (-2, 2))),
        ("out_of_bounds_action", {}, random(80, (-PI, PI), (-8, 8), (-10, 10))),
        ("beyond_ranges", {}, random(80, (-40, 40), (-20, 20), (-5, 5))),
        # theta_dot near +-8 so that the update is clipped (or just not).
        ("speed_clip", {}, [([rng.uniform(-PI, PI), s * rng.uniform(7.3, 8.0)],
                             [s * rng.uniform(0, 3)]) for s in (-1, 1) for _ in range(40)]),
        ("special_angles", {}, [([th, rng.uniform(-8, 8)], [a]) for th in special_angles
                                for a in special_actions[:4]]),
        ("special_actions", {}, [([rng.uniform(-PI, PI), rng.uniform(-8, 8)], [a])
                                 for a in special_actions for _ in range(3)]),
        ("gravity_9.81", {"g": 9.81}, random(60, (-PI, PI), (-8, 8), (-3, 3))),
        ("gravity_0", {"g": 0.0}, random(20, (-PI, PI), (-8, 8), (-3, 3))),
    ]


def mountain_car_groups(rng):
    def f32(x):
        return float(np.float32(x))

    def random(n, p_range, v_range, a_range):
        return [([f32(rng.uniform(*p_range)), f32(rng.uniform(*v_range))], [rng.uniform(*a_range)])
                for _ in range(n)]

    def action():
        # In range, exactly at the bounds, or clipped (the clipped case runs in float32).
        return [float(rng.choice([rng.uniform(-1, 1), -1.0, 1.0, rng.uniform(-3, -1),
                                  rng.uniform(1, 3)]))]

    f32_min = f32(-1.2)
    groups = [
        ("typical", random(140, (-1.2, 0.6), (-0.07, 0.07), (-1, 1))),
        ("out_of_bounds_action", random(100, (-1.2, 0.6), (-0.07, 0.07), (-4, 4))),
        ("beyond_ranges", random(60, (-1.5, 0.9), (-0.1, 0.1), (-2, 2))),
        ("exact_action_bounds", [([f32(rng.uniform(-1.2, 0.6)), f32(rng.uniform(-0.07, 0.07))],
                                  [a]) for a in (-1.0, 1.0, 0.0) for _ in range(10)]),
        # The inelastic left wall: at or just right of -1.2, moving left or barely right.
        ("left_wall", [([f32(p), f32(v)], action())
                       for p in (f32_min, -1.2, -1.1999999, -1.19999, -1.199, -1.19, -1.18)
                       for v in (-0.07, -0.02, -1e-3, -3e-8, 0.0, 3e-8, 1e-3, 0.0015)]),
        ("left_wall_random", [([f32(rng.uniform(-1.21, -1.15)), f32(rng.uniform(-0.07, 0.01))],
                               action()) for _ in range(60)]),
        # Near the goal: position' around 0.45 with velocity' around 0.
        ("goal", [([f32(rng.uniform(0.40, 0.46)), f32(rng.uniform(-0.01, 0.07))], action())
                  for _ in range(80)]),
        ("goal_exact", [([f32(p), f32(v)], action())
                        for p in (0.45, f32(0.45), 0.4499999, 0.45 - 0.07, 0.44)
                        for v in (0.0, 1e-9, -1e-9, 0.0049, 0.005)]),
        # Velocity' near +-0.07 (clipped or just not).
        ("speed_clip", [([f32(rng.uniform(-1.0, 0.4)), f32(s * rng.uniform(0.066, 0.07))],
                         [s * rng.uniform(0.5, 2.0)]) for s in (-1, 1) for _ in range(40)]),
        ("right_edge", [([f32(rng.uniform(0.55, 0.6)), f32(rng.uniform(0.0, 0.07))], action())
                        for _ in range(20)]),
    ]
    return [(name, {}, items) for name, items in groups]


def cart_pole_groups(rng):
    threshold = 12 * 2 * PI / 360

    def random(n, scale):
        return [(list(rng.uniform(-1, 1, 4) * scale), int(rng.integers(2))) for _ in range(n)]

    def just(x):
        return [x, np.nextafter(x, -np.inf), np.nextafter(x, np.inf)]

    edges = []
    # x' = x + tau x_dot lands exactly on (or one ulp either side of) +-2.4; theta likewise.
    for sign in (-1.0, 1.0):
        for x in just(sign * 2.4):
            edges.append(([float(x), 0.0, 0.0, 0.0], int(rng.integers(2))))
        for th in just(sign * threshold):
            edges.append(([0.0, 0.0, float(th), 0.0], int(rng.integers(2))))
    return [
        ("typical", {}, random(200, np.array([2.4, 2.0, 0.21, 2.0]))),
        ("wide", {}, random(100, np.array([3.0, 10.0, 3.2, 20.0]))),
        ("extreme_angles", {}, [([rng.uniform(-1, 1), rng.uniform(-3, 3), rng.uniform(-50, 50),
                                  rng.uniform(-100, 100)], int(rng.integers(2)))
                                for _ in range(40)]),
        ("near_termination", {}, [([s1 * rng.uniform(2.3, 2.45), rng.uniform(-3, 3),
                                    s2 * rng.uniform(0.19, 0.23), rng.uniform(-3, 3)],
                                   int(rng.integers(2)))
                                  for s1 in (-1, 1) for s2 in (-1, 1) for _ in range(30)]),
        ("exact_thresholds", {}, edges),
    ]


def acrobot_groups(rng):
    v1, v2 = 4 * PI, 9 * PI

    def random(n, angle, vel1, vel2):
        return [([rng.uniform(-angle, angle), rng.uniform(-angle, angle), rng.uniform(-vel1, vel1),
                  rng.uniform(-vel2, vel2)], int(rng.integers(3))) for _ in range(n)]

    # Near the termination line -cos(t1) - cos(t1 + t2) = 1: pick t1, solve for t2, perturb.
    near_line = []
    while len(near_line) < 60:
        t1 = rng.uniform(-PI, PI)
        c = -1.0 - math.cos(t1)
        if -1 <= c <= 1:
            t2 = math.acos(c) * rng.choice([-1, 1]) - t1 + rng.normal(0, 0.05)
            near_line.append(([t1, t2, rng.normal(0, 0.3), rng.normal(0, 0.3)],
                              int(rng.integers(3))))
    return [
        ("typical", {}, random(160, PI, v1, v2)),
        ("at_rest_near_reset", {}, random(40, 0.1, 0.1, 0.1)),
        # Angles near +-pi with velocities that carry them across: exercises the wrap.
        ("wrap", {}, [([s1 * rng.uniform(2.6, PI), s2 * rng.uniform(2.6, PI),
                        s1 * rng.uniform(2, 10), s2 * rng.uniform(2, 20)], int(rng.integers(3)))
                      for s1 in (-1, 1) for s2 in (-1, 1) for _ in range(20)]),
        ("angles_beyond_pi", {}, random(60, 40.0, v1, v2)),
        # Velocities beyond 4 pi and 9 pi: the result is clipped.
        ("velocity_clip", {}, random(80, PI, 2.5 * v1, 2.0 * v2)),
        ("near_termination", {}, near_line),
    ]


ENVIRONMENTS = {
    "Pendulum-v1": ("pendulum", pendulum_groups),
    "MountainCarContinuous-v0": ("mountain_car_continuous", mountain_car_groups),
    "CartPole-v1": ("cart_pole", cart_pole_groups),
    "Acrobot-v1": ("acrobot", acrobot_groups),
}


def trajectories(env_id, rng, seed, count=5, length=20):
    """Short trajectories from Gymnasium's own reset states (float32 for MountainCar, as after a
    step) and one wilder start, with random actions; they stop early at termination."""
    out = []
    for k in range(count):
        rec = Recorder(env_id, {}, seed + 1000 + k)
        start = rec.state()
        if k == count - 1:  # a start away from the reset distribution
            start = {"Pendulum-v1": [2.5, -6.0], "MountainCarContinuous-v0": [-1.1, -0.05],
                     "CartPole-v1": [0.5, -0.3, 0.05, 0.4],
                     "Acrobot-v1": [2.0, -1.0, 3.0, -5.0]}[env_id]
        rec.set_state(start)
        traj = {"initial_state": rec.state(), "actions": [], "states": [], "observations": [],
                "rewards": [], "terminated": []}
        for _ in range(length):
            space = rec.env.action_space
            if isinstance(space, gym.spaces.Discrete):
                action = int(rng.integers(space.n))
            else:
                action = [rng.uniform(-1.2, 1.2) * float(space.high[0])]
            recorded, obs, reward, terminated = rec.step(action)
            traj["actions"].append(recorded)
            traj["states"].append(rec.state())
            traj["observations"].append(obs)
            traj["rewards"].append(reward)
            traj["terminated"].append(terminated)
            if terminated:
                break
        out.append(traj)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "tests" /
                                              "data" / "golden"))
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    for index, (env_id, (file_stem, sampler)) in enumerate(ENVIRONMENTS.items()):
        rng = np.random.default_rng(args.seed + index)
        groups = []
        for name, params, items in sampler(rng):
            rec = Recorder(env_id, params, args.seed)
            transitions = [rec.transition(state, action) for state, action in items]
            if env_id == "Acrobot-v1":
                transitions = [t for t in transitions if acrobot_is_fair(t)]
            groups.append({"name": name, "params": params, "transitions": transitions})
        data = {
            "env": env_id,
            "gymnasium_version": gym.__version__,
            "numpy_version": np.__version__,
            "python_version": platform.python_version(),
            "command": f"scripts/gen_golden_traces.py --seed {args.seed}",
            "transition_fields": TRANSITION_FIELDS,
            "groups": groups,
            "trajectories": trajectories(env_id, rng, args.seed),
        }
        path = out_dir / f"{file_stem}.json"
        path.write_text(json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n")
        count = sum(len(g["transitions"]) for g in groups)
        print(f"{path}: {count} transitions, {path.stat().st_size / 1024:.0f} KiB", file=sys.stderr)


if __name__ == "__main__":
    main()
