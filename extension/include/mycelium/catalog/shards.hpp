// mycelium.shards through typed functions: a shard's kind, partition, primary, responsible
// validators and audit chain head. Part of the catalog (extension/src/catalog/), the only code
// that holds SQL text against the extension's tables. Callers hold an SPI connection.
#pragma once

#include "mycelium/audit.hpp"
#include "mycelium/pg/postgres.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::catalog {

// What a shard is on this node (the column mycelium.shards.kind): its primary copy, a verified
// replica of another node's primary, or an attached remote shard (a foreign table).
enum class ShardKind { Primary, Replica, Remote };
const char *to_string(ShardKind kind); // "primary", "replica", "remote", as stored

struct ShardRow {
  ShardKind kind = ShardKind::Primary;
  Oid partition = InvalidOid;
  std::string partition_name; // qualified, quoted: usable in SQL text
  std::optional<std::string> primary_node;
  std::int64_t head_seq = 0;
  std::int64_t base_seq = 0;
  std::string head_hash;                              // 32 raw bytes
  std::optional<std::vector<std::string>> validators; // responsible validators; nullopt: any
  std::optional<std::string> primary_key; // the primary's registered public key (hex), if any
  bool elected = false;                   // the primary is whoever leads the shard's Raft group
  std::int64_t term = 0; // elected: the term of the latest epoch applied here (0: none yet)
};

enum class RowLock { none, for_update };

std::optional<ShardRow> find_shard(const std::string &shard_id, RowLock lock);
// find_shard, or Error 42704 "shard "X" does not exist".
ShardRow existing_shard(const std::string &shard_id, RowLock lock);

// The name of a shard's partition of mycelium.data, qualified and quoted.
std::string partition_name(const std::string &shard_id);

// A new row. A primary continues the audit chain a dropped shard of the same id left in
// mycelium.audit_log rather than forking it; a replica or remote shard starts at 0.
// `validators` is a text[] Datum, ignored when `any_validator`.
void insert_shard(const std::string &shard_id, const std::string &partition, ShardKind kind,
                  const std::optional<std::string> &primary_node, std::int32_t replicas,
                  Datum validators, bool any_validator);
void delete_shard(const std::string &shard_id);
// A new primary shard becomes elected (create_shard(elected => true)): its term stays 0.
void mark_shard_elected(const std::string &shard_id);

// The audit chain's head after an append (a primary's write, a replica's applied entries).
void write_shard_head(const std::string &shard_id, std::int64_t seq, const std::uint8_t *hash,
                      std::size_t hash_size);
// A replica's responsible validators from its primary's open message (a jsonb array of node
// ids, or SQL NULL for any validator).
void set_shard_validators(const std::string &shard_id, Datum validators_jsonb, bool is_null);

// A replica opened by an elected shard's primary (open-elected) follows the shard's epochs.
void set_shard_elected(const std::string &shard_id);

// An elected shard's latest epoch applied here: its kind on this node, its primary and term.
void set_shard_epoch(const std::string &shard_id, ShardKind kind, const std::string &primary_node,
                     std::int64_t term);

// The shard's responsible validators as a JSON array's text, or nullopt for any validator (also
// when the shard does not exist).
std::optional<std::string> shard_validators_json(const std::string &shard_id);

// A primary shard's row locked for signed writes, until the end of the transaction (writes of
// one shard are serialised so that its audit chain is linear), with this node's identity for the
// chain link. Error 42704 if the shard does not exist, MC012 unless it is a primary here; for an
// elected shard, MC012 also unless this node holds its lease (ext::require_write_lease) and
// an epoch was applied here (term 0: no primary was elected yet).
// Whether a signer may write it is check_responsible's (MC008).
struct ShardHead {
  std::string shard_id;
  Oid partition = InvalidOid;
  std::int64_t seq = 0;
  Hash hash{};
  std::string origin_node;                            // this node: local_node
  std::optional<std::string> registered_key;          // its registered public key, if registered
  std::optional<std::vector<std::string>> validators; // responsible validators; nullopt: any
  // An elected shard's entries are written in the term of its latest epoch, with v2 links
  // (SIGNING.md, "Chain links"); a fixed-primary shard's in term 0, with v1 links.
  bool elected = false;
  std::int64_t term = 0;
};
ShardHead lock_shard_for_write(const std::string &shard_id);
// MC008 unless `signer` is one of the shard's responsible validators.
void check_responsible(const ShardHead &head, const std::string &signer);

} // namespace mycelium::catalog
