#!/usr/bin/env python3
"""End-to-end tests of `cai train soft-q` and `cai train maxent-pg` (the same run directory, logs,
checkpoints, resume and errors as `cai train sac`): contents, `cai eval` reproduces eval.json,
bit-for-bit determinism, resume after a SIGKILL equals the uninterrupted run, one-line errors."""
import json
import os
import sys
import unittest

import cli_util
from cli_util import metrics_without_clock, read_bytes, read_json, run

ALGORITHMS = {
    # algorithm: (small flags, steps of a short run, steps and checkpoint interval of the kill test)
    "soft-q": (["--hidden", "16,16", "--batch", "16", "--learning-starts", "100", "--train-freq", "1",
                "--gradient-steps", "1", "--target-update-interval", "250"], 3000,
               ("100000", "5000")),
    "maxent-pg": (["--hidden", "16", "--alpha", "0.01"], 20000, ("3000000", "50000")),
}
COMMON = ["--eval-episodes", "2", "--no-progress", "--log-every", "1000"]


class TrainAlgorithmsTest(cli_util.CliTestCase):
    def test_run_directory_and_eval(self):
        for algorithm, (small, steps, _) in ALGORITHMS.items():
            with self.subTest(algorithm=algorithm):
                d = os.path.join(self.dir, algorithm)
                r = run("train", algorithm, "--steps", str(steps), "--seed", "3", "--out", d, "--json", *small, *COMMON)
                self.assertEqual(r.returncode, 0, r.stderr)
                result = json.loads(r.stdout)
                self.assertEqual(result["steps"], steps)
                for name in ["config.json", "metrics.csv", "metrics.jsonl", "policy.safetensors", "eval.json"]:
                    self.assertTrue(os.path.exists(os.path.join(d, name)), name)
                config = read_json(os.path.join(d, "config.json"))
                self.assertEqual(config["algorithm"], algorithm)
                self.assertEqual(config["env"], "CartPole-v1")
                tags = {row[1] for row in metrics_without_clock(d)}
                self.assertIn("charts/episodic_return", tags)
                self.assertIn("eval/mean_return", tags)
                e = run("eval", d, "--episodes", "2", "--json")
                self.assertEqual(e.returncode, 0, e.stderr)
                self.assertEqual(json.loads(e.stdout)["returns"], read_json(os.path.join(d, "eval.json"))["returns"])

    def test_same_seed_same_run_bit_for_bit(self):
        for algorithm, (small, steps, _) in ALGORITHMS.items():
            with self.subTest(algorithm=algorithm):
                outs = []
                for name in ["a", "b"]:
                    d = os.path.join(self.dir, f"{algorithm}-{name}")
                    r = run("train", algorithm, "--steps", str(steps), "--seed", "5", "--out", d, "--eval-every",
                            str(steps // 2), *small, *COMMON)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    outs.append((metrics_without_clock(d), read_bytes(os.path.join(d, "policy.safetensors"))))
                self.assertEqual(outs[0], outs[1])

    def test_resume_after_kill_reaches_the_uninterrupted_result(self):
        for algorithm, (small, _, (steps, every)) in ALGORITHMS.items():
            with self.subTest(algorithm=algorithm):
                args = ["--steps", steps, "--seed", "7", "--checkpoint-every", every, "--eval-every", every, *small,
                        *COMMON]
                self.assertResumeAfterKillMatches(algorithm, args, ["--seed", "1"])

    def test_bad_input_is_one_line_exit_2(self):
        d = os.path.join(self.dir, "bad")
        self.assertUsageError(run("train", "soft-q", "--env", "Pendulum-v1", "--out", d), "Discrete action space")
        self.assertUsageError(run("train", "soft-q", "--alpha", "0", "--out", d), "--alpha: 0 is invalid")
        self.assertUsageError(run("train", "soft-q", "--prior", "0.5,0.6", "--out", d), "--prior: summing to 1.1 is invalid")
        self.assertUsageError(run("train", "soft-q", "--prior", "0.2,0.3,0.5", "--out", d), "one entry per action")
        self.assertUsageError(run("train", "soft-q", "--loss", "l1", "--out", d), "--loss")
        self.assertUsageError(run("train", "maxent-pg", "--num-envs", "0", "--out", d), "--num-envs: 0 is invalid")
        self.assertUsageError(run("train", "maxent-pg", "--alpha", "-1", "--out", d), "--alpha: -1 is invalid")
        self.assertUsageError(run("train", "maxent-pg", "--env", "Pendulum-v1", "--prior", "1", "--out", d), "prior")
        cfg = os.path.join(self.dir, "cfg.json")
        with open(cfg, "w") as f:
            json.dump({"algorithm": "sac", "sac": {}}, f)
        self.assertUsageError(run("train", "soft-q", "--config", cfg, "--out", d), "config \"algorithm\"")
        self.assertFalse(os.path.exists(d))


if __name__ == "__main__":
    cli_util.CAI = sys.argv.pop(1)
    unittest.main()
