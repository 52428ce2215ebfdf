// An elected shard's epochs (mycelium.shard_epochs) and the entries later epochs superseded
// (mycelium.moved_aside_entries), through typed functions (schemas/CONSENSUS.md, "Elected shards:
// epochs, terms and moved-aside entries"). Part of the catalog (extension/src/catalog/). Callers
// hold an SPI connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::catalog {

// From `term` on, `primary_node` appends the shard's entries after `start_seq`, whose entry
// hash is `start_hash` (32 raw bytes; zeros at start_seq 0).
struct ShardEpoch {
  std::int64_t term = 0;
  std::string primary_node;
  std::int64_t start_seq = 0;
  std::string start_hash;
};

// Every epoch applied here for the shard, by term.
std::vector<ShardEpoch> shard_epochs(const std::string &shard_id);
std::optional<ShardEpoch> shard_epoch(const std::string &shard_id, std::int64_t term);
void insert_shard_epoch(const std::string &shard_id, const ShardEpoch &epoch);

// Moves the shard's audit entries after `after_seq` to mycelium.moved_aside_entries (superseded
// by `term`, with `reason`), restores the records and tombstones of the keys they touched to
// what the remaining entries after `base_seq` make them, and returns how many moved. Opens the
// internal scopes it needs (InternalOp::MoveAside, InternalOp::ReplicaApply).
std::int64_t move_aside_after(const std::string &shard_id, std::int64_t after_seq,
                              std::int64_t base_seq, std::int64_t term, const std::string &reason);

// The lowest and highest term of the entries moved aside by `term` (for the notice).
struct MovedTerms {
  std::int64_t lowest = 0;
  std::int64_t highest = 0;
};
MovedTerms moved_aside_terms(const std::string &shard_id, std::int64_t term);

// drop_shard: the shard's moved-aside entries go with it (its epochs go with its shards row).
void delete_moved_aside_entries(const std::string &shard_id);

} // namespace mycelium::catalog
