"""Long C++ calls release the GIL: another Python thread keeps running while they work."""

import threading
import time

import cai


def count_while(fn):
    """Runs fn on a worker thread; returns how often this thread spun a loop meanwhile, and how long fn took."""
    done = threading.Event()
    started = threading.Event()
    duration = []

    def work():
        started.set()
        t0 = time.perf_counter()
        fn()
        duration.append(time.perf_counter() - t0)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    count = 0
    while not done.is_set():
        count += 1
    t.join()
    return count, duration[0]


def assert_main_thread_kept_running(fn):
    # Reference: the loop's rate while the worker merely sleeps (time.sleep releases the GIL).
    base_count, base_elapsed = count_while(lambda: time.sleep(0.2))
    base_rate = base_count / base_elapsed
    count, elapsed = count_while(fn)
    # The call must be long enough to tell the cases apart: with the GIL held for the whole call this
    # thread would get at most a switch interval (5 ms) of it, under 3% of the reference rate; with the
    # GIL released it runs at the reference rate, or about a third of it when the call's own threads
    # share the two cores.
    assert elapsed > 0.2, f"the call took {elapsed:.3f} s; make it longer for the test to mean anything"
    assert count / elapsed > 0.1 * base_rate, (count, elapsed, base_rate)


def test_solver_releases_the_gil():
    mdp = cai.Mdp.builtin("gridworld", {"width": 200, "height": 200, "slip": 0.1})
    assert_main_thread_kept_running(
        lambda: cai.soft_value_iteration(mdp, temperature=1.0, discount=0.99, tolerance=1e-10))


def test_training_releases_the_gil():
    model = cai.SAC("Pendulum-v1", seed=0, hidden=[32, 32], learning_starts=100)
    assert_main_thread_kept_running(lambda: model.learn(2000, log_interval=2000))
