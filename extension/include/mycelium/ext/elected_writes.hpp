// Fencing of elected shards' writes (schemas/CONSENSUS.md, "Elected shards: the write side"). A
// transaction writes an elected shard only while this node holds a lease as its primary:
// checked when it locks the shard for writing (catalog::lock_shard_for_write, the one door of
// every signed write: INSERT/UPDATE on mycelium.data or a partition, mycelium.put and delete),
// and again at PRE_COMMIT for every elected shard it wrote, so that a transaction that outlived
// its lease fails with MC012 and nothing of it is stored. A transaction that wrote one cannot be
// prepared (COMMIT PREPARED could come any time later, with no check).
#pragma once

#include "mycelium/elected_fencing.hpp"

namespace mycelium::ext {

// Error MC012 naming the shard, its term and the node to write to unless this node may write
// `shard` now; otherwise remembers it for the commit-time check. Called with the shard's row
// locked FOR UPDATE, so its term and kind cannot change before the transaction ends.
void require_write_lease(const ElectedShard &shard);

} // namespace mycelium::ext
