// The extension's GUCs (README, "Settings"); defined in _PG_init (src/module.cpp).
#pragma once

namespace mycelium::ext {

extern int push_interval_ms;       // mycelium.push_interval
extern int push_batch_size;        // mycelium.push_batch_size
extern char *push_worker_database; // mycelium.database
extern char *node_key_file;        // mycelium.node_key_file
extern int verify_threads;         // mycelium.verify_threads
extern int max_elected_shards;     // mycelium.max_elected_shards

// The threads a backend checks a batch's signatures with: mycelium.verify_threads, or the
// CPUs it may run on when that is 0.
unsigned verify_thread_count();

} // namespace mycelium::ext
