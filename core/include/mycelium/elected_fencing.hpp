// The write rule of elected shards (schemas/CONSENSUS.md, "Elected shards: the write side"): a
// node writes an elected shard only while it is the primary of the shard's latest applied epoch
// AND the local agent reports a lease of that very term that has not ended, on CLOCK_MONOTONIC.
// The extension checks it when a transaction locks the shard for writing and again at commit;
// this is the decision and its message, without PostgreSQL.
#pragma once

#include "mycelium/lease_table.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace mycelium {

// An elected shard as this node holds it (mycelium.shards), and who this node is.
struct ElectedShard {
  std::string shard_id;
  bool is_primary = false;                 // kind = 'primary'
  std::int64_t term = 0;                   // shards.term: the latest epoch applied here
  std::optional<std::string> primary_node; // shards.primary_node
  std::string local_node;                  // mycelium.local_node
};

// What the lease table says about the shard: whether the table exists at all (it needs the
// library in shared_preload_libraries), and the shard's entry if the agent reported one.
struct LeaseLookup {
  bool table_available = false;
  std::optional<Lease> lease;
};

// nullopt when this node may write the shard at `now_ms`; otherwise why not, for an MC012 error
// message: it names the shard and its term, and the node to write to when one is known (the
// group's leader as reported, else the primary of the applied epoch).
std::optional<std::string> elected_write_refusal(const ElectedShard &shard,
                                                 const LeaseLookup &lookup, std::int64_t now_ms);

} // namespace mycelium
