#!/usr/bin/python3
"""NumPy/SciPy peer of bench_soft_vi: the same soft value iteration sweep, timed on the same problem.

Reads the CSR arrays that `bench_soft_vi --export_dir=DIR` wrote (raw little-endian binaries), builds
a scipy.sparse CSR matrix P of shape (S*A, S) and times the sweep

    Q = r + gamma * (P @ V)                         (variational backup)
    V' = m + T * log(sum_a exp((Q - m) / T)),  m = max_a Q   (counting-measure prior)
    residual = max |V' - V|

which is what one SoftValueIteration::Sweep() computes. It then checks that V after the exported
number of sweeps from V = 0 matches the C++ values, and prints seconds per sweep as JSON lines.

With --cpp-json (Google Benchmark's --benchmark_out file) it also prints the comparison table.

Run it with Debian's /usr/bin/python3 (python3-numpy, python3-scipy).
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import scipy
import scipy.sparse as sp


def load_problem(directory):
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    S, A = meta["num_states"], meta["num_actions"]

    def raw(name, dtype):
        return np.fromfile(os.path.join(directory, name), dtype=dtype)

    indptr = raw("row_offsets.i64", "<i8")
    indices = raw("next_states.i32", "<i4")
    data = raw("next_probabilities.f64", "<f8")
    rewards = raw("rewards.f64", "<f8")
    assert indptr.shape == (S * A + 1,) and indices.shape == data.shape == (meta["num_transitions"],)
    assert rewards.shape == (S * A,)
    P = sp.csr_matrix((data, indices, indptr), shape=(S * A, S))
    return meta, P, rewards


class SoftSweep:
    """One soft value iteration sweep with preallocated (S, A) and (S,) work arrays."""

    def __init__(self, P, rewards, num_actions, temperature, discount):
        self.P, self.r = P, rewards
        self.A, self.T, self.gamma = num_actions, temperature, discount
        S = P.shape[1]
        self.z = np.empty((S, num_actions))
        self.m = np.empty(S)
        self.s = np.empty(S)

    def __call__(self, v):
        """Returns (V', max |V' - V|)."""
        q = self.P @ v                                     # (S*A,) sparse matrix-vector product
        q *= self.gamma
        q += self.r                                        # Q = r + gamma P V, in place
        q = q.reshape(-1, self.A)                          # (S, A) row-major, like the C++ Q
        m = np.max(q, axis=1, out=self.m)
        if self.T == 0.0:
            v_new = m.copy()
        else:
            z = np.subtract(q, m[:, None], out=self.z)     # max-shifted log-sum-exp over actions
            z /= self.T
            np.exp(z, out=z)
            s = np.sum(z, axis=1, out=self.s)
            np.log(s, out=s)
            s *= self.T
            v_new = m + s
        return v_new, float(np.max(np.abs(v_new - v)))


def time_sweeps(sweep, v0, min_time=2.0, min_sweeps=5):
    """Median seconds per sweep over at least min_sweeps sweeps and min_time seconds."""
    v, _ = sweep(v0)  # warm up
    times = []
    start = time.perf_counter()
    while len(times) < min_sweeps or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        v, _ = sweep(v)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), len(times)


def read_google_benchmark(path):
    """{(kind, temperature or None, threads): (seconds, bytes_per_second)} from a --benchmark_out file.

    With repetitions, the median aggregate; without, the single run. Names look like
    Triad/threads:1/real_time and SoftViSweep/variational/T:0.1/threads:2/real_time.
    """
    with open(path) as f:
        doc = json.load(f)
    runs = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        parts = b.get("run_name", b["name"]).split("/")
        fields = dict(p.split(":", 1) for p in parts if ":" in p)
        if parts[0] == "Triad":
            key = ("triad", None, int(fields["threads"]))
        elif parts[0] == "SoftViSweep":
            key = (parts[1], float(fields["T"]), int(fields["threads"]))
        elif parts[0] == "RowPatternsBuild":
            key = ("build", None, 1)
        else:
            continue
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        runs[key] = (b["real_time"] * unit, b.get("bytes_per_second", float("nan")))
    return doc.get("context", {}), runs


def report(results, cpp_json_path):
    """Prints the C++ vs NumPy/SciPy comparison."""
    context, runs = read_google_benchmark(cpp_json_path)
    triad = {t: bw for (kind, _, t), (_, bw) in runs.items() if kind == "triad"}
    print()
    print("=== soft value iteration sweep: %s ===" % results["problem"])
    print("machine: %s, %s CPUs; cai: %s; %s" % (
        results["cpu"], context.get("num_cpus", "?"), results["cai_build"], results["versions"]))
    for t, bw in sorted(triad.items()):
        print("triad bandwidth, %d thread%s: %6.2f GB/s  (a = b + s c, 3 x 8 bytes per element)" %
              (t, "" if t == 1 else "s", bw / 1e9))
    print("bytes per sweep (byte models in bench/README.md): %.1f MB for the sweep of "
          "SoftValueIteration (row patterns, Q not stored), %.1f MB for the plain CSR sweep" %
          (results["sweep_bytes"] / 1e6, results["csr_sweep_bytes"] / 1e6))
    print("vector level of the fast path: %s" % context.get("cai_simd", "?"))
    for peer in results["peer"]:
        temperature = peer["temperature"]
        print("-- variational backup, temperature %g, discount %g, counting-measure prior --" %
              (temperature, results["discount"]))
        print("  %-18s %9.4f s/sweep   (max |V_numpy - V_cai| after %d sweeps from 0: %.3g)" %
              ("NumPy/SciPy", peer["seconds_per_sweep"], results["export_sweeps"],
               peer["max_abs_diff"]))
        for label, wanted in (("cai", "variational"), ("cai, CSR", "variational-csr")):
            for (kind, temp, threads), (seconds, bw) in sorted(runs.items(), key=lambda r: r[0][2]):
                if kind != wanted or temp != temperature:
                    continue
                print("  %-18s %9.4f s/sweep  %5.1fx NumPy/SciPy  %6.2f GB/s effective = %.2f x triad"
                      " (%d thread%s)" % (
                          "%s, %d thread%s" % (label, threads, "" if threads == 1 else "s"), seconds,
                          peer["seconds_per_sweep"] / seconds, bw / 1e9,
                          bw / triad.get(threads, float("nan")), threads, "" if threads == 1 else "s"))
    for (kind, temp, threads), (seconds, _) in sorted(runs.items(), key=lambda r: r[0][2]):
        if kind == "exact":
            print("(for reference: exact backup, temperature %g, cai, %d thread: %.4f s/sweep)" %
                  (temp, threads, seconds))
        if kind == "build":
            print("(one-time cost: row and state patterns of this MDP built in %.4f s)" % seconds)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export_dir", help="directory written by bench_soft_vi --export_dir")
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds of timing per temperature")
    ap.add_argument("--cpp-json", help="Google Benchmark JSON output of bench_soft_vi to compare with")
    ap.add_argument("--cai-build", default="?", help="how bench_soft_vi was built (for the report)")
    args = ap.parse_args()

    meta, P, rewards = load_problem(args.export_dir)
    S, A = meta["num_states"], meta["num_actions"]
    versions = "numpy %s, scipy %s, python %s" % (np.__version__, scipy.__version__,
                                                   platform.python_version())
    results = {"problem": "%d x %d gridworld, slip %g: %d states, %d actions, %d transitions" %
                          (meta["width"], meta["height"], meta["slip"], S, A, meta["num_transitions"]),
               "discount": meta["discount"], "export_sweeps": meta["export_sweeps"],
               "sweep_bytes": meta["sweep_bytes"], "csr_sweep_bytes": meta["csr_sweep_bytes"],
               "peer": [], "versions": versions,
               "cpu": cpu_model(), "cai_build": args.cai_build}
    print("%s; P: scipy.sparse %s matrix %d x %d, %d nonzeros, index dtype %s" %
          (versions, P.format, P.shape[0], P.shape[1], P.nnz, P.indices.dtype))
    for i, temperature in enumerate(meta["temperatures"]):
        sweep = SoftSweep(P, rewards, A, temperature, meta["discount"])
        v = np.zeros(S)
        for _ in range(meta["export_sweeps"]):
            v, _ = sweep(v)
        v_cpp = np.fromfile(os.path.join(args.export_dir, "values_%d.f64" % i), dtype="<f8")
        diff = float(np.max(np.abs(v - v_cpp)))
        seconds, n = time_sweeps(sweep, np.zeros(S), min_time=args.min_time)
        entry = {"temperature": temperature, "seconds_per_sweep": seconds, "sweeps_timed": n,
                 "max_abs_diff": diff}
        results["peer"].append(entry)
        print(json.dumps({"peer": "numpy_scipy", **entry}))
        if not diff <= 1e-9:
            print("peer_numpy_soft_vi: V differs from the C++ values by %g" % diff, file=sys.stderr)
            return 1
    if args.cpp_json:
        report(results, args.cpp_json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
