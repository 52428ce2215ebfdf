// Runs a pure function over an index range on several threads. For crypto over a batch of rows
// inside a PostgreSQL backend (verifying the signatures of a multi-row statement, signing its
// chain links): the function must never call PostgreSQL (no palloc, no elog, no locks), since
// the server's code is single-threaded. The threads are started with every signal blocked, so
// the backend's signal handlers only ever run on the backend's own thread.
#pragma once

#include <cstddef>
#include <functional>

namespace mycelium {

// Calls fn(i) once for each i in [0, n), on at most max_threads threads (the caller's own
// among them), and returns when all calls have returned. Below min_per_thread items per thread
// fewer threads are used; a small n runs on the caller's thread alone. If a call throws, the
// other calls still run, and the first exception (by completion) is rethrown here. When no
// more threads can be started (a process or memory limit), those already running do the work.
void parallel_for(std::size_t n, unsigned max_threads, std::size_t min_per_thread,
                  const std::function<void(std::size_t)> &fn);

// The threads worth using for CPU-bound work: the CPUs this process may run on (1 if unknown).
unsigned usable_cpus();

} // namespace mycelium
