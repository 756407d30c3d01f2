// A persistent pool of worker threads for data-parallel jobs (MPPI's rollouts, the soft Bellman
// sweeps): the threads are started once and wait between jobs, instead of being started per job.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace cai {

class ThreadPool {
 public:
  /// Most workers a pool starts (a job of n parts uses at most n - 1 of them besides the caller).
  static constexpr int kMaxWorkers = 1023;

  /// Starts `workers` threads now (0: none until a job needs them; clamped to kMaxWorkers).
  explicit ThreadPool(int workers = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Runs part(j) for j = 0 .. n-1 and returns when every part is done. The calling thread runs
  /// part 0 and worker i part i (i < n): a fixed assignment, so that a part always runs in the same
  /// order with the same data. Workers missing for the larger n are started and kept for later
  /// jobs; if the system refuses more threads, the participants take the remaining parts in turn
  /// (participant i runs i, i + P, i + 2P, ...). Jobs from different threads run one after the
  /// other; a part that starts a job on the same pool runs it inline. Rethrows the first exception
  /// a part threw, after every part has finished.
  template <class F>
  void Run(int n, F&& part) {
    using Part = std::remove_reference_t<F>;
    auto call = [](void* f, int j) { (*static_cast<Part*>(f))(j); };
    RunParts(n, call, const_cast<void*>(static_cast<const void*>(&part)));
  }

  /// Workers started so far.
  int workers() const;

  /// A process-wide pool for callers without one of their own (the soft Bellman sweeps); it grows
  /// to the largest job asked of it. A child process after fork() gets a fresh one.
  static ThreadPool& Shared();

 private:
  using PartFn = void (*)(void*, int);
  void RunParts(int n, PartFn fn, void* ctx);
  void Grow(int workers);  // with run_mu_ held
  void WorkerLoop(int index, std::uint64_t seen);  // seen: the job generation at its start
  void RunOwnParts(int index, int participants, PartFn fn, void* ctx, int n);

  std::mutex run_mu_;  // one job at a time
  mutable std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  std::vector<std::thread> threads_;
  std::uint64_t generation_ = 0;
  PartFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int n_ = 0;
  int participants_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace cai
