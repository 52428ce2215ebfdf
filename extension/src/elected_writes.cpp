#include "mycelium/ext/elected_writes.hpp"

#include "mycelium/error.hpp"
#include "mycelium/ext/consensus_leases.hpp"
#include "mycelium/pg/guard.hpp"
#include "mycelium/pg/transaction_callbacks.hpp"

extern "C" {
#include "access/xact.h"
}

#include <cstring>
#include <vector>

namespace mycelium::ext {

namespace {

// The elected shards this transaction locked for writing, each with the subtransaction that
// locked it: a write rolled back with its savepoint needs no lease at commit.
struct Written {
  ElectedShard shard;
  SubTransactionId subxact;
};
std::vector<Written> written;

// Why the transaction may not commit, into `out`; false when every shard it wrote still has its
// lease. Fails closed: a check that cannot be made refuses.
bool commit_refusal(char *out, std::size_t size) noexcept {
  try {
    const std::int64_t now = monotonic_now_ms();
    for (const Written &w : written) {
      const std::optional<std::string> refusal =
          elected_write_refusal(w.shard, find_lease(w.shard.shard_id), now);
      if (refusal) {
        snprintf(out, size, "%s (checked at commit: nothing of this transaction was stored)",
                 refusal->c_str());
        return true;
      }
    }
    return false;
  } catch (...) {
    snprintf(out, size,
             "could not check the leases of the elected shards this transaction wrote; "
             "nothing of it was stored");
    return true;
  }
}

// Called by PostgreSQL's C code: nothing here may throw, and this frame holds no C++ object, so
// ereport's longjmp skips no destructor.
void on_xact_event(XactEvent event, void *) {
  if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT) {
    if (written.empty())
      return;
    char message[1024];
    if (commit_refusal(message, sizeof message))
      ereport(ERROR, (errcode(MAKE_SQLSTATE('M', 'C', '0', '1', '2')), errmsg("%s", message)));
    return;
  }
  if (event == XACT_EVENT_PRE_PREPARE) {
    if (written.empty())
      return;
    char shard[64];
    snprintf(shard, sizeof shard, "%s", written.front().shard.shard_id.c_str());
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("a transaction that wrote elected shard \"%s\" cannot be prepared", shard),
             errdetail("Its lease is checked when it commits; COMMIT PREPARED could come after "
                       "the lease ended.")));
  }
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
      event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
      event == XACT_EVENT_PREPARE)
    written.clear();
}

void on_subxact_event(SubXactEvent event, SubTransactionId subxact, SubTransactionId parent,
                      void *) {
  if (event == SUBXACT_EVENT_ABORT_SUB) {
    // Ids grow: those at or above the aborted one are it and its children.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < written.size(); ++i)
      if (written[i].subxact < subxact)
        std::swap(written[kept++], written[i]);
    written.resize(kept); // shrinking: cannot throw
  } else if (event == SUBXACT_EVENT_COMMIT_SUB) {
    for (Written &w : written)
      if (w.subxact == subxact)
        w.subxact = parent;
  }
}

void register_callbacks() {
  static bool registered = false;
  pg::register_transaction_callbacks(registered, on_xact_event, on_subxact_event);
}

} // namespace

void require_write_lease(const ElectedShard &shard) {
  register_callbacks();
  const std::optional<std::string> refusal =
      elected_write_refusal(shard, find_lease(shard.shard_id), monotonic_now_ms());
  if (refusal)
    throw Error(sqlstate::kNotPrimary, *refusal);
  const SubTransactionId current = GetCurrentSubTransactionId(); // cannot raise: reads state
  for (const Written &w : written)
    if (w.subxact == current && w.shard.shard_id == shard.shard_id)
      return;
  written.push_back(Written{shard, current});
}

} // namespace mycelium::ext
