"""A first look at cai from Python: exact inference with NumPy, a Gymnasium environment, and SAC
trained, saved and reloaded in the style of Stable-Baselines3. Runs in well under a minute."""

import os
import sys
import tempfile

import gymnasium
import numpy as np

import cai

# 1. Exact soft value iteration on the lesson's two-action example, against its closed form.
two = cai.Mdp.builtin("two_action")
sol = cai.solve_finite_horizon(two, temperature=1.0, horizon=1)
print(f"two-action example: V = {sol.V[0, 0]:.4f} (closed form log(e + 1) = {np.log(np.e + 1):.4f}), "
      f"pi = {np.round(sol.policy[0, 0], 4)}")

# 2. A gridworld from NumPy arrays' point of view.
grid = cai.Mdp.builtin("gridworld", {"width": 5, "height": 5, "slip": 0.1})
sol = cai.soft_value_iteration(grid, temperature=0.05, discount=0.95, prior="uniform")
print(f"5 x 5 gridworld: converged in {sol.iterations} sweeps; V as a grid:\n"
      f"{np.round(sol.V.reshape(grid.grid_shape), 2)}")

# 3. The C++ Pendulum as a Gymnasium environment.
env = gymnasium.make("cai/Pendulum-v1")
obs, _ = env.reset(seed=0)
print(f"gymnasium.make('cai/Pendulum-v1'): obs {obs} ({obs.dtype})")

# 4. SAC on the C++ simulator, then saved, reloaded and evaluated.
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
model = cai.SAC("Pendulum-v1", seed=0, hidden=[64, 64], learning_starts=200)
model.learn(steps, log_interval=1000,
            callback=lambda m, info: print(f"  step {info['num_timesteps']}: episode returns "
                                           f"{np.round(info['episodes']['return'], 1).tolist()}"))
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "sac.safetensors")
    model.save(path)
    again = cai.SAC.load(path)
    action, _ = again.predict(obs, deterministic=True)
    print(f"reloaded after {again.num_timesteps} steps; action for the first observation: {action}")
print(f"deterministic evaluation: {model.evaluate(episodes=3)['mean_return']:.1f} "
      "(short training; `cai train sac` reaches about -150 in 10-20k steps)")

# 5. MPPI: planning as Monte Carlo inference through the model, closed loop from the hanging state.
from cai import planning  # noqa: E402

run = planning.run("Pendulum-v1", 200, samples=1000, horizon=30, seed=0)
print(f"MPPI swing-up: return {run['return']:.1f}, upright from step {run['steps_to_upright']}, "
      f"{np.median(run['ms_per_step']):.3f} ms per planning step")

# 6. Bad input is a ValueError naming the field.
try:
    cai.SAC("Pendulum-v1", batch_sise=64)
except ValueError as e:
    print(f"cai.CaiError: {e}")
