// The audit log (mycelium.audit_log) through typed functions: appending an entry, reading the
// chain back, and comparing it with the records. Part of the catalog (extension/src/catalog/).
// Callers hold an SPI connection.
#pragma once

#include "mycelium/pg/postgres.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::catalog {

// An entry as appended: the change, when and where it entered the chain, and the chain link.
struct AuditAppend {
  std::string shard_id;
  std::int64_t seq = 0;
  std::string op; // "put" or "delete"
  std::string key;
  std::int32_t version = 0;
  Datum value = 0; // jsonb; a delete has none
  bool value_null = true;
  std::string created_by;
  std::string signature_hex;
  TimestampTz created_at = 0;
  std::string origin_node;
  std::string prev_hash;  // 32 raw bytes
  std::string entry_hash; // 32 raw bytes
  std::string link_signature_hex;
  std::int64_t term = 0; // elected shards: the epoch's term (v2 link); 0: fixed primary (v1)
};
// Who appends: the shard's primary (a write made here, to be pushed: 'pending') or a replica
// applying its primary's entry verbatim ('applied').
enum class AuditSource { Primary, Replica };
// Inside the audit log's guard's scope (InternalOp::AuditAppend).
void append_audit_entry(const AuditAppend &entry, AuditSource source);

// The entry hash (raw) at `seq` of the shard; nullopt when there is no such entry.
std::optional<std::string> audit_entry_hash_at(const std::string &shard_id, std::int64_t seq);

// The term of the entry at `seq` of the shard; nullopt when there is no such entry.
std::optional<std::int64_t> audit_term_at(const std::string &shard_id, std::int64_t seq);

// An entry as read back for verification.
struct AuditEntry {
  std::int64_t change_id = 0;
  std::int64_t seq = 0;
  std::string op;
  std::string key;
  std::int64_t version = 0;
  std::optional<std::string> value_json; // jsonb's text; none for a delete
  std::string created_by;
  std::string signature_hex;
  std::string origin_node;
  std::optional<std::string> prev_hash;  // raw
  std::int64_t created_at_us = 0;        // Unix microseconds
  std::optional<std::string> entry_hash; // raw
  std::string link_signature_hex;
  std::int64_t term = 0;
};
// At most `limit` entries after `after_seq`, in seq order: a long chain is read page by page.
std::vector<AuditEntry> audit_entries_after(const std::string &shard_id, std::int64_t after_seq,
                                            std::int64_t limit);

// A SELECT of the entries after $2 of shard $1, at most $3, in seq order, in the column order of
// a replica's mycelium.inbox: what a push inserts into a peer's inbox in one statement.
const std::string &inbox_rows_after_query();

// The nodes that appended the shard's entries (its primaries over time), in no order.
std::vector<std::string> audit_origins(const std::string &shard_id);

// Entries every active replica of the shard holds are marked synced (inside
// InternalOp::StatusUpdate).
void mark_entries_synced(const std::string &shard_id);

// A dropped replica's copy of the log goes with it. The caller holds InternalOp::DropShard.
void delete_audit_entries(const std::string &shard_id);

// The first key (in key order) whose record or tombstone disagrees with the log's latest entry
// for it after `base_seq`, and how many keys do.
struct RecordMismatch {
  std::int64_t keys = 0;
  std::optional<std::int64_t> change_id; // the log's entry for it, if any
  std::string problem;
};
std::optional<RecordMismatch> first_record_mismatch(const std::string &shard_id,
                                                    std::int64_t base_seq);

} // namespace mycelium::catalog
