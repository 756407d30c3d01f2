#include "cai/core/thread_pool.h"

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cai {
namespace {

TEST(ThreadPool, RunsEveryPartOnceWithTheCallerOnPartZero) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.workers(), 3);
  for (int n : {1, 2, 4, 9}) {
    std::vector<int> runs(static_cast<std::size_t>(n), 0);
    std::vector<std::thread::id> ids(static_cast<std::size_t>(n));
    pool.Run(n, [&](int j) {
      ++runs[static_cast<std::size_t>(j)];
      ids[static_cast<std::size_t>(j)] = std::this_thread::get_id();
    });
    for (int r : runs) EXPECT_EQ(r, 1);
    EXPECT_EQ(ids[0], std::this_thread::get_id());
    if (n <= 4) {  // one part per thread
      EXPECT_EQ(std::set<std::thread::id>(ids.begin(), ids.end()).size(), static_cast<std::size_t>(n));
    }
  }
  EXPECT_EQ(pool.workers(), 8);  // grew for the job of 9 parts, and keeps them
}

TEST(ThreadPool, RethrowsAfterEveryPartFinished) {
  ThreadPool pool;
  std::atomic<int> done{0};
  EXPECT_THROW(pool.Run(4,
                        [&](int j) {
                          if (j == 2) throw std::runtime_error("part 2");
                          ++done;
                        }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 3);
  pool.Run(2, [&](int) { ++done; });  // still usable
  EXPECT_EQ(done.load(), 5);
}

TEST(ThreadPool, NestedJobsRunInlineAndTheSharedPoolServesSeveralCallers) {
  ThreadPool& shared = ThreadPool::Shared();
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&] {
      for (int rep = 0; rep < 20; ++rep) {
        shared.Run(3, [&](int) { shared.Run(2, [&](int) { ++total; }); });
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 3 * 20 * 3 * 2);
}

}  // namespace
}  // namespace cai
