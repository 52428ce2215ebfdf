// The leases of elected shards in shared memory (schemas/CONSENSUS.md, "Elected shards: the write
// side"): what the local agent last reported with mycelium.report_consensus, per (database,
// shard): its group's term, leader and this node's lease end on CLOCK_MONOTONIC. Not in a table:
// the agent reports every ~100 ms, a lease is worth nothing after a restart, and a write's
// check must cost a lookup, not a query. The table (core's LeaseTable) holds
// mycelium.max_elected_shards entries under one LWLock: writers of elected shards take it shared
// for a lookup, report_consensus exclusively. It exists only when the library is preloaded.
#pragma once

#include "mycelium/elected_fencing.hpp"

#include <string>

namespace mycelium::ext {

// _PG_init, while preloading: ask for the shared memory (mycelium.max_elected_shards is set by
// then, being a postmaster setting).
void install_consensus_leases();

// The current database's entry for the shard, and whether the table exists at all.
LeaseLookup find_lease(const std::string &shard_id);
// The shard was dropped here (or its replica closed): its entry goes, so that a shard created
// again with this id takes its new group's low terms. Harmless if the dropping transaction
// rolls back: the agent reports the group again within a moment.
void forget_lease(const std::string &shard_id);

} // namespace mycelium::ext
