"""Peer for bench/run_irl_bench.sh: one MCE IRL gradient evaluation with the `imitation` library's
tabular code (imitation.algorithms.mce_irl: mce_partition_fh + mce_occupancy_measures, dense
NumPy), on the MDP, features and theta that bench_irl dumped.

Usage: python peer_imitation_mce.py DUMP_DIR REPEATS
Prints one JSON line: median seconds per evaluation and the largest difference between imitation's
expected feature counts and ours (sum over t < T of the state marginals, times the features).
"""
import json
import sys
import time
import types

import numpy as np
from imitation.algorithms import mce_irl


def main():
    dump, repeats = sys.argv[1], int(sys.argv[2])
    with open(f"{dump}/mdp.json") as f:
        mdp = json.load(f)
    with open(f"{dump}/features.json") as f:
        feats = json.load(f)
    with open(f"{dump}/ours.json") as f:
        ours = json.load(f)
    S, A = mdp["num_states"], mdp["num_actions"]
    T = np.zeros((S, A, S))
    for tr in mdp["transitions"]:
        for s2, p in tr["next"]:
            T[tr["s"], tr["a"], s2] += p
    F = np.array(feats["values"], dtype=np.float64)  # S x K state features
    theta = np.array(ours["theta"])
    horizon = ours["horizon"]
    env = types.SimpleNamespace(
        horizon=horizon, state_dim=S, action_dim=A, transition_matrix=T,
        reward_matrix=F @ theta, initial_state_dist=np.array(ours["start_distribution"]))

    def gradient_evaluation():
        reward = F @ theta  # the reward for the current theta, as MCEIRL's step computes it
        D, _ = mce_irl.mce_occupancy_measures(env, reward=reward)  # backward + forward
        return D[:horizon].sum(axis=0) @ F  # expected feature counts over the T decisions

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        mu = gradient_evaluation()
        times.append(time.perf_counter() - t0)
    diff = float(np.max(np.abs(mu - np.array(ours["expected_features"]))))
    print(json.dumps({"peer": "imitation.algorithms.mce_irl", "states": S, "actions": A,
                      "horizon": horizon, "repeats": repeats,
                      "median_seconds": float(np.median(times)), "min_seconds": float(min(times)),
                      "max_abs_feature_difference_vs_cai": diff}))


if __name__ == "__main__":
    main()
