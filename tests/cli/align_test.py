#!/usr/bin/env python3
"""End-to-end tests of `cai align`: one-line usage errors, a tiny run directory, resume from a
checkpoint reproducing the uninterrupted run, and the reward-versus-KL frontier."""
import csv
import json
import os
import sys
import unittest

import cli_util
from cli_util import read_json, run


def metrics(d):
    with open(os.path.join(d, "metrics.csv")) as f:
        return list(csv.DictReader(f))


class AlignTest(cli_util.CliTestCase):
    def test_usage_errors(self):
        self.assertUsageError(run("align", "--method", "rlhf"), "method: \"rlhf\" is unknown")
        self.assertUsageError(run("align", "--beta", "0"), "beta: 0 is invalid")
        self.assertUsageError(run("align", "--vocab", "1"), "vocab_size: 1 is invalid")
        self.assertUsageError(run("align", "--frontier", "1,x"), "--frontier: \"x\" is not a number")
        self.assertUsageError(run("align", "--resume", self.dir, "--beta", "2"), "--beta: not allowed with --resume")

    def test_dpo_run_directory_reaches_pi_star(self):
        d = os.path.join(self.dir, "run")
        r = run("align", "--method", "dpo", "--beta", "0.5", "--steps", "300", "--out", d, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertLess(out["kl_target"], 1e-5)
        for name in ["config.json", "metrics.csv", "checkpoint.json", "policy.json", "summary.json"]:
            self.assertTrue(os.path.exists(os.path.join(d, name)), name)
        self.assertEqual(read_json(os.path.join(d, "config.json"))["align"]["method"], "dpo")
        rows = metrics(d)
        self.assertEqual(int(rows[0]["step"]), 0)
        self.assertEqual(int(rows[-1]["step"]), 300)
        self.assertGreater(float(rows[0]["kl_target"]), float(rows[-1]["kl_target"]))
        policy = read_json(os.path.join(d, "policy.json"))
        self.assertAlmostEqual(sum(row["pi"] for row in policy["prompts"][0]), 1.0, places=12)
        self.assertUsageError(run("align", "--out", d), "already holds a run")

    def test_resume_reproduces_the_uninterrupted_run(self):
        args = ["--method", "ppo", "--beta", "0.5", "--samples", "32", "--seed", "3", "--checkpoint-every", "20",
                "--log-every", "5"]
        ref = os.path.join(self.dir, "ref")
        self.assertEqual(run("align", *args, "--steps", "60", "--out", ref).returncode, 0)
        part = os.path.join(self.dir, "part")
        # A run stopped after 40 steps, its config then extended to 60 steps: resume continues from step 40.
        self.assertEqual(run("align", *args, "--steps", "40", "--out", part).returncode, 0)
        config = read_json(os.path.join(part, "config.json"))
        config["align"]["steps"] = 60
        with open(os.path.join(part, "config.json"), "w") as f:
            json.dump(config, f)
        r = run("align", "--resume", part)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(metrics(part), metrics(ref))
        self.assertEqual(read_json(os.path.join(part, "policy.json")), read_json(os.path.join(ref, "policy.json")))

    def test_frontier(self):
        d = os.path.join(self.dir, "frontier")
        r = run("align", "--frontier", "0.25,1,4", "--steps", "400", "--samples", "0", "--epochs", "1",
                "--out", d)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(d, "frontier.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 9)
        exact = {row["beta"]: row for row in rows if row["method"] == "exact"}
        for row in rows:
            if row["method"] != "exact":
                self.assertLess(float(row["kl_target"]), 1e-6, row)
                self.assertAlmostEqual(float(row["reward"]), float(exact[row["beta"]]["reward"]), places=3)
                self.assertAlmostEqual(float(row["kl_reference"]), float(exact[row["beta"]]["kl_reference"]), places=3)
        # Smaller beta: more reward, more KL.
        self.assertGreater(float(exact["0.25"]["reward"]), float(exact["4"]["reward"]))
        self.assertGreater(float(exact["0.25"]["kl_reference"]), float(exact["4"]["kl_reference"]))
        with open(os.path.join(d, "frontier.svg")) as f:
            self.assertIn("<svg", f.read())


if __name__ == "__main__":
    cli_util.CAI = sys.argv.pop(1)
    unittest.main()
