// Module entry: magic block, settings, shared memory, the push worker's registration, and the
// library version.
#include "mycelium/ext/consensus_leases.hpp"
#include "mycelium/ext/copy_progress.hpp"
#include "mycelium/ext/settings.hpp"
#include "mycelium/parallel_for.hpp"
#include "mycelium/ext/push_worker_state.hpp"
#include "mycelium/pg/datum.hpp"

extern "C" {
#include "postmaster/bgworker.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace mycelium::ext {
int push_interval_ms = 1000;
int push_batch_size = 500;
char *push_worker_database = nullptr;
char *node_key_file = nullptr;
int verify_threads = 0;
int max_elected_shards = 8192;

unsigned verify_thread_count() {
  return verify_threads > 0 ? static_cast<unsigned>(verify_threads) : usable_cpus();
}
} // namespace mycelium::ext

// Plain C in effect: no C++ object is alive here, so what PostgreSQL raises needs no guard.
void _PG_init(void) {
  using namespace mycelium::ext;
  DefineCustomIntVariable("mycelium.push_interval",
                          "Time between the push worker's rounds (pushes to replicas).", nullptr,
                          &push_interval_ms, 1000, 10, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS,
                          nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "mycelium.push_batch_size", "Audit entries sent to a replica per statement.", nullptr,
      &push_batch_size, 500, 1, 100000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable(
      "mycelium.database",
      "Database in which the push worker runs (with the extension); a reload with a new value "
      "restarts the worker there.",
      nullptr, &push_worker_database, "postgres", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  // PGC_SIGHUP: the node's identity is the server's, not a session's; only postgresql.conf or
  // ALTER SYSTEM set it. GUC_SUPERUSER_ONLY: where the secret lives is nobody else's business.
  DefineCustomStringVariable(
      "mycelium.node_key_file",
      "Key file of this node (mycelium keygen): its audit entries and replica control messages "
      "are signed with it. Relative paths are relative to the data directory.",
      nullptr, &node_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  // PGC_SUSET: every backend's flush starts this many threads at once; only a superuser may let
  // one session take more than its share of the machine.
  DefineCustomIntVariable("mycelium.verify_threads",
                          "Threads a backend checks the signatures of a statement's rows with "
                          "(0: one per CPU it may run on; 1: none besides its own).",
                          nullptr, &verify_threads, 0, 0, 64, PGC_SUSET, 0, nullptr, nullptr,
                          nullptr);
  // PGC_POSTMASTER: it sizes a block of shared memory, made once at start. Such a setting can
  // be defined only while preloading: a backend loading the library later (no
  // shared_preload_libraries) would fail with "cannot create PGC_POSTMASTER variables after
  // startup", and with it CREATE EXTENSION. Without preloading there is no lease table anyway.
  if (process_shared_preload_libraries_in_progress)
    DefineCustomIntVariable("mycelium.max_elected_shards",
                            "Elected shards whose leases this server can hold (all databases "
                            "together): the size of the lease table in shared memory.",
                            nullptr, &max_elected_shards, 8192, 1, 262144, PGC_POSTMASTER, 0,
                            nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("mycelium");

  // The worker exists only when the library is preloaded; push_now() works either way.
  if (!process_shared_preload_libraries_in_progress)
    return;
  install_copy_progress();
  install_push_worker_state();
  install_consensus_leases();
  BackgroundWorker worker = {};
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = mycelium::ext::kPushWorkerRestartSeconds;
  snprintf(worker.bgw_library_name, BGW_MAXLEN, "mycelium");
  snprintf(worker.bgw_function_name, BGW_MAXLEN, "mycelium_push_worker_main");
  snprintf(worker.bgw_name, BGW_MAXLEN, "mycelium push worker");
  snprintf(worker.bgw_type, BGW_MAXLEN, "mycelium push worker");
  RegisterBackgroundWorker(&worker);
}

// MYCELIUM_VERSION comes from mycelium.control (see extension/Makefile); the CLI and the agent
// read the same line through CMake.
MYCELIUM_SQL_FUNCTION(mycelium_version) {
  (void)fcinfo;
  return mycelium::pg::text_datum(MYCELIUM_VERSION);
}
