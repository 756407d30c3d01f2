#!/usr/bin/env python3
"""A grid of SAC runs (seeds x learning rates) on Pendulum-v1 as Ray Tune trials.

Each trial trains ``cai.SAC`` on cai's C++ Pendulum and reports a metrics stream to Tune every
``--report-every`` environment steps: the returns of the episodes that ended since the last report,
the latest losses and ``num_timesteps``. Every ``--checkpoint-every`` steps the report carries a
checkpoint (``model.save``), so an interrupted sweep resumes where its trials stopped.

    python examples/python/tune_sac_seeds.py --steps 20000 --seeds 0,1,2,3,4 --lrs 3e-4,1e-3
    python examples/python/tune_sac_seeds.py --address auto ...   # join a running Ray cluster
    python examples/python/tune_sac_seeds.py --resume ~/ray_results/cai-sac-seeds

Needs ``pip install . "ray[tune]"`` (cai and Ray) on every node; see docs/python-ray.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from typing import Any, Dict, List, Optional

import ray
from ray import tune

# The Tune function-trainable API moved from ray.train to ray.tune in Ray 2.x (ray.tune.report,
# ray.tune.get_checkpoint, ray.tune.Checkpoint and ray.tune.RunConfig since about 2.40; earlier
# releases have them under ray.train / ray.air). Use the newest that this Ray has.
_report = getattr(tune, "report", None)
if _report is None or not callable(_report):  # pragma: no cover - old Ray
    from ray.train import report as _report  # type: ignore
_get_checkpoint = getattr(tune, "get_checkpoint", None)
if _get_checkpoint is None:  # pragma: no cover - old Ray
    from ray.train import get_checkpoint as _get_checkpoint  # type: ignore
Checkpoint = getattr(tune, "Checkpoint", None)
if Checkpoint is None:  # pragma: no cover - old Ray
    from ray.train import Checkpoint  # type: ignore
RunConfig = getattr(tune, "RunConfig", None)
CheckpointConfig = getattr(tune, "CheckpointConfig", None)
if RunConfig is None or CheckpointConfig is None:  # pragma: no cover - old Ray
    from ray.train import CheckpointConfig, RunConfig  # type: ignore

CHECKPOINT_FILE = "sac.safetensors"


def train_sac(config: Dict[str, Any]) -> None:
    """The Tune trainable: one SAC run, reporting every ``report_every`` steps.

    ``config``: ``seed``, ``learning_rate`` (actor, critic and temperature), ``steps``, ``env``,
    ``report_every``, ``checkpoint_every`` (0 = never), ``options`` (more ``cai.SAC`` options).
    """
    import cai  # imported in the worker process, which may be on another node

    env = config.get("env", "Pendulum-v1")
    steps = int(config["steps"])
    report_every = int(config.get("report_every", 1000))
    checkpoint_every = int(config.get("checkpoint_every", 0))
    lr = float(config["learning_rate"])
    options = dict(config.get("options", {}))
    options.update(actor_learning_rate=lr, critic_learning_rate=lr, temperature_learning_rate=lr)

    checkpoint = _get_checkpoint()
    if checkpoint is not None:  # resuming: continue from the last reported checkpoint
        with checkpoint.as_directory() as d:
            model = cai.SAC.load(os.path.join(d, CHECKPOINT_FILE))
    else:
        model = cai.SAC(env, seed=int(config["seed"]), **options)

    state = {"last_return": float("nan"), "episodes": 0, "next_checkpoint": _next_multiple(model.num_timesteps, checkpoint_every)}

    def report(model: Any, info: Dict[str, Any]) -> None:
        returns = info["episodes"]["return"]
        state["episodes"] += len(returns)
        if len(returns):
            state["last_return"] = float(returns[-1])
        metrics = {
            "num_timesteps": int(info["num_timesteps"]),
            "episodes_total": state["episodes"],
            "episodes_this_report": int(len(returns)),
            # Mean over the episodes that ended since the last report; the last finished episode's
            # return when none ended (NaN only before the first episode ends).
            "episode_return_mean": float(returns.mean()) if len(returns) else state["last_return"],
            "episode_return_last": state["last_return"],
        }
        # Losses and temperature as cai logs them ("losses/critic_loss", ...), with "/" -> "_" so
        # that Tune's flattened-dict keys and CSV columns stay unambiguous.
        for tag, value in info["scalars"].items():
            metrics[tag.replace("/", "_")] = float(value)
        due = checkpoint_every > 0 and model.num_timesteps >= state["next_checkpoint"]
        if due and model.trainer.can_checkpoint:
            with tempfile.TemporaryDirectory() as d:
                model.save(os.path.join(d, CHECKPOINT_FILE))
                _report(metrics, checkpoint=Checkpoint.from_directory(d))
            state["next_checkpoint"] = _next_multiple(model.num_timesteps, checkpoint_every)
        else:
            _report(metrics)

    remaining = steps - model.num_timesteps
    if remaining > 0:
        model.learn(remaining, callback=report, log_interval=report_every)


def _next_multiple(step: int, every: int) -> int:
    return (step // every + 1) * every if every > 0 else 2**62


def make_tuner(steps: int, seeds: List[int], learning_rates: List[float], *, report_every: int = 1000,
               checkpoint_every: int = 5000, cpus_per_trial: float = 1, storage_path: Optional[str] = None,
               name: str = "cai-sac-seeds", env: str = "Pendulum-v1",
               options: Optional[Dict[str, Any]] = None) -> tune.Tuner:
    """A Tuner over the grid seeds x learning_rates (one trial each, ``cpus_per_trial`` CPUs)."""
    param_space = {
        "env": env,
        "steps": int(steps),
        "report_every": int(report_every),
        "checkpoint_every": int(checkpoint_every),
        "seed": tune.grid_search([int(s) for s in seeds]),
        "learning_rate": tune.grid_search([float(lr) for lr in learning_rates]),
        "options": dict(options or {}),
    }
    trainable = tune.with_resources(train_sac, {"cpu": cpus_per_trial})
    run_config = RunConfig(
        name=name,
        storage_path=os.path.abspath(os.path.expanduser(storage_path)) if storage_path and "://" not in storage_path
        else storage_path,
        checkpoint_config=CheckpointConfig(num_to_keep=2),
        verbose=1,
    )
    return tune.Tuner(trainable, param_space=param_space, run_config=run_config)


def results_table(results: Any) -> str:
    """One line per trial: seed, learning rate, reports, steps, the last reported mean return."""
    lines = [f"{'seed':>4} {'lr':>8} {'reports':>7} {'steps':>7} {'return (last report)':>21} {'best report':>11}  status"]
    rows = []
    for r in results:
        df = r.metrics_dataframe
        n = 0 if df is None else len(df)
        last = r.metrics or {}
        best = float("nan") if df is None or "episode_return_mean" not in df else float(df["episode_return_mean"].max())
        rows.append((r.config["seed"], r.config["learning_rate"], n, last.get("num_timesteps", 0),
                     last.get("episode_return_mean", float("nan")), best, "ERROR" if r.error else "ok"))
    for seed, lr, n, steps, ret, best, status in sorted(rows):
        lines.append(f"{seed:>4} {lr:>8.1e} {n:>7} {steps:>7} {ret:>21.1f} {best:>11.1f}  {status}")
    finals = [row[4] for row in rows if math.isfinite(row[4])]
    if finals:
        mean = sum(finals) / len(finals)
        lines.append(f"mean of the last reported returns over {len(finals)} trials: {mean:.1f}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=20000, help="environment steps per trial")
    p.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (one grid axis)")
    p.add_argument("--lrs", default="3e-4", help="comma-separated learning rates (the other grid axis)")
    p.add_argument("--env", default="Pendulum-v1", help="one of cai.env_names() with continuous actions")
    p.add_argument("--report-every", type=int, default=1000, help="steps between reports to Tune")
    p.add_argument("--checkpoint-every", type=int, default=5000, help="steps between checkpoints (0 = none)")
    p.add_argument("--cpus-per-trial", type=float, default=1, help="CPUs Tune reserves for each trial")
    p.add_argument("--learning-starts", type=int, default=None, help="cai.SAC learning_starts")
    p.add_argument("--hidden", default=None, help="hidden sizes, e.g. 64,64 (default 256,256)")
    p.add_argument("--batch-size", type=int, default=None, help="cai.SAC batch_size")
    p.add_argument("--address", default=None,
                   help="Ray cluster to join ('auto' = the one started on this node with `ray start`); "
                        "default: a local Ray instance")
    p.add_argument("--storage-path", default=None,
                   help="where Tune writes results (default ~/ray_results; on a multi-node cluster a "
                        "directory every node sees, or s3://..., gs://...)")
    p.add_argument("--name", default="cai-sac-seeds", help="experiment name (a folder under the storage path)")
    p.add_argument("--resume", default=None, metavar="EXPERIMENT_DIR",
                   help="continue an interrupted sweep from its experiment directory")
    a = p.parse_args(argv)

    if not ray.is_initialized():  # a caller (a test, a notebook) may have started Ray already
        ray.init(address=a.address)
    if a.resume:
        tuner = tune.Tuner.restore(os.path.abspath(os.path.expanduser(a.resume)),
                                   trainable=tune.with_resources(train_sac, {"cpu": a.cpus_per_trial}),
                                   resume_errored=True)
    else:
        options: Dict[str, Any] = {}
        if a.learning_starts is not None:
            options["learning_starts"] = a.learning_starts
        if a.hidden is not None:
            options["hidden"] = [int(h) for h in a.hidden.split(",")]
        if a.batch_size is not None:
            options["batch_size"] = a.batch_size
        tuner = make_tuner(a.steps, [int(s) for s in a.seeds.split(",")], [float(x) for x in a.lrs.split(",")],
                           report_every=a.report_every, checkpoint_every=a.checkpoint_every,
                           cpus_per_trial=a.cpus_per_trial, storage_path=a.storage_path, name=a.name,
                           env=a.env, options=options)
    results = tuner.fit()
    print(results_table(results))
    print(f"results: {results.experiment_path}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
