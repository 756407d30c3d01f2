#!/usr/bin/env python3
"""End-to-end tests of `cai align`: one-line usage errors, a tiny run directory, resume from a
checkpoint reproducing the uninterrupted run (extended, and after a SIGKILL), and the
reward-versus-KL frontier."""
import csv
import json
import os
import sys
import unittest

import cli_util
from cli_util import metrics_without_clock, read_bytes, read_json, run


def metrics(d):
    """The align/* scalars of metrics.csv (the run layer's long format), one dict per logged step."""
    rows = {}
    for step, tag, value in metrics_without_clock(d):
        if tag.startswith("align/"):
            rows.setdefault(step, {"step": step})[tag[len("align/"):]] = value
    return list(rows.values())


class AlignTest(cli_util.CliTestCase):
    def test_usage_errors(self):
        self.assertUsageError(run("align", "--method", "rlhf"), "method: \"rlhf\" is unknown")
        self.assertUsageError(run("align", "--beta", "0"), "beta: 0 is invalid")
        self.assertUsageError(run("align", "--vocab", "1"), "vocab_size: 1 is invalid")
        self.assertUsageError(run("align", "--frontier", "1,x"), "--frontier: \"x\" is not a number")
        self.assertUsageError(run("align", "--resume", self.dir, "--beta", "2"), "--beta: not allowed with --resume")
        self.assertUsageError(run("align", "--reward-model", "-3"), "reward_model_pairs: -3 is invalid")
        self.assertUsageError(run("align", "--resume", self.dir, "--reward-model", "5"),
                              "--reward-model: not allowed with --resume")
        self.assertUsageError(run("align", "--policy", "rnn"), "--policy: \"rnn\" is unknown")
        self.assertUsageError(run("align", "--policy", "mlp"), "--policy: mlp is available with --method dpo or ipo")
        self.assertUsageError(run("align", "--policy", "mlp", "--method", "dpo", "--hidden", "0"),
                              "--hidden: \"0\" is invalid")

    def test_dpo_run_directory_reaches_pi_star(self):
        d = os.path.join(self.dir, "run")
        r = run("align", "--method", "dpo", "--beta", "0.5", "--steps", "300", "--out", d, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertLess(out["kl_target"], 1e-5)
        for name in ["config.json", "metrics.csv", "metrics.jsonl", "checkpoint.safetensors", "policy.safetensors",
                     "policy.json", "summary.json"]:
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

    def test_resume_after_kill_through_the_run_layer(self):
        # Killed right after its first checkpoint, the run resumes from checkpoint.safetensors and ends
        # with the uninterrupted run's metrics, policy bytes and summary.
        args = ["--method", "ppo", "--beta", "0.5", "--samples", "64", "--seed", "4", "--steps", "6000",
                "--checkpoint-every", "500", "--log-every", "50", "--vocab", "4", "--max-length", "4"]
        ref = os.path.join(self.dir, "ref")
        self.assertEqual(run("align", *args, "--out", ref).returncode, 0)
        killed = os.path.join(self.dir, "killed")
        self.assertKilledAfterFirstCheckpoint(["align", *args, "--out", killed], killed)
        self.assertFalse(os.path.exists(os.path.join(killed, "summary.json")))
        r = run("align", "--resume", killed)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(metrics_without_clock(killed), metrics_without_clock(ref))
        self.assertEqual(read_bytes(os.path.join(killed, "policy.safetensors")),
                         read_bytes(os.path.join(ref, "policy.safetensors")))
        self.assertEqual(read_json(os.path.join(killed, "summary.json")), read_json(os.path.join(ref, "summary.json")))
        self.assertEqual(read_json(os.path.join(killed, "config.json")), read_json(os.path.join(ref, "config.json")))
        self.assertUsageError(run("align", "--resume", os.path.join(self.dir, "none")), "config.json: no such file")

    def test_ppo_on_a_learned_reward_model(self):
        # RLHF: pretraining -> Bradley-Terry reward model from 20000 pairs per prompt -> PPO.
        d = os.path.join(self.dir, "rlhf")
        r = run("align", "--reward-model", "20000", "--reward", "random", "--steps", "400", "--samples", "0",
                "--epochs", "1", "--out", d, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        # PPO reaches pi* of the learned reward ...
        self.assertLess(out["kl_target"], 1e-6)
        # ... which is near, but not at, the true pi*: the reward model is close, not exact.
        self.assertGreater(out["reward_model_error"], 0.0)
        self.assertLess(out["reward_model_error"], 0.2)
        self.assertLess(out["kl_true_target"], 1e-2)
        self.assertGreater(out["kl_true_target"], out["kl_target"])
        self.assertEqual(read_json(os.path.join(d, "config.json"))["problem"]["reward_model_pairs"], 20000)
        self.assertEqual(read_json(os.path.join(d, "summary.json"))["kl_true_target"], out["kl_true_target"])
        rows = metrics(d)
        self.assertIn("kl_true_target", rows[0])
        # Without a reward model the true and optimised rewards coincide.
        r = run("align", "--steps", "2", "--json")
        out = json.loads(r.stdout)
        self.assertEqual(out["reward_model_error"], 0.0)
        self.assertEqual(out["reward"], out["true_reward"])

    def test_mlp_policy_dpo(self):
        r = run("align", "--policy", "mlp", "--method", "dpo", "--reward", "random", "--steps", "2000", "--lr", "0.01",
                "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["policy"], "mlp")
        self.assertLess(out["kl_target"], 1e-3)

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
