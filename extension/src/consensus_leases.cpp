#include "mycelium/ext/consensus_leases.hpp"

#include "mycelium/error.hpp"
#include "mycelium/ext/settings.hpp"
#include "mycelium/lease_table.hpp"
#include "mycelium/node_id.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/shared_memory.hpp"
#include "mycelium/shard_id.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "utils/array.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <set>
#include <vector>

namespace {

using mycelium::Error;
using mycelium::LeaseTable;
namespace sqlstate = mycelium::sqlstate;

constexpr const char *kTrancheName = "mycelium_consensus_leases";

// The shared block: the lock, then the table (core's layout), MAXALIGNed.
struct Shared {
  LWLock lock;
  int tranche;
};
constexpr std::size_t kTableOffset = MAXALIGN(sizeof(Shared));

Shared *shared = nullptr;
// The capacity the block was sized for: mycelium.max_elected_shards at start (it cannot change
// without a restart).
std::size_t shared_capacity = 0;

void init_shared(void *memory) {
  Shared *s = static_cast<Shared *>(memory);
  s->tranche = LWLockNewTrancheId();
  LWLockInitialize(&s->lock, s->tranche);
  LeaseTable::format(static_cast<char *>(memory) + kTableOffset, shared_capacity);
}

LeaseTable table() {
  return LeaseTable(reinterpret_cast<char *>(shared) + kTableOffset);
}

// Holds the table's lock for a scope. LWLockAcquire raises only past 200 locks held at once; a
// lock held when an error unwinds is released by the destructor, or else by the abort.
class Locked {
public:
  explicit Locked(LWLockMode mode) {
    static bool named = false;
    if (!named) {
      // The wait event's name in pg_stat_activity, in this process.
      mycelium::pg::call([] { LWLockRegisterTranche(shared->tranche, kTrancheName); });
      named = true;
    }
    mycelium::pg::call([mode] { LWLockAcquire(&shared->lock, mode); });
  }
  ~Locked() {
    if (LWLockHeldByMe(&shared->lock))
      LWLockRelease(&shared->lock);
  }
  Locked(const Locked &) = delete;
  Locked &operator=(const Locked &) = delete;
};

// The database host's boot id, read once per backend (it changes only with a reboot, which ends
// the backend).
const std::string &host_boot_id() {
  static const std::string id = mycelium::read_boot_id();
  return id;
}

} // namespace

namespace mycelium::ext {

void install_consensus_leases() {
  shared_capacity = static_cast<std::size_t>(max_elected_shards);
  pg::add_shared_struct("mycelium consensus leases",
                        kTableOffset + LeaseTable::bytes_for(shared_capacity),
                        reinterpret_cast<void **>(&shared), init_shared);
}

void forget_lease(const std::string &shard_id) {
  if (!shared)
    return;
  Locked locked(LW_EXCLUSIVE);
  table().erase(MyDatabaseId, shard_id);
}

LeaseLookup find_lease(const std::string &shard_id) {
  LeaseLookup lookup;
  if (!shared)
    return lookup;
  lookup.table_available = true;
  Locked locked(LW_SHARED);
  lookup.lease = table().find(MyDatabaseId, shard_id);
  return lookup;
}

} // namespace mycelium::ext

