#include "mycelium/ext/write_checks.hpp"

#include "mycelium/error.hpp"
#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/ext/node_key.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/replica_signing.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/timestamp.h"
}

#include <cstring>

namespace mycelium::ext {

using pg::Statement;

PublicKey check_signer(const std::string &node_id) {
  static Statement lookup("SELECT public_key, node_type, is_active FROM mycelium.node_metadata "
                          "WHERE node_id = $1");
  if (lookup.execute({pg::text_param(node_id)}) == 0)
    throw Error(sqlstate::kUnknownSigner, "signer \"" + node_id + "\" is not a registered node");
  if (!pg::result_bool(0, 3).value_or(false))
    throw Error(sqlstate::kInactiveSigner, "signer \"" + node_id + "\" is not active");
  if (pg::result_text(0, 2) != "validator")
    throw Error(sqlstate::kSignerNotValidator, "signer \"" + node_id + "\" is a " +
                                                   pg::result_text(0, 2).value_or("?") +
                                                   ", only validators may write");
  return parse_public_key(pg::result_text(0, 1).value_or(""), "public_key");
}

std::int64_t current_version(Oid partition, const std::string &shard_id, const std::string &key) {
  // The same rule as the SQL function mycelium.current_version, inlined (a SQL function called
  // from a prepared statement is planned again on every call) and aimed at the one partition.
  static pg::PerRelationStatements query([](const std::string &partition_name) {
    return "SELECT COALESCE((SELECT d.version FROM " + partition_name +
           " d WHERE d.key = $2),"
           "                (SELECT t.version FROM mycelium.tombstones t"
           "                  WHERE t.shard_id = $1 AND t.key = $2), 0)";
  });
  query.for_relation(partition).execute({pg::text_param(shard_id), pg::text_param(key)});
  return pg::result_int(0, 1).value_or(0);
}

std::int64_t tombstone_version(const std::string &shard_id, const std::string &key) {
  static Statement query(
      "SELECT version FROM mycelium.tombstones WHERE shard_id = $1 AND key = $2");
  if (query.execute({pg::text_param(shard_id), pg::text_param(key)}) == 0)
    return 0;
  return pg::result_int(0, 1).value_or(0);
}

std::optional<std::int64_t> live_version(Oid partition, const std::string &key) {
  static pg::PerRelationStatements query([](const std::string &partition_name) {
    return "SELECT version FROM " + partition_name + " WHERE key = $1 FOR UPDATE";
  });
  if (query.for_relation(partition).execute({pg::text_param(key)}) == 0)
    return std::nullopt;
  return pg::result_int(0, 1).value_or(0);
}

void remove_record(Oid partition, const std::string &shard_id, const std::string &key) {
  static pg::PerRelationStatements remove([](const std::string &partition_name) {
    return "DELETE FROM " + partition_name + " WHERE key = $1";
  });
  InternalScope scope(InternalOp::SignedDelete, shard_id, key);
  remove.for_relation(partition).execute({pg::text_param(key)});
}

void check_next_version(std::int64_t version, std::int64_t current, const std::string &what) {
  if (version <= current)
    throw Error(sqlstate::kStaleVersion, what + ": version " + std::to_string(version) +
                                             " is not newer than the current version " +
                                             std::to_string(current) +
                                             " (a replayed or rolled-back write)");
  if (version > current + 1)
    throw Error(sqlstate::kVersionGap, what + ": version " + std::to_string(version) +
                                           " skips versions; the next version is " +
                                           std::to_string(current + 1));
}

void upsert_tombstone(const std::string &shard_id, const std::string &key, std::int32_t version,
                      const std::string &created_by, const std::string &signature_hex) {
  static Statement tombstone(
      "INSERT INTO mycelium.tombstones AS t (shard_id, key, version, created_by, signature) "
      "VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (shard_id, key) DO UPDATE SET version = EXCLUDED.version, "
      "  created_by = EXCLUDED.created_by, signature = EXCLUDED.signature, deleted_at = now()");
  tombstone.execute({pg::text_param(shard_id), pg::text_param(key), pg::int4_param(version),
                     pg::text_param(created_by), pg::text_param(signature_hex)});
}

void check_signature(const Signature &signature, const Bytes &payload, const PublicKey &key,
                     const char *what) {
  if (!verify(signature, payload, key))
    throw Error(sqlstate::kSignatureInvalid,
                std::string(what) + ": signature does not verify with the signer's registered key");
}

void append_audit(const Change &change, const ShardHead &head) {
  static Statement insert(
      "INSERT INTO mycelium.sync_changes (shard_id, seq, op, key, version, value, created_by, "
      "  signature, created_at, origin_node, prev_hash, entry_hash, link_signature) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");

  const TimestampTz now = GetCurrentTimestamp(); // cannot raise: reads the clock
  // TimestampTz counts microseconds from 2000-01-01; the chain uses the Unix epoch.
  const std::int64_t unix_us = pg::unix_us(now);
  const std::int64_t seq = head.seq + 1;
  const Hash entry =
      audit_entry_hash(head.hash, static_cast<std::uint64_t>(seq), change.payload, change.signature,
                       head.origin_node, static_cast<std::uint64_t>(unix_us));
  // The primary vouches for the link with its node key: a replica believes an entry only with
  // this signature by the node its shard row names as primary (SIGNING.md, "Chain links").
  const SecretKey &key = node_key();
  if (head.registered_key &&
      *head.registered_key != to_hex(key.public_key().data(), kPublicKeySize))
    throw Error(sqlstate::kNoNodeKey,
                "mycelium.node_key_file holds public key " +
                    to_hex(key.public_key().data(), kPublicKeySize) + ", but this node (\"" +
                    head.origin_node + "\") is registered with " + *head.registered_key +
                    ": its replicas would refuse every entry; point the setting at the node's "
                    "own key file");
  const Signature link = key.sign(
      link_payload(change.shard_id, static_cast<std::uint64_t>(seq), entry, head.origin_node));
  const std::string link_signature = to_hex(link.data(), link.size());

  InternalScope scope(InternalOp::AuditAppend);
  insert.execute(
      {pg::text_param(change.shard_id), pg::int8_param(seq), pg::text_param(change.op),
       pg::text_param(change.key), pg::int4_param(static_cast<std::int32_t>(change.version)),
       pg::datum_param(JSONBOID, change.value, change.value == Datum(0)),
       pg::text_param(change.created_by), pg::text_param(change.signature_hex),
       pg::datum_param(TIMESTAMPTZOID, TimestampTzGetDatum(now)), pg::text_param(head.origin_node),
       pg::bytea_param(head.hash.data(), head.hash.size()),
       pg::bytea_param(entry.data(), entry.size()), pg::text_param(link_signature)});
  write_shard_head(change.shard_id, seq, entry.data(), entry.size());
}

} // namespace mycelium::ext
