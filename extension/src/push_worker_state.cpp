#include "mycelium/ext/push_worker_state.hpp"

#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/shared_memory.hpp"

extern "C" {
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <cstring>

namespace {

struct State {
  slock_t mutex;
  int pid; // 0: no worker running
  char database[NAMEDATALEN];
  bool extension_known; // a round has looked
  bool extension_present;
  TimestampTz started_at;
  TimestampTz last_round_at; // 0: no round yet
  std::int64_t rounds;
  std::int64_t pushed;
  bool connecting; // started, not connected yet
  // The database the last workers failed to connect to, and how many of them in a row.
  char unreachable_database[NAMEDATALEN];
  int failed_connects;
};

State *state = nullptr;

} // namespace

namespace mycelium::ext {

void install_push_worker_state() {
  pg::add_shared_struct("mycelium push worker state", sizeof(State),
                        reinterpret_cast<void **>(&state),
                        [](void *memory) { SpinLockInit(&static_cast<State *>(memory)->mutex); });
}

void push_worker_started(const char *database) {
  if (!state)
    return;
  SpinLockAcquire(&state->mutex);
  state->pid = MyProcPid;
  std::strncpy(state->database, database, NAMEDATALEN - 1);
  state->database[NAMEDATALEN - 1] = '\0';
  state->extension_known = false;
  state->extension_present = false;
  state->started_at = GetCurrentTimestamp();
  state->last_round_at = 0;
  state->rounds = 0;
  state->pushed = 0;
  state->connecting = true;
  SpinLockRelease(&state->mutex);
}

void push_worker_connected() {
  if (!state)
    return;
  SpinLockAcquire(&state->mutex);
  state->connecting = false;
  state->unreachable_database[0] = '\0';
  state->failed_connects = 0;
  SpinLockRelease(&state->mutex);
}

int push_worker_connect_failures(const char *database) {
  if (!state)
    return 0;
  SpinLockAcquire(&state->mutex);
  const int failures =
      std::strcmp(state->unreachable_database, database) == 0 ? state->failed_connects : 0;
  SpinLockRelease(&state->mutex);
  return failures;
}

void push_worker_round(bool extension_present, std::int64_t pushed) {
  if (!state)
    return;
  const TimestampTz now = GetCurrentTimestamp();
  SpinLockAcquire(&state->mutex);
  state->extension_known = true;
  state->extension_present = extension_present;
  state->last_round_at = now;
  state->rounds += 1;
  state->pushed += pushed;
  SpinLockRelease(&state->mutex);
}

void push_worker_stopped() {
  if (!state)
    return;
  SpinLockAcquire(&state->mutex);
  if (state->pid == MyProcPid) {
    state->pid = 0;
    if (state->connecting) {
      state->connecting = false;
      if (std::strcmp(state->unreachable_database, state->database) == 0) {
        state->failed_connects += 1;
      } else {
        std::memcpy(state->unreachable_database, state->database, NAMEDATALEN);
        state->failed_connects = 1;
      }
    }
  }
  SpinLockRelease(&state->mutex);
}

} // namespace mycelium::ext

// mycelium._push_worker(): one row while a worker runs (or ran: pid NULL once it stopped), none
// when the library is not preloaded.
MYCELIUM_SQL_FUNCTION(mycelium_push_worker_state) {
  State copy{};
  const bool have = state != nullptr;
  if (have) {
    // Spinlocks cannot raise an ERROR (a stuck one is a PANIC, which ends the server anyway).
    SpinLockAcquire(&state->mutex);
    copy = *state;
    SpinLockRelease(&state->mutex);
  }
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  mycelium::pg::call([&] {
    InitMaterializedSRF(fcinfo, 0);
    if (have && copy.started_at != 0) {
      Datum values[7] = {Int32GetDatum(copy.pid),
                         CStringGetTextDatum(copy.database),
                         BoolGetDatum(copy.extension_present),
                         TimestampTzGetDatum(copy.started_at),
                         TimestampTzGetDatum(copy.last_round_at),
                         Int64GetDatum(copy.rounds),
                         Int64GetDatum(copy.pushed)};
      bool nulls[7] = {copy.pid == 0, false, !copy.extension_known, false, copy.last_round_at == 0,
                       false,         false};
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  });
  return Datum(0);
}
