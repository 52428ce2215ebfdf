// What the push worker is doing, in shared memory, so that any session of any database can see
// it (view mycelium.push_worker): which database it serves, whether the extension is there, when
// its last round ran and what it pushed. A worker that cannot do its job says so here and in the
// server log, instead of doing nothing silently. Needs shared_preload_libraries (the worker does).
#pragma once

#include <cstdint>

namespace mycelium::ext {

// The postmaster restarts an exited push worker after this many seconds (bgw_restart_time).
inline constexpr int kPushWorkerRestartSeconds = 5;

// _PG_init, while preloading: ask for the shared memory and hook its creation.
void install_push_worker_state();

// Called by the worker only; none of them can raise (spinlock, memcpy, clock).
void push_worker_started(const char *database);
// The connection to the started database succeeded: forgets earlier failures to connect.
void push_worker_connected();
void push_worker_round(bool extension_present, std::int64_t pushed);
// At exit. A worker that exits before push_worker_connected() could not connect (its FATAL is
// in the log): the failure is counted for that database, across the postmaster's restarts.
void push_worker_stopped();
// How many workers in a row failed to connect to `database` (0: none, or another database).
int push_worker_connect_failures(const char *database);

} // namespace mycelium::ext
