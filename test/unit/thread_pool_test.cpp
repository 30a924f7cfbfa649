// The session's thread pool, through its internal header: coverage of
// [0, count), the split into ranges, real parallelism, many calls in a row,
// and creating and destroying pools.
extern "C" {
#include "thread_pool.h"
}

#include <gtest/gtest.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

struct PoolDeleter {
  void operator()(kiln_thread_pool *pool) const {
    kiln_thread_pool_destroy(pool);
  }
};
using Pool = std::unique_ptr<kiln_thread_pool, PoolDeleter>;

Pool makePool(uint32_t threads) {
  kiln_thread_pool *pool = nullptr;
  kiln_error error{};
  EXPECT_EQ(kiln_thread_pool_create(threads, &pool, &error), KILN_OK)
      << error.message;
  return Pool(pool);
}

void run(kiln_thread_pool *pool, kiln_task_fn task, void *state,
         int64_t count) {
  kiln_parallel *parallel = kiln_thread_pool_parallel(pool);
  void *const args[1] = {state};
  parallel->run(parallel, task, args, count);
}

// What one run() saw: hits per index, the ranges and the threads.
struct Record {
  explicit Record(int64_t count) : hits(count) {}
  std::vector<std::atomic<int>> hits;
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::set<pthread_t> threads;
};

void recordTask(void *const *args, int64_t begin, int64_t end) {
  auto *r = static_cast<Record *>(args[0]);
  for (int64_t i = begin; i < end; ++i)
    r->hits[i].fetch_add(1);
  std::lock_guard<std::mutex> lock(r->mutex);
  r->ranges.emplace_back(begin, end);
  r->threads.insert(pthread_self());
}

TEST(ThreadPool, CoversEveryIndexOnce) {
  for (uint32_t threads : {1u, 2u, 3u, 4u, 8u}) {
    Pool pool = makePool(threads);
    ASSERT_TRUE(pool);
    for (int64_t count : {0, 1, 2, 3, 7, 1000}) {
      Record r(count);
      run(pool.get(), recordTask, &r, count);
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(r.hits[i].load(), 1)
            << "threads " << threads << " count " << count << " i " << i;
      // One range per chunk (4 per thread; one thread: one range), none
      // empty, disjoint (they cover [0, count) exactly once, and their
      // sizes add up to count).
      int64_t chunks = threads == 1 ? 1 : 4 * int64_t(threads);
      int64_t expected = count < chunks ? count : chunks;
      EXPECT_EQ(static_cast<int64_t>(r.ranges.size()), expected)
          << "threads " << threads << " count " << count;
      int64_t total = 0;
      for (auto [begin, end] : r.ranges) {
        EXPECT_LT(begin, end);
        total += end - begin;
      }
      EXPECT_EQ(total, count);
      // About equal: sizes differ by at most one.
      if (!r.ranges.empty()) {
        int64_t lo = INT64_MAX, hi = 0;
        for (auto [begin, end] : r.ranges) {
          lo = std::min(lo, end - begin);
          hi = std::max(hi, end - begin);
        }
        EXPECT_LE(hi - lo, 1);
      }
    }
  }
}

// A task that holds its thread until a second thread has entered one too
// (or 10 s pass): the caller's first chunk waits for a worker to claim
// another, so the test does not depend on how fast the workers wake.
void rendezvousTask(void *const *args, int64_t begin, int64_t end) {
  recordTask(args, begin, end);
  auto *r = static_cast<Record *>(args[0]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(r->mutex);
      if (r->threads.size() >= 2)
        return;
    }
    std::this_thread::yield();
  }
}

TEST(ThreadPool, RunsOnSeveralThreads) {
  for (uint32_t threads : {2u, 3u, 4u, 8u}) {
    Pool pool = makePool(threads);
    ASSERT_TRUE(pool);
    for (int64_t count : {2, 3, 1000}) {
      Record r(count);
      run(pool.get(), rendezvousTask, &r, count);
      EXPECT_GE(r.threads.size(), 2u)
          << "threads " << threads << " count " << count;
      EXPECT_EQ(r.threads.count(pthread_self()), 1u);
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(r.hits[i].load(), 1);
    }
  }
  // One thread, or one iteration: everything on the caller.
  Pool single = makePool(1);
  Record r(100);
  run(single.get(), recordTask, &r, 100);
  EXPECT_EQ(r.threads, std::set<pthread_t>{pthread_self()});
  Pool four = makePool(4);
  Record one(1);
  run(four.get(), recordTask, &one, 1);
  EXPECT_EQ(one.threads, std::set<pthread_t>{pthread_self()});
}

void sumTask(void *const *args, int64_t begin, int64_t end) {
  auto *sum = static_cast<std::atomic<int64_t> *>(args[0]);
  int64_t local = 0;
  for (int64_t i = begin; i < end; ++i)
    local += i + 1;
  sum->fetch_add(local);
}

// Many short calls in a row, as a model makes: a lost wake-up would hang,
// a lost range would show in the sum.
TEST(ThreadPool, ManyConsecutiveRuns) {
  for (uint32_t threads : {2u, 4u, 8u}) {
    Pool pool = makePool(threads);
    ASSERT_TRUE(pool);
    std::atomic<int64_t> sum{0};
    int64_t expected = 0;
    const int calls = 10000;
    for (int c = 0; c < calls; ++c) {
      int64_t count = 1 + c % 13; // fewer and more ranges than threads
      run(pool.get(), sumTask, &sum, count);
      expected += count * (count + 1) / 2;
    }
    EXPECT_EQ(sum.load(), expected) << "threads " << threads;
  }
}

// Pools come and go with sessions; some are destroyed right after a run,
// some before any.
TEST(ThreadPool, CreateAndDestroyMany) {
  for (int i = 0; i < 200; ++i) {
    Pool pool = makePool(1 + i % 8);
    ASSERT_TRUE(pool);
    if (i % 2) {
      std::atomic<int64_t> sum{0};
      run(pool.get(), sumTask, &sum, 100);
      EXPECT_EQ(sum.load(), 5050);
    }
  }
}

TEST(ThreadPool, ThreadCountBounds) {
  kiln_thread_pool *pool = nullptr;
  kiln_error error{};
  EXPECT_EQ(kiln_thread_pool_create(0, &pool, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(error.message, "thread pool of 0 threads: must be 1..256");
  EXPECT_EQ(pool, nullptr);
  EXPECT_EQ(kiln_thread_pool_create(KILN_MAX_THREADS + 1, &pool, &error),
            KILN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(pool, nullptr);
  kiln_thread_pool_destroy(nullptr);
}

} // namespace
