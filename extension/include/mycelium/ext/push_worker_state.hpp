// What the push worker is doing, in shared memory, so that any session of any database can see
// it (view mycelium.push_worker): which database it serves, whether the extension is there, when
// its last round ran and what it pushed. A worker that cannot do its job says so here and in the
// server log, instead of doing nothing silently. Needs shared_preload_libraries (the worker does).
#pragma once

#include <cstdint>

namespace mycelium::ext {

// _PG_init, while preloading: ask for the shared memory and hook its creation.
void install_push_worker_state();

// Called by the worker only; none of them can raise (spinlock, memcpy, clock).
void push_worker_started(const char *database);
void push_worker_round(bool extension_present, std::int64_t pushed);
void push_worker_stopped();

} // namespace mycelium::ext
