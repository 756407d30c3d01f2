#!/usr/bin/env python3
"""The Python module's overhead (issue #9): SAC on Pendulum-v1, in one run on one machine,

  cli      `cai train sac --env Pendulum-v1 --steps N --seed 0 --json`: its steps_per_second
  py-cpp   cai.SAC("Pendulum-v1", seed=0).learn(N): cai's C++ Pendulum, driven from Python
  py-gym   cai.SAC(gymnasium.make("Pendulum-v1"), seed=0).learn(N): Gymnasium's Python Pendulum
           stepped through the callback adapter
  sb3-1t   Stable-Baselines3 SAC("MlpPolicy", gymnasium.make("Pendulum-v1"), seed=0).learn(N),
           torch.set_num_threads(1)
  sb3      the same with PyTorch's default number of threads

with the same hyperparameters (SB3's SAC defaults, which are cai's: 256x256 ReLU, batch 256, Adam
3e-4, learning_starts 100, buffer 1e6, train_freq 1, gradient_steps 1, tau 0.005, gamma 0.99,
automatic temperature with target entropy -1). Every measurement is a fresh process and times the
training loop alone (no imports, construction or final evaluation), as the CLI's steps_per_second
does. Runs are interleaved (repeat 1 of every kind, then repeat 2, ...) so that a change in the
machine's load hits every kind alike; the median of the repeats is reported, with the 1-minute
load average before each run. Besides steps per wall-clock second, each run reports steps per
CPU-second (the process's user + system time over the same loop; the CLI's whole process, whose
start-up and 1-episode final evaluation take milliseconds): on a machine shared with other work,
wall time also counts the time spent waiting for a core, CPU time much less so.

    python bench/python_overhead.py --cli build/python-bench-venv/bin/cai \\
        --sb3-python build/sb3-venv/bin/python --cai-steps 20000 --sb3-steps 5000 --repeats 3

Run it with the Python that has cai installed (`pip install .`); bench/run_python_bench.sh makes
both virtual environments and runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

# SB3's SAC defaults spelled out (they are also cai's SAC defaults).
SB3_DEFAULTS = dict(learning_rate=3e-4, buffer_size=1_000_000, learning_starts=100, batch_size=256, tau=0.005,
                    gamma=0.99, train_freq=1, gradient_steps=1, ent_coef="auto", target_update_interval=1)


def worker(kind: str, steps: int, hidden: List[int], batch: int) -> Dict[str, Any]:
    """One timing in this process; prints nothing, returns {steps, seconds, ...}."""
    if kind in ("py-cpp", "py-gym"):
        import cai

        options = dict(hidden=hidden, batch_size=batch)
        if kind == "py-cpp":
            model = cai.SAC("Pendulum-v1", seed=0, **options)
        else:
            import gymnasium

            model = cai.SAC(gymnasium.make("Pendulum-v1"), seed=0, **options)
        c0, t0 = time.process_time(), time.perf_counter()
        model.learn(steps, log_interval=1000, finish_episode=False)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {"steps": model.num_timesteps, "seconds": seconds, "cpu_seconds": cpu, "cai_file": cai.__file__}
    if kind in ("sb3", "sb3-1t"):
        import gymnasium
        import stable_baselines3
        import torch
        from stable_baselines3 import SAC

        if kind == "sb3-1t":
            torch.set_num_threads(1)
        env = gymnasium.make("Pendulum-v1")
        model = SAC("MlpPolicy", env, seed=0, verbose=0, device="cpu",
                    policy_kwargs=dict(net_arch=list(hidden)), **dict(SB3_DEFAULTS, batch_size=batch))
        c0, t0 = time.process_time(), time.perf_counter()
        model.learn(steps)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {"steps": int(model.num_timesteps), "seconds": seconds, "cpu_seconds": cpu,
                "torch_threads": torch.get_num_threads(),
                "versions": f"stable-baselines3 {stable_baselines3.__version__}, torch {torch.__version__}, "
                            f"gymnasium {gymnasium.__version__}"}
    raise ValueError(kind)


def run_cli(cli: str, steps: int, hidden: List[int], batch: int) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        cmd = [cli, "train", "sac", "--env", "Pendulum-v1", "--steps", str(steps), "--seed", "0",
               "--hidden", ",".join(map(str, hidden)), "--batch", str(batch), "--out", os.path.join(d, "run"),
               "--eval-every", "0", "--checkpoint-every", "0", "--eval-episodes", "1", "--no-progress", "--json"]
        ru0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        process_seconds, ru1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    r = json.loads(out)
    # The whole process's CPU time (user + system): start-up and the final 1-episode evaluation
    # included, which at these step counts is a few milliseconds.
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {"steps": int(r["steps"]), "seconds": float(r["wall_seconds"]), "cpu_seconds": cpu,
            "process_seconds": process_seconds}


def run_worker(python: str, kind: str, steps: int, hidden: List[int], batch: int) -> Dict[str, Any]:
    cmd = [python, os.path.abspath(__file__), "--worker", kind, "--steps", str(steps),
           "--hidden", ",".join(map(str, hidden)), "--batch", str(batch)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    r["process_seconds"] = time.perf_counter() - t0
    return r


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cli", default=None, help="the cai binary (default: `cai` next to this Python, then on PATH)")
    p.add_argument("--sb3-python", default=os.environ.get("SB3_PYTHON"),
                   help="a Python with stable-baselines3, torch and gymnasium (default $SB3_PYTHON; none: skip SB3)")
    p.add_argument("--cai-steps", type=int, default=20000, help="steps of each cai run (cli, py-cpp, py-gym)")
    p.add_argument("--sb3-steps", type=int, default=5000, help="steps of each SB3 run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--hidden", default="256,256")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--kinds", default="cli,py-cpp,py-gym,sb3-1t,sb3", help="which measurements, comma-separated")
    p.add_argument("--json-out", default=None, help="also write every measurement here")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args()
    hidden = [int(h) for h in a.hidden.split(",")]

    if a.worker:
        print(json.dumps(worker(a.worker, a.steps, hidden, a.batch)))
        return 0

    cli = a.cli or shutil.which("cai", path=os.path.dirname(sys.executable)) or shutil.which("cai")
    kinds = [k for k in a.kinds.split(",") if k]
    if not a.sb3_python:
        kinds = [k for k in kinds if not k.startswith("sb3")]
    if "cli" in kinds and not cli:
        sys.exit("no `cai` binary: pass --cli (pip install . puts one next to the venv's python)")
    print(f"machine: {_cpu()} ({os.cpu_count()} logical CPUs); python {sys.version.split()[0]}")
    print(f"cli: {cli}; SB3 python: {a.sb3_python}; hidden {hidden}, batch {a.batch}; "
          f"cai {a.cai_steps} steps, SB3 {a.sb3_steps} steps per run; {a.repeats} repeats")
    results: Dict[str, List[Dict[str, Any]]] = {k: [] for k in kinds}
    for rep in range(a.repeats):
        for kind in kinds:
            load = os.getloadavg()[0]
            steps = a.sb3_steps if kind.startswith("sb3") else a.cai_steps
            if kind == "cli":
                r = run_cli(cli, steps, hidden, a.batch)
            else:
                r = run_worker(a.sb3_python if kind.startswith("sb3") else sys.executable, kind, steps, hidden, a.batch)
            r["load"] = load
            r["sps"] = r["steps"] / r["seconds"]
            r["steps_per_cpu_second"] = r["steps"] / r["cpu_seconds"]
            results[kind].append(r)
            print(f"  repeat {rep + 1} {kind:7s} {r['steps']:6d} steps {r['seconds']:8.2f} s {r['sps']:8.1f} steps/s"
                  f"  {r['steps_per_cpu_second']:8.1f} steps/CPU-s  (load before: {load:.2f})", flush=True)

    med = {k: statistics.median(r["sps"] for r in v) for k, v in results.items() if v}
    cpu_med = {k: statistics.median(r["steps_per_cpu_second"] for r in v) for k, v in results.items() if v}
    names = {"cli": "cai train (CLI), C++ Pendulum", "py-cpp": "cai.SAC from Python, C++ Pendulum",
             "py-gym": "cai.SAC from Python, Gymnasium's Pendulum", "sb3-1t": "SB3 SAC, torch 1 thread",
             "sb3": "SB3 SAC, torch default threads"}
    print()
    print("| run | steps per run | steps/s (median) | all repeats | steps per CPU-second (median) | load (1 min) |")
    print("|---|---|---|---|---|---|")
    for k in kinds:
        v = results[k]
        extra = f" ({v[0]['torch_threads']} threads)" if "torch_threads" in v[0] else ""
        sps = ", ".join(f"{r['sps']:.1f}" for r in v)
        loads = ", ".join(f"{r['load']:.1f}" for r in v)
        print(f"| {names[k]}{extra} | {v[0]['steps']} | {med[k]:.1f} | {sps} | {cpu_med[k]:.1f} | {loads} |")
    print()
    if "py-cpp" in med and "cli" in med:
        print(f"Python on C++ Pendulum / CLI: {med['py-cpp'] / med['cli']:.3f} in steps/s (goal >= 0.95), "
              f"{cpu_med['py-cpp'] / cpu_med['cli']:.3f} in steps per CPU-second")
    if "py-gym" in med and "cli" in med:
        print(f"Python on Gymnasium's Pendulum / CLI: {med['py-gym'] / med['cli']:.3f} in steps/s, "
              f"{cpu_med['py-gym'] / cpu_med['cli']:.3f} in steps per CPU-second")
    for k in ("sb3-1t", "sb3"):
        if "py-gym" in med and k in med:
            print(f"cai on Gymnasium's Pendulum / {names[k]}: {med['py-gym'] / med[k]:.1f}x in steps/s, "
                  f"{cpu_med['py-gym'] / cpu_med[k]:.1f}x in steps per CPU-second")
    if any(k.startswith("sb3") for k in results):
        print(f"SB3 side: {next(r for k, v in results.items() if k.startswith('sb3') for r in v)['versions']}")
    if a.json_out:
        with open(a.json_out, "w", encoding="utf-8") as f:
            json.dump({"medians": med, "cpu_medians": cpu_med, "runs": results}, f, indent=1)
    return 0


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
