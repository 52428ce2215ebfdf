// The checks every signed write passes, shared by the record and tombstone triggers, and the
// audit-log append that follows them. Each failure throws mycelium::Error with its own SQLSTATE.
// Callers hold an SPI connection.
#pragma once

#include "mycelium/audit.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/ext/shard_catalog.hpp"
#include "mycelium/pg/postgres.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace mycelium::ext {

// created_by must be a registered, active validator; returns its public key.
PublicKey check_signer(const std::string &node_id);

// The version the next write must follow: the live row's (in the shard's partition), else the
// tombstone's, else 0.
std::int64_t current_version(Oid partition, const std::string &shard_id, const std::string &key);

// The version a deleted key's tombstone holds, else 0.
std::int64_t tombstone_version(const std::string &shard_id, const std::string &key);

// The key's live record's version, with the row locked until the end of the transaction;
// nullopt when the shard holds no record of the key.
std::optional<std::int64_t> live_version(Oid partition, const std::string &key);

// Removes the key's live record after a verified delete (the record's guard lets exactly this
// row go).
void remove_record(Oid partition, const std::string &shard_id, const std::string &key);

// The key's tombstone at `version`, inserted or replacing an older one. The tombstone triggers
// verify it (mycelium.delete) or see it applied inside the inbox's scope (a replica).
void upsert_tombstone(const std::string &shard_id, const std::string &key, std::int32_t version,
                      const std::string &created_by, const std::string &signature_hex);

// version must be exactly current + 1.
void check_next_version(std::int64_t version, std::int64_t current, const std::string &what);

void check_signature(const Signature &signature, const Bytes &payload, const PublicKey &key,
                     const char *what);

// Appends the change to mycelium.sync_changes, linked to the shard's chain, and moves the head.
struct Change {
  const char *op; // "put" or "delete"
  std::string shard_id;
  std::string key;
  std::int64_t version;
  Datum value; // jsonb, or 0 for a delete
  std::string created_by;
  std::string signature_hex;
  Signature signature;
  Bytes payload;
};
void append_audit(const Change &change, const ShardHead &head);

} // namespace mycelium::ext
