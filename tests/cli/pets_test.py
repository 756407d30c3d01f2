#!/usr/bin/env python3
"""End-to-end test of `cai train pets`: usage errors are one line with exit code 2, a tiny run writes
its run directory (config, metrics with the model's losses, checkpoint, policy, evaluation), and a
run killed after its first checkpoint resumes to exactly the uninterrupted result."""
import json
import os
import sys
import unittest

import cli_util
from cli_util import run, read_json

TINY = ["--episodes", "4", "--episode-length", "20", "--members", "2", "--hidden", "16", "--gradient-steps", "200",
        "--samples", "64", "--horizon", "8", "--seed", "3", "--no-progress"]


class PetsTest(cli_util.CliTestCase):
    def test_bad_input_is_one_line_exit_2(self):
        out = os.path.join(self.dir, "bad")
        for args, fragment in [(["--members", "0"], "--members: 0 is invalid"),
                               (["--samples", "0"], "--samples: 0 is invalid"),
                               (["--env", "CartPole-v1"], "CartPole-v1"),
                               (["--reward", "maybe"], "--reward"),
                               (["--start", "sideways"], "--start"),
                               (["--episodes", "0"], "--episodes"),
                               (["--hidden", "8,x"], "--hidden"),
                               (["--max-log-var", "-20"], "--max-log-var")]:
            self.assertUsageError(run("train", "pets", "--out", out, *args), fragment)
            self.assertFalse(os.path.exists(os.path.join(out, "config.json")), args)

    def test_tiny_run_writes_its_run_directory(self):
        out = os.path.join(self.dir, "run")
        r = run("train", "pets", "--out", out, *TINY, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertEqual(summary["steps"], 80)
        self.assertEqual(len(summary["episode_returns"]), 4)
        self.assertEqual(len(summary["eval_upright_from"]), 1)
        for name in ["config.json", "metrics.csv", "metrics.jsonl", "checkpoint.safetensors", "policy.safetensors",
                     "eval.json"]:
            self.assertTrue(os.path.exists(os.path.join(out, name)), name)
        config = read_json(os.path.join(out, "config.json"))
        self.assertEqual(config["algorithm"], "pets")
        self.assertEqual(config["pets"]["members"], 2)
        self.assertAlmostEqual(config["pets"]["initial_state"][0], 3.141592653589793, places=12)
        with open(os.path.join(out, "metrics.csv")) as f:
            metrics = f.read()
        self.assertIn("losses/model_nll", metrics)
        self.assertIn("pets/upright_steps", metrics)
        # Every return of a 20-step Pendulum episode lies in [-20 * 16.27, 0].
        for ret in summary["episode_returns"]:
            self.assertLessEqual(ret, 0.0)
            self.assertGreaterEqual(ret, -20 * (3.15 ** 2 + 0.1 * 64 + 0.001 * 4))
        # `cai eval` plans through the saved ensemble (Gymnasium resets, not the hanging start).
        r = run("eval", out, "--episodes", "1", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = json.loads(r.stdout)
        self.assertEqual(len(ev["returns"]), 1)
        self.assertLessEqual(ev["returns"][0], 0.0)
        # The run's own config reruns it.
        again = os.path.join(self.dir, "again")
        r = run("train", "pets", "--out", again, "--config", os.path.join(out, "config.json"), "--no-progress", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["episode_returns"], summary["episode_returns"])

    def test_kill_and_resume_matches_uninterrupted_run(self):
        self.assertResumeAfterKillMatches("pets", TINY, ["--episodes", "5"])


if __name__ == "__main__":
    cli_util.CAI = sys.argv.pop(1)
    unittest.main()
