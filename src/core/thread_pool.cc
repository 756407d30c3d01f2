#include "cai/core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define CAI_HAVE_PTHREAD_ATFORK 1
#endif

namespace cai {
namespace {

// The pool whose part this thread is running (a job started from inside a part runs inline).
thread_local const ThreadPool* t_running = nullptr;

struct RunningScope {
  const ThreadPool* before;
  explicit RunningScope(const ThreadPool* pool) : before(t_running) { t_running = pool; }
  ~RunningScope() { t_running = before; }
};

}  // namespace

ThreadPool::ThreadPool(int workers) {
  std::lock_guard run(run_mu_);
  Grow(workers);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

int ThreadPool::workers() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(threads_.size());
}

void ThreadPool::Grow(int workers) {
  workers = std::min(workers, kMaxWorkers);
  std::lock_guard lock(mu_);  // the workers read threads_ only through workers()
  try {
    while (static_cast<int>(threads_.size()) < workers) {
      const int index = static_cast<int>(threads_.size()) + 1;
      threads_.emplace_back([this, index, seen = generation_] { WorkerLoop(index, seen); });
    }
  } catch (const std::system_error&) {
    // No more threads: the participants share the parts (RunParts).
  }
}

void ThreadPool::RunOwnParts(int index, int participants, PartFn fn, void* ctx, int n) {
  const RunningScope scope(this);
  for (int j = index; j < n; j += participants) {
    try {
      fn(ctx, j);
    } catch (...) {
      std::lock_guard lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::WorkerLoop(int index, std::uint64_t seen) {
  for (;;) {
    PartFn fn;
    void* ctx;
    int n;
    int participants;
    {
      std::unique_lock lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      fn = fn_;
      ctx = ctx_;
      n = n_;
      participants = participants_;
    }
    if (index >= participants) continue;  // not needed for this job
    RunOwnParts(index, participants, fn, ctx, n);
    std::lock_guard lock(mu_);
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

void ThreadPool::RunParts(int n, PartFn fn, void* ctx) {
  if (n <= 0) return;
  if (n == 1 || t_running == this) {
    for (int j = 0; j < n; ++j) fn(ctx, j);
    return;
  }
  std::lock_guard run(run_mu_);
  Grow(n - 1);
  int participants;
  {
    std::lock_guard lock(mu_);
    participants = std::min(n, static_cast<int>(threads_.size()) + 1);
    fn_ = fn;
    ctx_ = ctx;
    n_ = n;
    participants_ = participants;
    pending_ = participants - 1;
    error_ = nullptr;
    ++generation_;
  }
  if (participants > 1) start_cv_.notify_all();
  RunOwnParts(0, participants, fn, ctx, n);
  std::exception_ptr error;
  {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

namespace {

// The shared pool, created on first use and never destroyed: its workers wait on it until the
// process ends, and no static destructor can run after it. After fork() the child has none of the
// parent's threads, so it starts over with a new pool (the old one is abandoned, untouched).
std::atomic<ThreadPool*> g_shared{nullptr};

#ifdef CAI_HAVE_PTHREAD_ATFORK
void ForgetSharedPoolInChild() { g_shared.store(nullptr, std::memory_order_relaxed); }
#endif

}  // namespace

ThreadPool& ThreadPool::Shared() {
  ThreadPool* pool = g_shared.load(std::memory_order_acquire);
  if (pool != nullptr) return *pool;
#ifdef CAI_HAVE_PTHREAD_ATFORK
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, ForgetSharedPoolInChild);
    return true;
  }();
  (void)registered;
#endif
  auto* fresh = new ThreadPool(0);
  if (g_shared.compare_exchange_strong(pool, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;  // another thread was first; `pool` holds its pool
  return *pool;
}

}  // namespace cai
