#!/usr/bin/env python3
"""End-to-end test of `cai demos` and `cai irl`: demonstrations sampled on a small objectworld,
the reward learned back from them, every output file read back and checked (the L-BFGS trace
increases, the written policy is a distribution, the learned reward is theta . f), and bad input
reported as one line with exit status 2."""
import csv
import json
import os
import sys
import unittest

import cli_util
from cli_util import run

WORLD = ["--builtin", "objectworld", "--param", "size=6", "--param", "objects=6", "--param", "seed=2"]


def run_ref_stdout(run_dir):
    with open(os.path.join(run_dir, "summary.json")) as f:
        return f.read()


class IrlTest(cli_util.CliTestCase):
    def sample(self, path, *extra):
        r = run("demos", *WORLD, "--horizon", "8", "--count", "200", "--seed", "3", "--out", path, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_demos_then_irl_writes_every_output(self):
        demos = os.path.join(self.dir, "demos.jsonl")
        self.sample(demos)
        with open(demos) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual(len(lines), 200)
        for d in lines:
            self.assertEqual(len(d["states"]), 8)
            self.assertEqual(len(d["actions"]), 8)
        # Same seed, same file.
        again = os.path.join(self.dir, "again.jsonl")
        self.sample(again)
        self.assertEqual(cli_util.read_bytes(demos), cli_util.read_bytes(again))

        out = os.path.join(self.dir, "irl")
        r = run("irl", *WORLD, "--param", "discrete_features=0", "--demos", demos, "--horizon", "8",
                "--method", "maxent", "--out", out, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertTrue(summary["converged"], summary)
        self.assertEqual(summary["features"], 4)
        with open(os.path.join(out, "trace.csv")) as f:
            trace = list(csv.DictReader(f))
        objectives = [float(row["objective"]) for row in trace]
        self.assertGreater(len(objectives), 2)
        for a, b in zip(objectives, objectives[1:]):
            self.assertGreater(b, a)
        # maxent, finite horizon, no L2: the log-likelihood column is filled and <= 0.
        for row in trace:
            self.assertLessEqual(float(row["log_likelihood"]), 0.0)
        reward = cli_util.read_json(os.path.join(out, "reward.json"))
        theta = [t["weight"] for t in reward["theta"]]
        self.assertEqual(len(theta), 4)
        self.assertEqual(len(reward["rewards"]), 36)
        policy = cli_util.read_json(os.path.join(out, "policy.json"))
        self.assertEqual(policy["backup"], "exact")
        self.assertEqual(len(policy["policy"]), 8)
        for row in policy["policy"][0]:
            self.assertAlmostEqual(sum(row), 1.0, places=12)
        with open(os.path.join(out, "rewards.svg")) as f:
            svg = f.read()
        self.assertIn("true reward", svg)
        self.assertIn("learned reward", svg)

    def test_discounted_reports_the_expected_value_difference(self):
        demos = os.path.join(self.dir, "demos.jsonl")
        r = run("demos", *WORLD, "--discount", "0.9", "--length", "30", "--count", "50", "--out", demos)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.dir, "irl")
        r = run("irl", *WORLD, "--demos", demos, "--discount", "0.9", "--l2", "0.01", "--out", out, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertGreaterEqual(summary["expected_value_difference"], -1e-9)

    def test_mdp_and_features_files(self):
        # A 3-state chain written as a file, with state-action features written by hand: feature 0
        # is 1 for "forward" (action 0), feature 1 is 1 in the last state.
        mdp = os.path.join(self.dir, "chain.json")
        r = run("mdp", "--builtin", "chain", "--param", "length=3", "--out", mdp)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = cli_util.read_json(mdp)
        S, A = doc["num_states"], doc["num_actions"]
        values = [[1.0 if a == 0 else 0.0, 1.0 if s == S - 1 else 0.0] for s in range(S) for a in range(A)]
        feats = os.path.join(self.dir, "features.json")
        with open(feats, "w") as f:
            json.dump({"format": "cai.features/1", "kind": "state_action", "num_states": S, "num_actions": A,
                       "names": ["forward", "at the end"], "values": values}, f)
        demos = os.path.join(self.dir, "demos.jsonl")
        r = run("demos", "--mdp", mdp, "--horizon", "6", "--count", "100", "--temperature", "0.5", "--out", demos)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.dir, "irl")
        r = run("irl", "--mdp", mdp, "--features", feats, "--demos", demos, "--horizon", "6",
                "--temperature", "0.5", "--l2", "0.001", "--out", out, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(json.loads(r.stdout)["converged"])
        reward = cli_util.read_json(os.path.join(out, "reward.json"))
        self.assertEqual([t["feature"] for t in reward["theta"]], ["forward", "at the end"])
        theta = [t["weight"] for t in reward["theta"]]
        for s in range(S):
            for a in range(A):
                expected = sum(w * x for w, x in zip(theta, values[s * A + a]))
                self.assertAlmostEqual(reward["rewards"][s][a], expected, places=12)
        self.assertFalse(os.path.exists(os.path.join(out, "rewards.svg")))  # no grid
        # A features file of the wrong size names the mismatch.
        with open(feats, "w") as f:
            json.dump({"format": "cai.features/1", "kind": "state", "num_states": S + 1, "num_actions": A,
                       "values": [[0.0]] * (S + 1)}, f)
        self.assertUsageError(run("irl", "--mdp", mdp, "--features", feats, "--demos", demos, "--horizon", "6",
                                  "--out", out), "features: num_states 4 does not match the MDP's 3")

    def test_resume_continues_the_fit_bit_for_bit(self):
        # A fit stopped by its iteration budget, its config then given a larger budget: --resume goes on
        # from checkpoint.safetensors and ends exactly where the uninterrupted fit does (L-BFGS to
        # convergence, Adam to its budget), with the same metrics, trace, reward and summary.
        demos = os.path.join(self.dir, "demos.jsonl")
        self.sample(demos)
        for optimizer, short, full in [("lbfgs", 4, 1000), ("adam", 30, 120)]:
            args = [*WORLD, "--param", "discrete_features=0", "--demos", demos, "--horizon", "8", "--optimizer",
                    optimizer, "--checkpoint-every", "7"]
            ref = os.path.join(self.dir, optimizer + "-ref")
            r = run("irl", *args, "--iterations", str(full), "--out", ref, "--json")
            self.assertIn(r.returncode, (0, 1), r.stderr)
            part = os.path.join(self.dir, optimizer + "-part")
            r = run("irl", *args, "--iterations", str(short), "--out", part)
            self.assertEqual(r.returncode, 1, r.stderr)  # not converged within the short budget
            self.assertIn("not converged", r.stderr)
            for name in ["config.json", "metrics.csv", "metrics.jsonl", "checkpoint.safetensors",
                         "policy.safetensors", "reward.json", "trace.csv", "summary.json"]:
                self.assertTrue(os.path.exists(os.path.join(part, name)), name)
            config = cli_util.read_json(os.path.join(part, "config.json"))
            self.assertEqual(config["irl"]["iterations"], short)
            self.assertTrue(os.path.isabs(config["irl"]["demos"]))
            config["irl"]["iterations"] = full
            with open(os.path.join(part, "config.json"), "w") as f:
                json.dump(config, f)
            self.assertUsageError(run("irl", "--resume", part, "--l2", "1"), "--l2: not allowed with --resume")
            resumed = run("irl", "--resume", part, "--json")
            self.assertEqual(resumed.returncode, r.returncode if optimizer == "adam" else 0, resumed.stderr)
            self.assertEqual(json.loads(resumed.stdout), json.loads(run_ref_stdout(ref)))
            for name in ["trace.csv", "reward.json", "policy.json", "summary.json", "policy.safetensors"]:
                self.assertEqual(cli_util.read_bytes(os.path.join(part, name)),
                                 cli_util.read_bytes(os.path.join(ref, name)), name)
            self.assertEqual(cli_util.metrics_without_clock(part), cli_util.metrics_without_clock(ref))
        self.assertUsageError(run("irl", *WORLD, "--demos", demos, "--horizon", "8", "--out", ref),
                              "already holds a run")

    def test_bad_input_is_one_line_exit_2(self):
        demos = os.path.join(self.dir, "bad.jsonl")
        with open(demos, "w") as f:
            f.write('{"states": [99], "actions": [0]}\n')
        self.assertUsageError(run("irl", *WORLD, "--demos", demos, "--horizon", "1", "--out", self.dir),
                              "demos[0]: states[0] = 99 is out of range (expected 0 to 35)")
        with open(demos, "w") as f:
            f.write('{"states": [1, 2], "actions": [0]}\n')
        self.assertUsageError(run("irl", *WORLD, "--demos", demos, "--horizon", "1", "--out", self.dir),
                              "line 1: 2 states but 1 actions")
        good = os.path.join(self.dir, "good.jsonl")
        self.sample(good)
        self.assertUsageError(run("irl", *WORLD, "--demos", good, "--out", self.dir), "give either --horizon")
        self.assertUsageError(run("irl", *WORLD, "--demos", good, "--horizon", "8", "--method", "gail",
                                  "--out", self.dir), "method: \"gail\"")
        self.assertUsageError(run("irl", *WORLD, "--demos", good, "--horizon", "8", "--temperature", "0",
                                  "--out", self.dir), "temperature: 0")
        self.assertUsageError(run("irl", *WORLD, "--demos", good, "--horizon", "9", "--out", self.dir),
                              "demos[0]: 8 steps with horizon 9")
        self.assertUsageError(run("demos", *WORLD, "--discount", "0.9", "--out", good), "--length: 0")


if __name__ == "__main__":
    cli_util.CAI = sys.argv.pop(1)
    unittest.main()
