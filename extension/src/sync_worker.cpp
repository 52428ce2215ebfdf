// The sync worker: every mycelium.sync_interval it runs mycelium._sync_round() in
// mycelium.database, in a transaction of its own. All the logic (order, batches, backoff, the
// record of failures) lives in that function; this file is only the worker's loop. It is plain
// PostgreSQL C: no C++ object lives across a call that can raise, and an ERROR here ends the
// worker, which the postmaster restarts after bgw_restart_time.
#include "mycelium/ext/settings.hpp"
#include "mycelium/pg/postgres.hpp"

#include <algorithm>

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
#include "utils/timestamp.h"

PGDLLEXPORT void mycelium_sync_worker_main(Datum arg);
}

void mycelium_sync_worker_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  BackgroundWorkerInitializeConnection(mycelium::ext::sync_database, nullptr, 0);

  // A round runs when sync_interval has passed since the last one began, not on every wake-up
  // (a reload or any other latch would otherwise start an early round).
  TimestampTz last_round = 0;
  for (;;) {
    const TimestampTz now = GetCurrentTimestamp();
    const long waited_ms = last_round ? TimestampDifferenceMilliseconds(last_round, now) : 0;
    const long wait_ms =
        last_round ? std::max(0L, static_cast<long>(mycelium::ext::sync_interval_ms) - waited_ms)
                   : mycelium::ext::sync_interval_ms;
    if (wait_ms > 0) {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms,
                      PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
    }
    CHECK_FOR_INTERRUPTS();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    if (last_round && TimestampDifferenceMilliseconds(last_round, GetCurrentTimestamp()) <
                          mycelium::ext::sync_interval_ms)
      continue;
    last_round = GetCurrentTimestamp();

    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, "mycelium sync round");
    // The extension may not be created (yet) in this database: then there is nothing to do.
    SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'mycelium'", true, 1);
    if (SPI_processed > 0)
      SPI_execute("SELECT mycelium._sync_round()", false, 0);
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    pgstat_report_stat(false);
    pgstat_report_activity(STATE_IDLE, nullptr);
  }
}
