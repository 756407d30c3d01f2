"""Files cross the language boundary both ways: runs and policies written by the `cai` command load
in Python, policies saved from Python run under `cai eval`, and the networks load with the
safetensors package (NumPy here; PyTorch where it is installed)."""

import json
import subprocess

import numpy as np
import pytest
from safetensors.numpy import load_file

import cai

SMALL = ["--hidden", "32,32", "--learning-starts", "100", "--batch", "64"]


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout


def test_cli_run_loads_in_python(cai_cli, tmp_path):
    out = tmp_path / "run"
    run([cai_cli, "train", "sac", "--env", "Pendulum-v1", "--steps", "400", "--seed", "2", "--out", str(out),
         "--no-progress", "--eval-episodes", "2", "--checkpoint-every", "200", "--json", *SMALL])
    policy = cai.load_policy(str(out))
    assert (policy.env, policy.algorithm) == ("Pendulum-v1", "sac")
    # A run ends with a checkpoint (so a finished run can be extended): the 400-step run's is at 400.
    assert cai.SAC.load(out).num_timesteps == 400
    half = tmp_path / "half"
    run([cai_cli, "train", "sac", "--env", "Pendulum-v1", "--steps", "200", "--seed", "2", "--out", str(half),
         "--no-progress", "--eval-episodes", "2", "--checkpoint-every", "200", "--json", *SMALL])
    model = cai.SAC.load(half)  # the 200-step run's last checkpoint, as `cai train --resume` reads it
    assert model.num_timesteps == 200
    model.learn(200)  # continued in Python: the same network as the CLI's uninterrupted 400-step run
    obs = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    np.testing.assert_array_equal(policy.act(obs), model.predict(obs, deterministic=True)[0])
    cli_eval = json.loads(run([cai_cli, "eval", str(out), "--episodes", "3", "--json"]))
    py_eval = policy.evaluate(episodes=3)
    assert cli_eval["returns"] == py_eval["returns"].tolist()


def test_python_policy_runs_under_cai_eval(cai_cli, tmp_path):
    model = cai.SoftDQN("CartPole-v1", seed=0, hidden=[32], learning_starts=200).learn(600)
    path = tmp_path / "policy.safetensors"
    model.save_policy(path)
    cli_eval = json.loads(run([cai_cli, "eval", str(path), "--episodes", "3", "--seed", "5", "--json"]))
    assert cli_eval["returns"] == model.evaluate(episodes=3, seed=5)["returns"].tolist()


def test_python_run_directory_matches_cli(cai_cli, tmp_path):
    py = cai.train("sac", "Pendulum-v1", 400, tmp_path / "py", seed=3, eval_episodes=2, checkpoint_interval=200,
                   hidden=[32, 32],
                   learning_starts=100, batch_size=64)
    cli = json.loads(run([cai_cli, "train", "sac", "--env", "Pendulum-v1", "--steps", "400", "--seed", "3",
                          "--out", str(tmp_path / "cli"), "--no-progress", "--eval-episodes", "2", "--checkpoint-every", "200",
                          "--json", *SMALL]))
    # Same code, same seed: the same final evaluation to the last bit.
    assert (py["mean_return"], py["std_return"]) == (cli["eval_mean_return"], cli["eval_std_return"])
    for name in ("config.json", "metrics.csv", "policy.safetensors", "eval.json", "checkpoint.safetensors"):
        assert (tmp_path / "py" / name).exists(), name
    resumed = cai.train("sac", "Pendulum-v1", 400, tmp_path / "py", resume=True)
    assert resumed["steps"] == 400


def mlp_forward(tensors, prefix, x, activation):
    layers = sorted({int(k.split(".")[1]) for k in tensors if k.startswith(prefix + ".")})
    for i, l in enumerate(layers):
        x = x @ tensors[f"{prefix}.{l}.weight"].T + tensors[f"{prefix}.{l}.bias"]
        if i + 1 < len(layers):
            x = activation(x)
    return x


def test_sac_actor_in_numpy_and_pytorch(tmp_path):
    model = cai.SAC("Pendulum-v1", seed=0, **dict(hidden=[32, 32], learning_starts=100, batch_size=64)).learn(400)
    path = tmp_path / "policy.safetensors"
    model.save_policy(path)
    tensors = load_file(str(path))
    obs = np.random.default_rng(2).normal(size=(10, 3)).astype(np.float32)
    out = mlp_forward(tensors, "actor", obs, lambda v: np.maximum(v, 0))
    mean = out[:, :1]
    expected = -2.0 + (np.tanh(mean) + 1.0) / 2.0 * 4.0  # squashed mean rescaled to [-2, 2]
    np.testing.assert_allclose(model.predict(obs, deterministic=True)[0], expected, rtol=1e-5, atol=1e-5)
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as load_torch

    state = load_torch(str(path))
    net = torch.nn.Sequential(torch.nn.Linear(3, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(),
                              torch.nn.Linear(32, 2))
    net.load_state_dict({f"{2 * int(k.split('.')[1])}.{k.split('.')[2]}": v for k, v in state.items()})
    with torch.no_grad():
        t_out = net(torch.from_numpy(obs)).numpy()
    np.testing.assert_allclose(t_out, out, rtol=1e-5, atol=1e-5)
