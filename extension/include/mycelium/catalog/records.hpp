// The records (mycelium.data, one partition per shard) and tombstones (mycelium.tombstones)
// through typed functions. Writes made here pass the verifying triggers like any other; the
// partition is named by its Oid so that each statement is planned for that one partition. Part
// of the catalog (extension/src/catalog/). Callers hold an SPI connection.
#pragma once

#include "mycelium/pg/postgres.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace mycelium::catalog {

// The version the next write must follow: the live row's (in the shard's partition), else the
// tombstone's, else 0.
std::int64_t current_version(Oid partition, const std::string &shard_id, const std::string &key);

// The version a deleted key's tombstone holds, else 0.
std::int64_t tombstone_version(const std::string &shard_id, const std::string &key);

// The key's live record's version, with the row locked until the end of the transaction;
// nullopt when the shard holds no record of the key.
std::optional<std::int64_t> live_version(Oid partition, const std::string &key);

// Both at once, as the record triggers need them: the live record's version (locked, as
// live_version) and the tombstone's (0: none). One statement when the key is live.
struct KeyVersions {
  std::optional<std::int64_t> live;
  std::int64_t tombstone = 0;
};
KeyVersions key_versions(Oid partition, const std::string &shard_id, const std::string &key);

// A signed record as written by a client of the primary (mycelium.put) or applied on a replica.
struct SignedRecord {
  std::string shard_id;
  std::string key;
  Datum value = 0; // jsonb
  std::int32_t version = 0;
  std::string created_by;
  std::string signature_hex;
};
// The key's live row replaced; false when the key has no live row.
bool update_record(Oid partition, const SignedRecord &record);
// A new row; false when the key is live already (nothing is written).
bool insert_new_record(Oid partition, const SignedRecord &record);
// A replica's copy of its primary's record, inserted or replacing the live one.
void upsert_record(Oid partition, const SignedRecord &record);

// Removes the key's live record after a verified delete (the record's guard lets exactly this
// row go).
void remove_record(Oid partition, const std::string &shard_id, const std::string &key);

// The key's tombstone at `version`, inserted or replacing an older one. The tombstone triggers
// verify it (mycelium.delete) or see it applied inside the inbox's scope (a replica).
void upsert_tombstone(const std::string &shard_id, const std::string &key, std::int32_t version,
                      const std::string &created_by, const std::string &signature_hex);

// The caller holds InternalOp::DropShard.
void delete_tombstones(const std::string &shard_id);

std::int64_t count_records(const std::string &shard_id);

// The shard's records counted and digested (the view mycelium.shard_digests); nullopt when the
// shard has none here.
struct ShardDigest {
  std::int64_t records = 0;
  std::string digest_hex;
};
std::optional<ShardDigest> shard_digest(const std::string &shard_id);

} // namespace mycelium::catalog
