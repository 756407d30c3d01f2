#!/usr/bin/env python3
"""End-to-end tests of `cai train sac` and `cai eval`: run directories, bit-for-bit determinism,
resume after a SIGKILL, and one-line errors. Small networks keep each run to a second or two."""
import json
import os
import sys
import unittest

import cli_util
from cli_util import metrics_without_clock, read_bytes, read_json, run

SMALL = ["--hidden", "16,16", "--batch", "16", "--learning-starts", "100", "--eval-episodes", "2",
         "--no-progress", "--log-every", "100"]


class TrainTest(cli_util.CliTestCase):
    def test_run_directory_contents(self):
        d = os.path.join(self.dir, "run")
        r = run("train", "sac", "--env", "Pendulum-v1", "--steps", "1000", "--seed", "3", "--out", d,
                "--checkpoint-every", "400", "--eval-every", "500", "--json", *SMALL)
        self.assertEqual(r.returncode, 0, r.stderr)
        result = json.loads(r.stdout)
        self.assertEqual(result["steps"], 1000)
        for name in ["config.json", "metrics.csv", "metrics.jsonl", "checkpoint.safetensors", "policy.safetensors",
                     "eval.json"]:
            self.assertTrue(os.path.exists(os.path.join(d, name)), name)
        self.assertTrue(any(n.startswith("events.out.tfevents.") for n in os.listdir(d)))
        config = read_json(os.path.join(d, "config.json"))
        self.assertEqual(config["algorithm"], "sac")
        self.assertEqual(config["env"], "Pendulum-v1")
        self.assertEqual(config["sac"]["hidden"], [16, 16])
        self.assertEqual(config["sac"]["seed"], 3)
        self.assertEqual(config["run"]["checkpoint_interval"], 400)
        ev = read_json(os.path.join(d, "eval.json"))
        self.assertEqual(len(ev["returns"]), 2)
        self.assertAlmostEqual(ev["mean_return"], result["eval_mean_return"])
        tags = {t for _, t, _ in metrics_without_clock(d)}
        for tag in ["charts/episodic_return", "losses/qf_loss", "losses/alpha", "losses/actor_loss",
                    "eval/mean_return"]:
            self.assertIn(tag, tags)
        with open(os.path.join(d, "metrics.jsonl")) as f:
            rows = [json.loads(line) for line in f]
        self.assertTrue(all("step" in row for row in rows))
        # cai eval reproduces the final evaluation from policy.safetensors alone.
        e = run("eval", d, "--episodes", "2", "--json")
        self.assertEqual(e.returncode, 0, e.stderr)
        self.assertEqual(json.loads(e.stdout)["returns"], ev["returns"])
        # A finished run is not overwritten.
        again = run("train", "sac", "--steps", "1000", "--out", d, *SMALL)
        self.assertUsageError(again, "already holds a run")

    def test_same_seed_same_run_bit_for_bit(self):
        outs = []
        for name in ["a", "b"]:
            d = os.path.join(self.dir, name)
            r = run("train", "sac", "--steps", "800", "--seed", "5", "--out", d, "--eval-every", "400", *SMALL)
            self.assertEqual(r.returncode, 0, r.stderr)
            outs.append((metrics_without_clock(d), read_json(os.path.join(d, "eval.json"))["returns"],
                         read_bytes(os.path.join(d, "policy.safetensors"))))
        self.assertEqual(outs[0][0], outs[1][0])
        self.assertEqual(outs[0][1], outs[1][1])
        self.assertEqual(outs[0][2], outs[1][2])

    def test_resume_after_kill_reaches_the_uninterrupted_result(self):
        args = ["--steps", "8000", "--seed", "7", "--checkpoint-every", "600", "--eval-every", "1000", *SMALL]
        self.assertResumeAfterKillMatches("sac", args, ["--steps", "10"])

    def test_config_file_and_flag_precedence(self):
        cfg = os.path.join(self.dir, "cfg.json")
        with open(cfg, "w") as f:
            json.dump({"env": "MountainCarContinuous-v0", "steps": 300,
                       "sac": {"hidden": [8], "batch_size": 8, "tau": 0.01}}, f)
        d = os.path.join(self.dir, "run")
        r = run("train", "sac", "--config", cfg, "--tau", "0.02", "--out", d, "--no-progress", "--eval-episodes", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        config = read_json(os.path.join(d, "config.json"))
        self.assertEqual(config["env"], "MountainCarContinuous-v0")
        self.assertEqual(config["sac"]["hidden"], [8])
        self.assertEqual(config["sac"]["tau"], 0.02)
        with open(cfg, "w") as f:
            json.dump({"sac": {"batch": 8}}, f)
        self.assertUsageError(run("train", "sac", "--config", cfg, "--out", d + "2"), "unknown key \"batch\"")

    def test_bad_input_is_one_line_exit_2(self):
        d = os.path.join(self.dir, "x")
        self.assertUsageError(run("train", "sac", "--env", "CartPole-v1", "--out", d), "Discrete(2)")
        self.assertUsageError(run("train", "sac", "--env", "Nope-v0", "--out", d), "\"Nope-v0\" is not a known environment")
        self.assertUsageError(run("train", "sac", "--hidden", "64,x", "--out", d), "--hidden")
        self.assertUsageError(run("train", "sac", "--batch", "0", "--out", d), "--batch: 0 is invalid")
        self.assertUsageError(run("train", "sac", "--tau", "2", "--out", d), "--tau: 2 is invalid")
        self.assertUsageError(run("train", "sac", "--steps", "0", "--out", d), "--steps: 0 is invalid")
        self.assertUsageError(run("train", "sac"), "--out: a run directory is required")
        self.assertUsageError(run("train", "sac", "--resume", os.path.join(self.dir, "none")), "config.json: no such file")
        self.assertUsageError(run("eval", os.path.join(self.dir, "none")), "no such file")
        self.assertFalse(os.path.exists(d), "a rejected command leaves nothing behind")


if __name__ == "__main__":
    cli_util.CAI = sys.argv.pop(1)
    unittest.main(verbosity=1)
