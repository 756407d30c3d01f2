"""Long C++ calls release the GIL: another Python thread keeps running while they work."""

import threading
import time

import cai


def count_while(fn):
    done = threading.Event()
    started = threading.Event()

    def work():
        started.set()
        fn()
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    count = 0
    t0 = time.perf_counter()
    while not done.is_set():
        count += 1
    elapsed = time.perf_counter() - t0
    t.join()
    return count, elapsed


def test_solver_releases_the_gil():
    mdp = cai.Mdp.builtin("gridworld", {"width": 100, "height": 100, "slip": 0.1})
    count, elapsed = count_while(lambda: cai.soft_value_iteration(mdp, temperature=1.0, discount=0.95,
                                                                  tolerance=1e-8))
    # With the GIL held for the whole solve this thread could not count at all until it returned.
    assert elapsed > 0.05 and count > 10000, (count, elapsed)


def test_training_releases_the_gil():
    model = cai.SAC("Pendulum-v1", seed=0, hidden=[32, 32], learning_starts=100)
    count, elapsed = count_while(lambda: model.learn(600, log_interval=600))
    assert elapsed > 0.05 and count > 10000, (count, elapsed)