// mycelium.report_consensus(shard_ids, terms, leaders, lease_expires_ms, boot_id): the local
// agent's view of its groups. Every element is checked before anything is stored, and the
// reports are stored all or none.
MYCELIUM_SQL_FUNCTION(mycelium_report_consensus) {
  using namespace mycelium;
  const std::vector<Datum> shard_ids =
      mycelium::pg::array_arg(fcinfo, 0, "shard_ids", TEXTOID, -1, false, TYPALIGN_INT);
  const std::vector<Datum> terms =
      mycelium::pg::array_arg(fcinfo, 1, "terms", INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
  const std::vector<Datum> leaders =
      mycelium::pg::array_arg(fcinfo, 2, "leaders", TEXTOID, -1, false, TYPALIGN_INT);
  const std::vector<Datum> ends = mycelium::pg::array_arg(fcinfo, 3, "lease_expires_ms", INT8OID, 8,
                                                          FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
  if (pg::arg_is_null(fcinfo, 4))
    throw Error(sqlstate::kNullValueNotAllowed, "boot_id must not be NULL");
  const std::string boot_id = pg::text_arg(fcinfo, 4, "boot_id");

  const std::size_t n = shard_ids.size();
  if (terms.size() != n || leaders.size() != n || ends.size() != n)
    throw Error(sqlstate::kInvalidParameterValue,
                "shard_ids, terms, leaders and lease_expires_ms must have the same length, got " +
                    std::to_string(n) + ", " + std::to_string(terms.size()) + ", " +
                    std::to_string(leaders.size()) + " and " + std::to_string(ends.size()));

  std::vector<LeaseReport> reports;
  reports.reserve(n);
  std::set<std::string> named;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string at = "[" + std::to_string(i + 1) + "]";
    LeaseReport r;
    r.shard_id = mycelium::pg::text_of(shard_ids[i]);
    check_shard_id(r.shard_id, "shard_ids" + at);
    if (!named.insert(r.shard_id).second)
      throw Error(sqlstate::kInvalidParameterValue,
                  "shard_ids names shard \"" + r.shard_id + "\" twice");
    r.lease.term = DatumGetInt64(terms[i]);
    if (r.lease.term < 0)
      throw Error(sqlstate::kInvalidParameterValue,
                  "terms" + at + " must be 0 or more, got " + std::to_string(r.lease.term));
    r.lease.leader = mycelium::pg::text_of(leaders[i]);
    if (!r.lease.leader.empty())
      check_node_id(r.lease.leader, "leaders" + at);
    r.lease.expires_ms = DatumGetInt64(ends[i]);
    if (r.lease.expires_ms < 0)
      throw Error(sqlstate::kInvalidParameterValue,
                  "lease_expires_ms" + at +
                      " must be 0 (no lease) or a CLOCK_MONOTONIC time in "
                      "ms, got " +
                      std::to_string(r.lease.expires_ms));
    reports.push_back(std::move(r));
  }

  if (host_boot_id().empty())
    throw Error(sqlstate::kInternalError,
                "cannot read /proc/sys/kernel/random/boot_id on the database host: leases, "
                "which are CLOCK_MONOTONIC times, cannot be checked here");
  if (boot_id != host_boot_id())
    throw Error(sqlstate::kInvalidParameterValue,
                "boot_id \"" + boot_id.substr(0, 64) + "\" is not the database host's (\"" +
                    host_boot_id() +
                    "\"): leases are CLOCK_MONOTONIC times, which mean nothing on another host "
                    "or after a reboot; run the agent on the database's host");
  if (!shared)
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "report_consensus needs mycelium in shared_preload_libraries (the leases live "
                "in shared memory); add it and restart the server");

  LeaseTable::StoreResult stored;
  {
    Locked locked(LW_EXCLUSIVE);
    stored = table().store(MyDatabaseId, reports, monotonic_now_ms());
  }
  if (stored == LeaseTable::StoreResult::full)
    throw Error(sqlstate::kConfigurationLimitExceeded,
                "the lease table is full: mycelium.max_elected_shards = " +
                    std::to_string(shared_capacity) +
                    " shards hold a lease on this server; raise the setting (restart needed)");
  PG_RETURN_VOID();
}

// mycelium.monotonic_now_ms(): the database host's CLOCK_MONOTONIC in ms, the clock leases are in.
MYCELIUM_SQL_FUNCTION(mycelium_monotonic_now_ms) {
  (void)fcinfo;
  return Int64GetDatum(mycelium::monotonic_now_ms());
}

// mycelium._consensus_state(): the current database's entries (view mycelium.consensus_state).
MYCELIUM_SQL_FUNCTION(mycelium_consensus_state) {
  using namespace mycelium;
  std::vector<LeaseReport> entries;
  const std::int64_t now = monotonic_now_ms();
  if (shared) {
    Locked locked(LW_SHARED);
    entries = table().entries(MyDatabaseId);
  }
  std::sort(entries.begin(), entries.end(),
            [](const LeaseReport &a, const LeaseReport &b) { return a.shard_id < b.shard_id; });
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  pg::call([&] { InitMaterializedSRF(fcinfo, 0); });
  for (const LeaseReport &e : entries) {
    const Datum shard_id = pg::text_datum(e.shard_id);
    const Datum leader = pg::text_datum(e.lease.leader);
    const bool valid = e.lease.valid_at(now);
    Datum values[5] = {shard_id, Int64GetDatum(e.lease.term), leader, BoolGetDatum(valid),
                       Int64GetDatum(valid ? e.lease.expires_ms - now : 0)};
    bool nulls[5] = {false, false, e.lease.leader.empty(), false, false};
    pg::call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
  }
  return Datum(0);
}
