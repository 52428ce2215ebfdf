#include "mycelium/parallel_for.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <sched.h>
#include <signal.h>
#include <system_error>
#include <thread>
#include <vector>

namespace mycelium {

namespace {

// Blocks every signal on this thread for its lifetime, so that threads started meanwhile
// inherit a full mask; the caller's mask is restored afterwards.
class SignalsBlocked {
public:
  SignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalsBlocked(const SignalsBlocked &) = delete;
  SignalsBlocked &operator=(const SignalsBlocked &) = delete;

private:
  sigset_t saved_;
};

} // namespace

unsigned usable_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(std::size_t n, unsigned max_threads, std::size_t min_per_thread,
                  const std::function<void(std::size_t)> &fn) {
  const std::size_t per_thread = std::max<std::size_t>(1, min_per_thread);
  const std::size_t threads =
      std::max<std::size_t>(1, std::min<std::size_t>(max_threads, n / per_thread));
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i)
      fn(i);
    return;
  }

  // Items are taken a chunk at a time from a shared counter, so a slow thread takes fewer.
  const std::size_t chunk = std::max<std::size_t>(1, n / (threads * 8));
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  const auto work = [&] {
    for (;;) {
      const std::size_t begin = next.fetch_add(chunk);
      if (begin >= n)
        return;
      const std::size_t end = std::min(n, begin + chunk);
      for (std::size_t i = begin; i < end; ++i) {
        try {
          fn(i);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure)
            failure = std::current_exception();
        }
      }
    }
  };

  // Joined whatever happens: a std::thread destroyed while joinable ends the process.
  struct Helpers {
    std::vector<std::thread> threads;
    ~Helpers() {
      for (std::thread &thread : threads)
        if (thread.joinable())
          thread.join();
    }
  } helpers;
  helpers.threads.reserve(threads - 1);
  {
    const SignalsBlocked blocked;
    for (std::size_t t = 1; t < threads; ++t) {
      try {
        helpers.threads.emplace_back(work);
      } catch (const std::system_error &) {
        break; // no more threads to be had (a process or memory limit): fewer do the work
      }
    }
  }
  work(); // the caller's share, with its own signal mask
  for (std::thread &helper : helpers.threads)
    helper.join();
  if (failure)
    std::rethrow_exception(failure);
}

} // namespace mycelium
