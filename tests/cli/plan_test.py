#!/usr/bin/env python3
"""End-to-end test of `cai plan mppi`: closed-loop swing-up of Pendulum-v1 from the hanging state
with the true model, and the written trajectory checked against Pendulum's own equations (every
reward recomputed from the recorded state and action, every transition re-integrated)."""
import json
import math
import os
import sys
import unittest

import cli_util
from cli_util import run


def angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


class PlanTest(cli_util.CliTestCase):
    def test_swing_up_and_trajectory_file(self):
        d = self.dir
        out, svg = os.path.join(d, "traj.json"), os.path.join(d, "traj.svg")
        r = run("plan", "mppi", "--env", "Pendulum-v1", "--samples", "1000", "--horizon", "30", "--steps", "200",
                "--seed", "0", "--json", "--out", out, "--svg", svg)
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        # Upright (|theta| < 0.2) and staying there within 100 steps (issue #6's criterion).
        self.assertIsNotNone(summary["steps_to_upright"])
        self.assertLessEqual(summary["steps_to_upright"], 100)
        with open(out) as f:
            t = json.load(f)
        self.assertEqual(len(t["states"]), 201)
        self.assertEqual(len(t["actions"]), 200)
        self.assertAlmostEqual(sum(t["rewards"]), summary["return"], delta=1e-9 * abs(summary["return"]))
        self.assertAlmostEqual(t["states"][0][0], math.pi, places=12)
        for k, (s, a, reward) in enumerate(zip(t["states"], t["actions"], t["rewards"])):
            th, thdot = s
            u = min(max(a[0] if isinstance(a, list) else a, -2.0), 2.0)
            expected = -(angle_normalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2)
            self.assertAlmostEqual(reward, expected, delta=1e-9, msg=f"step {k}")
            new_thdot = min(max(thdot + (3 * 10.0 / 2 * math.sin(th) + 3.0 * u) * 0.05, -8.0), 8.0)
            self.assertAlmostEqual(t["states"][k + 1][0], th + new_thdot * 0.05, delta=1e-9, msg=f"step {k}")
            self.assertAlmostEqual(t["states"][k + 1][1], new_thdot, delta=1e-9, msg=f"step {k}")
        for ess in t["ess"]:
            self.assertGreaterEqual(ess, 1.0 - 1e-9)
            self.assertLessEqual(ess, 1000.0 + 1e-6)
        with open(svg) as f:
            self.assertIn("<svg", f.read())

    def test_mountain_car_and_cart_pole_swing_up(self):
        # MountainCarContinuous-v0 with the model's energy terminal reward: the car reaches the goal
        # and the episode ends there; the trajectory file holds exactly the steps taken.
        out = os.path.join(self.dir, "car.json")
        r = run("plan", "mppi", "--env", "MountainCarContinuous-v0", "--samples", "500", "--energy-weight", "50",
                "--json", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertIsNotNone(summary["steps_to_goal"])
        self.assertLessEqual(summary["steps_to_goal"], 200)
        self.assertGreaterEqual(summary["return"], 90.0)
        with open(out) as f:
            t = json.load(f)
        self.assertEqual(len(t["actions"]), summary["steps_to_goal"])
        self.assertGreaterEqual(t["states"][-1][0], 0.45)
        # CartPoleSwingUp-v0 from its hanging reset, horizon 1 s.
        r = run("plan", "mppi", "--env", "CartPoleSwingUp-v0", "--horizon", "50", "--steps", "150", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertIsNotNone(summary["steps_to_upright"])
        self.assertEqual(summary["steps"], 150)

    def test_terminal_value_grid(self):
        # --value-grid: V(s_T) from exact value iteration on a grid; issue #6's -350 at K 1000, T 30.
        r = run("plan", "mppi", "--value-grid", "51", "--temperature", "0.1", "--noise", "1", "--iterations", "2",
                "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertEqual((summary["value_grid"], summary["value_discount"]), (51, 0.99))
        self.assertGreaterEqual(summary["return"], -350.0)
        self.assertLessEqual(summary["steps_to_upright"], 100)

    def test_bad_input_is_one_line_exit_2(self):
        for args, fragment in [(["--samples", "0"], "samples"), (["--temperature", "-1"], "temperature"),
                               (["--env", "CartPole-v1"], "CartPole-v1"), (["--horizon", "x"], "horizon"),
                               (["--env", "CartPoleSwingUp-v0", "--energy-weight", "5"], "energy-weight"), (["--steps", "-1"], "steps"),
                               (["--env", "MountainCarContinuous-v0", "--energy-weight", "-2"], "energy-weight"),
                               (["--value-grid", "5"], "value-grid"),
                               (["--env", "MountainCarContinuous-v0", "--value-grid", "51"], "value-grid"),
                               (["--value-grid", "51", "--value-discount", "1"], "value-discount")]:
            self.assertUsageError(run("plan", "mppi", *args), fragment)


if __name__ == "__main__":
    cli_util.CAI = sys.argv.pop(1)
    unittest.main()
