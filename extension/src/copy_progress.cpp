#include "mycelium/ext/copy_progress.hpp"

#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/shared_memory.hpp"

extern "C" {
#include "access/xact.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <cstring>

namespace {

constexpr int kSlots = 32;

struct Slot {
  int pid; // 0: free
  char shard_id[64];
  char node_id[64];
  std::int64_t copied;
  std::int64_t total;
  TimestampTz started_at;
};

struct Progress {
  slock_t mutex;
  Slot slots[kSlots];
};

Progress *progress = nullptr;
int my_slot = -1;

void release_slot() {
  if (!progress || my_slot < 0)
    return;
  SpinLockAcquire(&progress->mutex);
  progress->slots[my_slot].pid = 0;
  SpinLockRelease(&progress->mutex);
  my_slot = -1;
}

// A copy that fails aborts its transaction: the slot must not outlive it.
void at_transaction_end(XactEvent event, void *) {
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
      event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
    release_slot();
}

void copy_text(char (&to)[64], const std::string &from) {
  std::strncpy(to, from.c_str(), sizeof(to) - 1);
  to[sizeof(to) - 1] = '\0';
}

} // namespace

namespace mycelium::ext {

void install_copy_progress() {
  pg::add_shared_struct(
      "mycelium copy progress", sizeof(Progress), reinterpret_cast<void **>(&progress),
      [](void *memory) { SpinLockInit(&static_cast<Progress *>(memory)->mutex); });
  RegisterXactCallback(at_transaction_end, nullptr);
}

void copy_progress_begin(const std::string &shard_id, const std::string &node_id,
                         std::int64_t total) {
  if (!progress)
    return;
  release_slot();
  SpinLockAcquire(&progress->mutex);
  for (int i = 0; i < kSlots; ++i) {
    Slot &slot = progress->slots[i];
    if (slot.pid != 0)
      continue;
    slot.pid = MyProcPid;
    copy_text(slot.shard_id, shard_id);
    copy_text(slot.node_id, node_id);
    slot.copied = 0;
    slot.total = total;
    slot.started_at = GetCurrentTimestamp();
    my_slot = i;
    break;
  }
  SpinLockRelease(&progress->mutex);
}

void copy_progress_update(std::int64_t copied) {
  if (!progress || my_slot < 0)
    return;
  SpinLockAcquire(&progress->mutex);
  progress->slots[my_slot].copied = copied;
  SpinLockRelease(&progress->mutex);
}

void copy_progress_end() {
  release_slot();
}

} // namespace mycelium::ext

// mycelium._replica_copy_progress(): the copies running now (one row per copying backend).
MYCELIUM_SQL_FUNCTION(mycelium_replica_copy_progress) {
  Slot copies[kSlots];
  int n = 0;
  if (progress) {
    // Spinlocks cannot raise an ERROR (a stuck one is a PANIC, which ends the server anyway).
    SpinLockAcquire(&progress->mutex);
    for (const Slot &slot : progress->slots)
      if (slot.pid != 0)
        copies[n++] = slot;
    SpinLockRelease(&progress->mutex);
  }
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  mycelium::pg::call([&] {
    InitMaterializedSRF(fcinfo, 0);
    for (int i = 0; i < n; ++i) {
      Datum values[6] = {
          Int32GetDatum(copies[i].pid),           CStringGetTextDatum(copies[i].shard_id),
          CStringGetTextDatum(copies[i].node_id), Int64GetDatum(copies[i].copied),
          Int64GetDatum(copies[i].total),         TimestampTzGetDatum(copies[i].started_at)};
      bool nulls[6] = {};
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
  });
  return Datum(0);
}
