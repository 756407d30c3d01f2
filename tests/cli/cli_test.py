#!/usr/bin/env python3
"""End-to-end tests of the `cai` command line: outputs, JSON shapes, exit codes, one-line errors."""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

CAI = None
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def run(*args):
    return subprocess.run([CAI, *args], capture_output=True, text=True, timeout=120)


class CliTest(unittest.TestCase):
    def assertUsageError(self, result, fragment):
        self.assertEqual(result.returncode, 2, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr, got: {result.stderr!r}")
        self.assertIn(fragment, lines[0])
        self.assertTrue(lines[0].startswith("cai: error: "), lines[0])

    def test_examples_reproduce_the_lesson(self):
        r = run("examples")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1.3133 agrees", r.stdout)
        self.assertIn("0.7311 agrees", r.stdout)
        self.assertIn("2.408 agrees", r.stdout)
        rows = json.loads(run("examples", "--json").stdout)
        for row in rows:
            self.assertLess(abs(row["difference"]), 1e-12, row)

    def test_solve_json_discounted(self):
        r = run("solve", "--builtin", "two_action", "--temperature", "1", "--discount", "0.9", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        for key in ("V", "Q", "policy", "converged", "iterations", "residual"):
            self.assertIn(key, out)
        self.assertAlmostEqual(out["V"][0], math.log(math.e + 1), places=12)
        self.assertAlmostEqual(out["policy"][0][0], math.e / (math.e + 1), places=12)
        self.assertTrue(out["converged"])

    def test_solve_json_finite_horizon_has_a_time_index(self):
        r = run("solve", "--builtin", "gridworld", "--param", "width=3", "--param", "height=2",
                "--temperature", "0.5", "--horizon", "4", "--backup", "exact", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(len(out["V"]), 4)
        self.assertEqual(len(out["V"][0]), 6)
        self.assertEqual(len(out["Q"]), 4)
        self.assertEqual(len(out["Q"][0]), 6)
        self.assertEqual(len(out["Q"][0][0]), 4)
        self.assertEqual(len(out["policy"][3][5]), 4)

    def test_solve_file_and_priors(self):
        mdp = os.path.join(DATA, "issue_example.json")
        none = json.loads(run("solve", "--mdp", mdp, "--temperature", "1", "--discount", "0.9", "--json").stdout)
        uni = json.loads(run("solve", "--mdp", mdp, "--temperature", "1", "--discount", "0.9",
                             "--prior", "uniform", "--json").stdout)
        self.assertLess(uni["V"][0], none["V"][0])
        with tempfile.TemporaryDirectory() as d:
            prior = os.path.join(d, "prior.json")
            with open(prior, "w") as f:
                json.dump({"format": "cai.prior/1", "num_states": 2, "num_actions": 2,
                           "probabilities": [[0.5, 0.5], [0.5, 0.5]]}, f)
            tab = json.loads(run("solve", "--mdp", mdp, "--temperature", "1", "--discount", "0.9",
                                 "--prior", prior, "--json").stdout)
            self.assertAlmostEqual(tab["V"][0], uni["V"][0], places=12)
            with open(prior, "w") as f:
                json.dump({"format": "cai.prior/1", "num_states": 2, "num_actions": 2,
                           "probabilities": [[0.5, 0.6], [0.5, 0.5]]}, f)
            self.assertUsageError(run("solve", "--mdp", mdp, "--temperature", "1", "--discount", "0.9",
                                      "--prior", prior), "probabilities[0]: sums to 1.1")

    def test_bad_files_exit_2_with_one_line(self):
        self.assertUsageError(run("solve", "--mdp", "/nonexistent.json", "--temperature", "1", "--discount", "0.9"),
                              "/nonexistent.json: cannot open")
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.json")
            with open(bad, "w") as f:
                f.write('{"format": "cai.mdp/1", "num_states": 1,')
            self.assertUsageError(run("mdp", "--mdp", bad), "invalid JSON")
            with open(bad, "w") as f:
                json.dump({"format": "cai.mdp/1", "num_states": 2, "num_actions": 1, "rewards": [[0], [0]],
                           "transitions": [{"s": 0, "a": 0, "next": [[1, 1.2], [0, -0.2]]}]}, f)
            self.assertUsageError(run("solve", "--mdp", bad, "--temperature", "1", "--discount", "0.5"),
                                  "transitions[0].next[0]: probability 1.2 is greater than 1")

    def test_bad_flags_exit_2_with_one_line(self):
        self.assertUsageError(run("solve", "--builtin", "two_action", "--temperature", "-1", "--discount", "0.9"),
                              "temperature: -1 is invalid")
        self.assertUsageError(run("solve", "--builtin", "two_action", "--temperature", "1"),
                              "give --discount G")
        self.assertUsageError(run("solve", "--builtin", "two_action", "--temperature", "x", "--discount", "0.9"),
                              "--temperature")
        self.assertUsageError(run("solve", "--builtin", "two_action", "--temperature", "1", "--discount", "0.9",
                                  "--horizon", "3"), "excludes")
        self.assertUsageError(run("solve", "--builtin", "two_action", "--temperature", "1", "--discount", "0.9",
                                  "--backup", "optimistic"), "backup: \"optimistic\" is not a backup")
        self.assertUsageError(run("solve", "--builtin", "gridworld", "--param", "widht=3", "--temperature", "1",
                                  "--discount", "0.9"), "unknown parameter \"widht\"")
        self.assertUsageError(run("solve", "--builtin", "gridworld", "--param", "width", "--temperature", "1",
                                  "--discount", "0.9"), "is not of the form key=value")
        self.assertUsageError(run("solve", "--builtin", "chain", "--temperature", "1", "--discount", "1"),
                              "lies on a cycle")
        self.assertUsageError(run("solve", "--builtin", "two_action", "--temperature", "1", "--horizon", "0"),
                              "--horizon: 0 is invalid")
        self.assertUsageError(run("frobnicate"), "frobnicate")
        self.assertUsageError(run("solve", "--temperature", "1", "--discount", "0.5"), "no problem given")

    def test_not_converged_is_exit_1_with_a_warning(self):
        r = run("solve", "--builtin", "chain", "--temperature", "1", "--discount", "0.99", "--max-iterations", "3",
                "--json")
        self.assertEqual(r.returncode, 1)
        self.assertFalse(json.loads(r.stdout)["converged"])
        self.assertIn("not converged after 3 sweeps", r.stderr)

    def test_svg(self):
        with tempfile.TemporaryDirectory() as d:
            svg = os.path.join(d, "grid.svg")
            r = run("solve", "--builtin", "gridworld", "--temperature", "0.1", "--discount", "0.95",
                    "--svg", svg)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(svg) as f:
                text = f.read()
            self.assertTrue(text.startswith("<svg"))
            self.assertEqual(text.count("<rect x="), 25 + 20)  # cells + legend
            self.assertUsageError(run("solve", "--builtin", "chain", "--temperature", "1", "--discount", "0.9",
                                      "--svg", svg), "no grid layout")

    def test_mdp_validate_and_convert(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "g.json")
            r = run("mdp", "--builtin", "gridworld", "--param", "width=4", "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("valid cai.mdp/1: 20 states", r.stdout)
            a = run("solve", "--mdp", out, "--temperature", "0.3", "--discount", "0.9", "--json").stdout
            b = run("solve", "--builtin", "gridworld", "--param", "width=4", "--temperature", "0.3",
                    "--discount", "0.9", "--json").stdout
            self.assertEqual(json.loads(a)["V"], json.loads(b)["V"])
        self.assertIn("gridworld", run("mdp", "--list").stdout)

    def test_sample_is_deterministic_json_lines(self):
        args = ("sample", "--builtin", "gridworld", "--temperature", "0.1", "--discount", "0.95",
                "--episodes", "5", "--seed", "3")
        a, b = run(*args), run(*args)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        lines = a.stdout.strip().splitlines()
        self.assertEqual(len(lines), 5)
        for line in lines:
            tr = json.loads(line)
            self.assertEqual(len(tr["states"]), len(tr["actions"]))
        self.assertUsageError(run("sample", "--builtin", "gridworld", "--temperature", "0.1", "--discount", "0.9",
                                  "--episodes", "0"), "--episodes: 0 is invalid")

    def test_elbo_lesson_examples_json(self):
        r = run("elbo", "--x", "1", "--q-mean", "0.3", "--q-var", "1", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        for key in ("expected_loglik", "kl_prior", "elbo", "log_evidence", "gap", "kl_posterior",
                    "posterior_mean", "posterior_var"):
            self.assertIn(key, out)
        self.assertAlmostEqual(out["elbo"], -1.709, delta=5e-4)
        self.assertAlmostEqual(out["gap"], 0.193, delta=5e-4)
        self.assertAlmostEqual(out["gap"], out["kl_posterior"], delta=1e-12)
        self.assertAlmostEqual(out["posterior_mean"], 0.5, delta=1e-12)
        self.assertAlmostEqual(out["posterior_var"], 0.5, delta=1e-12)
        # The Monte Carlo estimates sit within 5 standard errors of the closed form.
        for name, est in out["monte_carlo"].items():
            self.assertLess(abs(est["elbo"] - out["elbo"]), 5 * est["standard_error"], name)
        out = json.loads(run("elbo", "--prior-var", "4", "--x", "2", "--q-mean", "1", "--q-var", "1.5",
                             "--json").stdout)
        self.assertAlmostEqual(out["expected_loglik"], -2.169, delta=5e-4)
        self.assertAlmostEqual(out["kl_prior"], 0.303, delta=5e-4)
        self.assertAlmostEqual(out["elbo"], -2.472, delta=5e-4)
        self.assertAlmostEqual(out["posterior_mean"], 1.6, delta=1e-12)
        self.assertAlmostEqual(out["posterior_var"], 0.8, delta=1e-12)
        self.assertAlmostEqual(out["gap"], 0.348, delta=5e-4)

    def test_elbo_fit_approaches_the_posterior(self):
        r = run("elbo", "--x", "1", "--q-mean", "0.3", "--q-var", "1", "--fit", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        trace = json.loads(r.stdout)["fit"]["trace"]
        self.assertGreater(len(trace), 5)
        self.assertLess(trace[-1]["kl_posterior"], 1e-3)
        self.assertLess(trace[-1]["kl_posterior"], trace[0]["kl_posterior"])
        text = run("elbo", "--heads", "7", "--flips", "10", "--prior-var", "4", "--fit", "--steps", "300")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn("quadrature", text.stdout)

    def test_elbo_bad_input(self):
        self.assertUsageError(run("elbo", "--x", "1", "--q-var", "-1"), "--q-var: -1 is invalid")
        self.assertUsageError(run("elbo", "--x", "1", "--prior-var", "0"), "--prior-var: 0 is invalid")
        self.assertUsageError(run("elbo", "--heads", "3", "--flips", "2"), "heads: 3 is invalid")
        self.assertUsageError(run("elbo", "--q-mean", "0"), "give --x")
        self.assertUsageError(run("elbo", "--x", "1", "--fit", "--estimator", "magic"), "magic")
        self.assertUsageError(run("elbo", "--x", "1", "--fit", "--steps", "0"), "steps: 0 is invalid")


if __name__ == "__main__":
    CAI = sys.argv.pop(1)
    unittest.main(verbosity=1)
