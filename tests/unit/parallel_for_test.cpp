// parallel_for: every index exactly once, on several threads when there is enough work, the
// caller's signal mask untouched, worker threads with every signal blocked, failures rethrown.
#include "mycelium/parallel_for.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <signal.h>
#include <stdexcept>
#include <thread>
#include <vector>

using mycelium::parallel_for;

TEST(ParallelFor, CallsEveryIndexExactlyOnce) {
  std::vector<std::atomic<int>> calls(10007);
  parallel_for(calls.size(), 4, 16, [&](std::size_t i) { calls[i].fetch_add(1); });
  for (std::size_t i = 0; i < calls.size(); ++i)
    ASSERT_EQ(calls[i].load(), 1) << "index " << i;
}

TEST(ParallelFor, UsesSeveralThreadsForEnoughWork) {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  // Each call takes a while (100 ms in all), so the helpers start before the caller's thread
  // could take every item itself, even on a loaded machine.
  parallel_for(1000, 4, 16, [&](std::size_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    const std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_GT(threads.size(), 1u);
  EXPECT_LE(threads.size(), 4u);
  EXPECT_TRUE(threads.count(std::this_thread::get_id())) << "the caller takes a share";
}

TEST(ParallelFor, SmallWorkStaysOnTheCallersThread) {
  std::set<std::thread::id> threads;
  parallel_for(15, 4, 16, [&](std::size_t) { threads.insert(std::this_thread::get_id()); });
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
  parallel_for(0, 4, 16, [&](std::size_t) { FAIL() << "no index to call"; });
}

TEST(ParallelFor, WorkersBlockEverySignalAndTheCallersMaskIsKept) {
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  std::atomic<int> unblocked_on_workers{0};
  std::atomic<int> calls_on_workers{0};
  const std::thread::id caller = std::this_thread::get_id();
  parallel_for(1000, 4, 16, [&](std::size_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (std::this_thread::get_id() == caller)
      return;
    calls_on_workers.fetch_add(1);
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    if (!sigismember(&mask, SIGINT) || !sigismember(&mask, SIGTERM) || !sigismember(&mask, SIGUSR1))
      unblocked_on_workers.fetch_add(1);
  });
  EXPECT_GT(calls_on_workers.load(), 0);
  EXPECT_EQ(unblocked_on_workers.load(), 0);
  sigset_t after;
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  for (int signal : {SIGINT, SIGTERM, SIGUSR1, SIGALRM})
    EXPECT_EQ(sigismember(&before, signal), sigismember(&after, signal)) << "signal " << signal;
}

TEST(ParallelFor, RethrowsAFailureAfterEveryOtherCall) {
  std::atomic<int> calls{0};
  EXPECT_THROW(parallel_for(1000, 4, 16,
                            [&](std::size_t i) {
                              calls.fetch_add(1);
                              if (i == 500)
                                throw std::runtime_error("item 500");
                            }),
               std::runtime_error);
  EXPECT_EQ(calls.load(), 1000);
}
