// Progress of initial copies (add_replica), in shared memory so that other sessions can watch
// it (view mycelium.replica_copy_progress). Needs the library in shared_preload_libraries;
// without it the view is empty and copies run as usual.
#pragma once

#include <cstdint>
#include <string>

namespace mycelium::ext {

// _PG_init, while preloading: ask for the shared memory and hook its creation.
void install_copy_progress();

// This backend's copy: begin claims a slot, update moves it, end (or the end of the
// transaction, whatever its outcome) releases it. None of them can raise (spinlock, copy, clock).
void copy_progress_begin(const std::string &shard_id, const std::string &node_id,
                         std::int64_t total);
void copy_progress_update(std::int64_t copied);
void copy_progress_end();

} // namespace mycelium::ext
