"""Every field of every options list is a flag of its command, with the field's default in --help:
the fields are the keys a run writes to config.json (cai train) or the planner's options in the
summary (cai plan mppi); a flag is the field's name with '_' -> '-', or names the field in its
help ("(batch_size)", "(auto_temperature = false)")."""
import json
import os
import re
import sys
import unittest

import cli_util
from cli_util import run, read_json


def flags_of(*command):
    """{field: (flag, default text or None)} from `cai COMMAND --help`."""
    r = run(*command, "--help")
    assert r.returncode == 0, r.stderr
    entries, current = [], None
    for line in r.stdout.splitlines():
        m = re.match(r"^  (--[\w-]+)(?: (\S+?))?(?:=(\S+(?: \.\.\.)?))?(?:\s+(.*))?$", line)
        if m:
            current = [m.group(1), m.group(3), m.group(4) or ""]
            entries.append(current)
        elif current is not None and line.startswith("    "):
            current[2] += " " + line.strip()
    fields = {}
    for flag, default, help_text in entries:
        named = re.search(r"\((\w+)( = false)?\)\s*$", help_text)
        field = named.group(1) if named else flag[2:].replace("-", "_")
        fields[field] = (flag, default.removesuffix(" ...") if default else None)
    return fields


def same_default(text, value):
    if value is None or value == []:
        return text in (None, "none")
    if isinstance(value, bool):
        return text is None  # a flag without a value
    if isinstance(value, list):
        return [float(x) for x in text.split(",")] == [float(x) for x in value]
    if isinstance(value, (int, float)):
        return float(text) == float(value)
    return text == value


class OptionFlagsTest(cli_util.CliTestCase):
    def check(self, command, fields, given=(), not_flags=()):
        flags = flags_of(*command)
        for key, value in fields.items():
            if key in not_flags:
                continue
            with self.subTest(command=command, field=key):
                self.assertIn(key, flags, f"{key} has no flag in `cai {' '.join(command)} --help`")
                if key not in given:
                    flag, default = flags[key]
                    self.assertTrue(same_default(default, value), f"{flag}: default {default!r}, config {value!r}")

    def check_train(self, algorithm, section, args, given, not_flags=()):
        d = os.path.join(self.dir, algorithm)
        r = run("train", algorithm, "--out", d, "--no-progress", "--eval-episodes", "1", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check(("train", algorithm), read_json(os.path.join(d, "config.json"))[section], given, not_flags)

    def test_sac(self):
        self.check_train("sac", "sac", ["--steps", "1"], ())

    def test_soft_q(self):
        self.check_train("soft-q", "soft_q", ["--steps", "1"], ())

    def test_maxent_pg(self):
        self.check_train("maxent-pg", "actor_critic", ["--steps", "1"], ())

    def test_pets(self):
        self.check_train("pets", "pets", ["--episodes", "1", "--episode-length", "5", "--gradient-steps", "1"],
                         ("episode_length", "gradient_steps"), not_flags=("initial_state",))

    def test_plan_mppi(self):
        r = run("plan", "mppi", "--steps", "1", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        planner = {k: summary[k] for k in ("samples", "horizon", "temperature", "noise_std", "iterations", "threads",
                                           "seed", "energy_weight", "value_grid")}
        self.check(("plan", "mppi"), planner)


if __name__ == "__main__":
    cli_util.CAI = sys.argv.pop(1)
    unittest.main()
