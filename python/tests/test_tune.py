"""The Ray Tune example (examples/python/tune_sac_seeds.py) on a local Ray cluster: a grid of SAC
seeds as Tune trials, each reporting a metrics stream, checkpointing and resuming."""

import math
import os
import sys

import pytest

ray = pytest.importorskip("ray")  # in the test requirements; the guard is for a bare `pytest`
tune = pytest.importorskip("ray.tune")

import cai  # noqa: E402  (the package under test: must import)

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples", "python")
EXAMPLES = os.path.abspath(EXAMPLES)
sys.path.insert(0, EXAMPLES)
import tune_sac_seeds  # noqa: E402

# Small networks and batches keep a trial under a few seconds; the code path is the full one.
OPTIONS = {"hidden": [32, 32], "batch_size": 32, "learning_starts": 100}
STEPS = 1000
REPORT_EVERY = 200  # Pendulum's episodes are 200 steps: every report sees one episode end
CHECKPOINT_EVERY = 400


@pytest.fixture(scope="module")
def local_ray():
    # Ray's worker processes import the trainable's module by name: let them find it (and cai, if
    # it is found through PYTHONPATH rather than installed).
    paths = [EXAMPLES, os.path.dirname(os.path.dirname(os.path.abspath(cai.__file__)))]
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + ([old] if old else []))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if old is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old


def _fit(tmp_path, seeds, lrs):
    tuner = tune_sac_seeds.make_tuner(STEPS, seeds, lrs, report_every=REPORT_EVERY, checkpoint_every=CHECKPOINT_EVERY,
                                      storage_path=str(tmp_path), name="sweep", options=OPTIONS)
    return tuner.fit()


def test_grid_of_seeds_reports_metrics_streams(local_ray, tmp_path):
    results = _fit(tmp_path, [0, 1], [3e-4])
    assert not results.errors, results.errors
    assert len(results) == 2
    streams = {}
    for r in results:
        df = r.metrics_dataframe
        assert df is not None and len(df) == STEPS // REPORT_EVERY, df
        steps = df["num_timesteps"].tolist()
        assert steps == [REPORT_EVERY * (i + 1) for i in range(len(steps))]
        returns = df["episode_return_mean"].tolist()
        assert all(math.isfinite(x) and -2000 < x <= 0 for x in returns), returns  # Pendulum's range
        assert df["episodes_this_report"].tolist() == [1] * len(steps)
        assert df["episodes_total"].tolist() == list(range(1, len(steps) + 1))
        losses = [c for c in df.columns if "loss" in c]
        assert losses, list(df.columns)
        for c in losses:  # learning starts at step 100, before the first report
            assert all(math.isfinite(x) for x in df[c].tolist()), (c, df[c].tolist())
        assert r.checkpoint is not None  # reported every CHECKPOINT_EVERY steps
        streams[r.config["seed"]] = returns
    assert sorted(streams) == [0, 1]
    assert streams[0] != streams[1]  # different seeds, different runs
    table = tune_sac_seeds.results_table(results)
    assert table.count("\n") >= 3 and "ok" in table


def test_trial_resumes_from_its_checkpoint(local_ray, tmp_path):
    """A trial restored from a checkpoint continues at that step, as the one uninterrupted run."""
    results = _fit(tmp_path, [3], [1e-3])
    assert not results.errors
    full = results[0].metrics_dataframe
    assert full["num_timesteps"].tolist()[-1] == STEPS
    with results[0].checkpoint.as_directory() as d:
        model = cai.SAC.load(os.path.join(d, tune_sac_seeds.CHECKPOINT_FILE))
    # The last checkpoint is kept (num_to_keep=2) at step 800: continuing it for 200 steps ends
    # the same episode with the same return as the uninterrupted trial.
    assert model.num_timesteps == 2 * CHECKPOINT_EVERY
    model.learn(STEPS - model.num_timesteps)
    assert model.num_timesteps == STEPS
    assert model.episode_returns[-1] == pytest.approx(full["episode_return_mean"].tolist()[-1], rel=1e-6)


def test_main_runs_the_cli(local_ray, tmp_path, capsys):
    code = tune_sac_seeds.main(["--steps", "400", "--seeds", "0", "--lrs", "3e-4", "--report-every", "200",
                                "--checkpoint-every", "0", "--hidden", "32,32", "--batch-size", "32",
                                "--storage-path", str(tmp_path), "--name", "cli"])
    out = capsys.readouterr().out
    assert code == 0
    assert "results:" in out and "mean of the last reported returns over 1 trials" in out
