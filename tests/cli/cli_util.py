"""Shared pieces of the end-to-end CLI tests: running the binary, reading run directories, the
kill-then-resume check, and the one-line-error assertion. Each test script sets cli_util.CAI from
its first argument."""
import csv
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

CAI = None


def run(*args, timeout=300):
    return subprocess.run([CAI, *args], capture_output=True, text=True, timeout=timeout)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def metrics_without_clock(run_dir):
    """metrics.csv rows without wall_time and steps/s (the only fields allowed to differ)."""
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        return [(r["step"], r["tag"], r["value"]) for r in csv.DictReader(f) if r["tag"] != "charts/SPS"]


class CliTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def assertUsageError(self, result, fragment):
        self.assertEqual(result.returncode, 2, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr, got: {result.stderr!r}")
        self.assertIn(fragment, lines[0])
        self.assertTrue(lines[0].startswith("cai: error: "), lines[0])

    def assertKilledAfterFirstCheckpoint(self, cai_args, run_dir):
        """Runs `cai cai_args` and kills it with SIGKILL as soon as run_dir/checkpoint.safetensors exists."""
        p = subprocess.Popen([CAI, *cai_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        checkpoint = os.path.join(run_dir, "checkpoint.safetensors")
        deadline = time.time() + 120
        while not os.path.exists(checkpoint) and time.time() < deadline and p.poll() is None:
            time.sleep(0.001)
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.assertEqual(p.returncode, -signal.SIGKILL, "the run finished before it could be killed")

    def assertResumeAfterKillMatches(self, algorithm, args, fixed_flag):
        """Runs `cai train <algorithm> args` to the end, then again killed with SIGKILL right after
        its first checkpoint; `--resume` must then give the uninterrupted run's metrics, evaluation
        and policy bytes. `fixed_flag` (e.g. ["--steps", "10"]) must be refused with --resume."""
        ref = os.path.join(self.dir, f"{algorithm}-ref")
        r = run("train", algorithm, "--out", ref, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        killed = os.path.join(self.dir, f"{algorithm}-killed")
        self.assertKilledAfterFirstCheckpoint(["train", algorithm, "--out", killed, *args], killed)
        self.assertFalse(os.path.exists(os.path.join(killed, "eval.json")))
        self.assertUsageError(run("train", algorithm, "--resume", killed, *fixed_flag),
                              f"{fixed_flag[0]}: not allowed with --resume")
        r = run("train", algorithm, "--resume", killed, "--no-progress")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(read_json(os.path.join(killed, "eval.json"))["returns"],
                         read_json(os.path.join(ref, "eval.json"))["returns"])
        self.assertEqual(metrics_without_clock(killed), metrics_without_clock(ref))
        self.assertEqual(read_bytes(os.path.join(killed, "policy.safetensors")),
                         read_bytes(os.path.join(ref, "policy.safetensors")))
