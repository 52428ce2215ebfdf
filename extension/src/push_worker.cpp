// The push worker: every mycelium.push_interval it runs mycelium._push_round() in
// mycelium.database, in a transaction of its own. All the logic (order, batches, backoff, the
// record of failures) lives in that function; this file is only the worker's loop. It is plain
// PostgreSQL C: no C++ object lives across a call that can raise, and an ERROR here ends the
// worker, which the postmaster restarts after bgw_restart_time.
#include "mycelium/ext/settings.hpp"
#include "mycelium/ext/push_worker_state.hpp"
#include "mycelium/pg/postgres.hpp"

#include <algorithm>
#include <cstring>

extern "C" {
#include "access/xact.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

PGDLLEXPORT void mycelium_push_worker_main(Datum arg);
}

namespace {

void forget_state(int, Datum) {
  mycelium::ext::push_worker_stopped();
}

// Applies a reload that arrived (SIGHUP) and says whether mycelium.database now names another
// database than `current`.
bool reload_changed_database(const char *current) {
  if (!ConfigReloadPending)
    return false;
  ConfigReloadPending = false;
  ProcessConfigFile(PGC_SIGHUP);
  return std::strcmp(current, mycelium::ext::push_worker_database) != 0;
}

// Seconds between attempts to connect to a database that refused the last `failures` workers:
// the postmaster restarts a worker every bgw_restart_time (5 s), and each failed connection
// logs a FATAL, so a misspelt mycelium.database used to log one every 5 s for ever. The wait
// doubles from 5 s up to 300 s; the first retry comes after the usual 5 s, so a database
// created just after the server started (the usual first set-up) is served at once.
int connect_backoff_s(int failures) {
  int seconds = mycelium::ext::kPushWorkerRestartSeconds;
  for (int i = 1; i < failures && seconds < 300; ++i)
    seconds *= 2;
  return std::min(seconds, 300);
}

// Before connecting to `database` (updated in place): if earlier workers failed to connect to
// it, waits out the backoff, less the restart delay already waited, and says so once per
// attempt. A reload that changes mycelium.database ends the wait at once.
void wait_after_failed_connects(char *database) {
  const int failures = mycelium::ext::push_worker_connect_failures(database);
  if (failures < 2)
    return;
  const int wait_s = connect_backoff_s(failures) - mycelium::ext::kPushWorkerRestartSeconds;
  ereport(LOG, (errmsg("mycelium push worker: %d connection attempts to database \"%s\" "
                       "(mycelium.database) failed; the next in %d s, or at once when a reload "
                       "changes mycelium.database",
                       failures, database, connect_backoff_s(failures))));
  const TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_s * 1000);
  for (;;) {
    const long remaining_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);
    if (remaining_ms <= 0)
      return;
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, remaining_ms,
                    PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    if (reload_changed_database(database)) {
      std::strncpy(database, mycelium::ext::push_worker_database, NAMEDATALEN - 1);
      database[NAMEDATALEN - 1] = '\0';
      return;
    }
  }
}

} // namespace

void mycelium_push_worker_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  // The database this process serves for its whole life: a changed mycelium.database takes a
  // new process (below, on reload). Recorded before connecting, so that mycelium.push_worker
  // names a database that does not exist (the connection's FATAL then ends this process, the
  // exit callback clears the pid, and the postmaster tries again).
  char serving[NAMEDATALEN];
  std::strncpy(serving, mycelium::ext::push_worker_database, NAMEDATALEN - 1);
  serving[NAMEDATALEN - 1] = '\0';
  wait_after_failed_connects(serving);
  mycelium::ext::push_worker_started(serving);
  on_shmem_exit(forget_state, 0);
  BackgroundWorkerInitializeConnection(serving, nullptr, 0);
  mycelium::ext::push_worker_connected();
  ereport(LOG, (errmsg("mycelium push worker started: serving database \"%s\" "
                       "(mycelium.database), a round every %d ms",
                       serving, mycelium::ext::push_interval_ms)));
  // -1: not looked yet; then whether the last round found the extension. Only changes are
  // logged, once each.
  int extension_seen = -1;

  // A round runs when push_interval has passed since the last one began, not on every wake-up
  // (a reload or any other latch would otherwise start an early round).
  TimestampTz last_round = 0;
  for (;;) {
    const TimestampTz now = GetCurrentTimestamp();
    const long waited_ms = last_round ? TimestampDifferenceMilliseconds(last_round, now) : 0;
    // The first round runs at once: a worker that just started (or restarted for another
    // database) says what it finds without waiting a whole interval.
    const long wait_ms =
        last_round ? std::max(0L, static_cast<long>(mycelium::ext::push_interval_ms) - waited_ms)
                   : 0;
    if (wait_ms > 0) {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms,
                      PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
    }
    CHECK_FOR_INTERRUPTS();
    if (reload_changed_database(serving)) {
      // A background worker stays connected to one database: exit, and the postmaster starts
      // a new one (bgw_restart_time) that connects to the new database.
      ereport(LOG, (errmsg("mycelium push worker: mycelium.database changed from \"%s\" to "
                           "\"%s\"; restarting to serve it",
                           serving, mycelium::ext::push_worker_database)));
      proc_exit(1);
    }
    if (last_round && TimestampDifferenceMilliseconds(last_round, GetCurrentTimestamp()) <
                          mycelium::ext::push_interval_ms)
      continue;
    last_round = GetCurrentTimestamp();

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, "mycelium push round");
    // The extension may not be created (yet) in this database: then there is nothing to do,
    // which is said once (and again once it is there).
    SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'mycelium'", true, 1);
    const bool present = SPI_processed > 0;
    int64 pushed = 0;
    if (present) {
      SPI_execute("SELECT mycelium._push_round()", false, 0);
      bool is_null = true;
      if (SPI_processed > 0) {
        const Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
        if (!is_null)
          pushed = DatumGetInt64(d);
      }
    }
    if (!present && extension_seen != 0)
      ereport(WARNING,
              (errmsg("mycelium push worker: extension \"mycelium\" is not installed in database "
                      "\"%s\": nothing is replicated from this server",
                      serving),
               errhint("Run CREATE EXTENSION mycelium in that database, or set mycelium.database "
                       "to the database that holds it and reload.")));
    else if (present && extension_seen == 0)
      ereport(LOG, (errmsg("mycelium push worker: extension \"mycelium\" found in database "
                           "\"%s\"; replicating",
                           serving)));
    extension_seen = present ? 1 : 0;
    mycelium::ext::push_worker_round(present, pushed);
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    pgstat_report_stat(false);
    pgstat_report_activity(STATE_IDLE, nullptr);
  }
}
