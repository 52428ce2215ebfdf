// A shard's storage on this node: its partition of mycelium.data and its row in
// mycelium.shards. Shared by create_shard/drop_shard and by the inbox, which creates and drops
// replica copies. Callers hold an SPI connection.
#pragma once

#include "mycelium/catalog/shards.hpp"
#include "mycelium/pg/postgres.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace mycelium::ext {

// Creates the partition and the shards row; returns the partition's qualified name.
// Error 42710 if the shard exists here in any kind.
std::string create_shard_storage(const std::string &shard_id, catalog::ShardKind kind,
                                 const std::optional<std::string> &primary_node,
                                 std::int32_t replicas, Datum validators, bool any_validator);

// Drops the partition, the shard's tombstones, its moved-aside entries and epochs (elected
// shards) and its shards row; with `drop_copied_log`, also its entries in mycelium.audit_log (a
// replica's copy of its primary's log).
void drop_shard_storage(const std::string &shard_id, const std::string &partition,
                        bool drop_copied_log);

} // namespace mycelium::ext
