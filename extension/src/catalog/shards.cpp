#include "mycelium/catalog/shards.hpp"

#include "mycelium/error.hpp"
#include "mycelium/ext/elected_writes.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

#include <algorithm>
#include <cstring>
#include <iterator>
#include <sstream>

namespace mycelium::catalog {

namespace {

ShardKind kind_of(const std::optional<std::string> &text, const std::string &shard_id) {
  if (text == "primary")
    return ShardKind::Primary;
  if (text == "replica")
    return ShardKind::Replica;
  if (text == "remote")
    return ShardKind::Remote;
  // The column's CHECK allows only these three.
  throw Error(sqlstate::kInternalError,
              "shard \"" + shard_id + "\" has an unknown kind \"" + text.value_or("NULL") + "\"");
}

// The columns every read returns, in this order; the primary's key from node_metadata.
constexpr const char *kShardColumns =
    "SELECT s.kind, s.partition::oid, s.partition::text, s.primary_node, s.head_seq, s.base_seq, "
    "       s.head_hash, array_to_string(s.validators, ' '), s.validators IS NULL, m.public_key, "
    "       s.elected, s.term "
    "  FROM mycelium.shards s LEFT JOIN mycelium.node_metadata m ON m.node_id = s.primary_node "
    " WHERE s.shard_id = $1";

// validators as array_to_string(validators, ' ') gives them. Node ids hold no spaces
// (node_id.hpp), so a space-joined list splits back exactly.
std::vector<std::string> split_validators(const std::string &joined) {
  std::istringstream names(joined);
  return {std::istream_iterator<std::string>(names), std::istream_iterator<std::string>()};
}

ShardRow row_of(const std::string &shard_id) {
  ShardRow row;
  row.kind = kind_of(pg::result_text(0, 1), shard_id);
  row.partition = static_cast<Oid>(pg::result_int(0, 2).value_or(InvalidOid));
  row.partition_name = pg::result_text(0, 3).value_or("");
  row.primary_node = pg::result_text(0, 4);
  row.head_seq = pg::result_int(0, 5).value_or(0);
  row.base_seq = pg::result_int(0, 6).value_or(0);
  row.head_hash = pg::result_bytes(0, 7).value_or("");
  if (!pg::result_bool(0, 9).value_or(true))
    row.validators = split_validators(pg::result_text(0, 8).value_or(""));
  row.primary_key = pg::result_text(0, 10);
  row.elected = pg::result_bool(0, 11).value_or(false);
  row.term = pg::result_int(0, 12).value_or(0);
  return row;
}

} // namespace

const char *to_string(ShardKind kind) {
  switch (kind) {
  case ShardKind::Primary:
    return "primary";
  case ShardKind::Replica:
    return "replica";
  case ShardKind::Remote:
    return "remote";
  }
  return "?";
}

std::optional<ShardRow> find_shard(const std::string &shard_id, RowLock lock) {
  static pg::Statement read(kShardColumns);
  static pg::Statement locked(std::string(kShardColumns) + " FOR UPDATE OF s");
  pg::Statement &statement = lock == RowLock::for_update ? locked : read;
  if (statement.execute({pg::text_param(shard_id)}) == 0)
    return std::nullopt;
  return row_of(shard_id);
}

ShardRow existing_shard(const std::string &shard_id, RowLock lock) {
  std::optional<ShardRow> row = find_shard(shard_id, lock);
  if (!row)
    throw Error(sqlstate::kUndefinedObject, "shard \"" + shard_id + "\" does not exist");
  return std::move(*row);
}

std::string partition_name(const std::string &shard_id) {
  return "mycelium." + pg::quote_identifier("data_" + shard_id);
}

void insert_shard(const std::string &shard_id, const std::string &partition, ShardKind kind,
                  const std::optional<std::string> &primary_node, std::int32_t replicas,
                  Datum validators, bool any_validator) {
  static pg::Statement insert(
      "INSERT INTO mycelium.shards (shard_id, partition, replicas, validators, kind, "
      "  primary_node, head_seq, base_seq, head_hash) "
      "SELECT $1, $2::regclass, $3, $4, $5, $6, "
      "       CASE WHEN $5 = 'primary' THEN COALESCE(last.seq, 0) ELSE 0 END, "
      "       CASE WHEN $5 = 'primary' THEN COALESCE(last.seq, 0) ELSE 0 END, "
      "       CASE WHEN $5 = 'primary' AND last.entry_hash IS NOT NULL THEN last.entry_hash "
      "            ELSE '\\x" +
      std::string(64, '0') +
      "'::bytea END "
      "  FROM (SELECT NULL) AS one LEFT JOIN LATERAL ("
      "    SELECT seq, entry_hash FROM mycelium.audit_log WHERE shard_id = $1 "
      "     ORDER BY seq DESC LIMIT 1) last ON true");
  insert.execute({pg::text_param(shard_id), pg::text_param(partition), pg::int4_param(replicas),
                  pg::datum_param(TEXTARRAYOID, validators, any_validator),
                  pg::text_param(to_string(kind)), pg::optional_text_param(primary_node)});
}

void mark_shard_elected(const std::string &shard_id) {
  static pg::Statement mark("UPDATE mycelium.shards SET elected = true WHERE shard_id = $1");
  mark.execute({pg::text_param(shard_id)});
}

void delete_shard(const std::string &shard_id) {
  static pg::Statement remove("DELETE FROM mycelium.shards WHERE shard_id = $1");
  remove.execute({pg::text_param(shard_id)});
}

void write_shard_head(const std::string &shard_id, std::int64_t seq, const std::uint8_t *hash,
                      std::size_t hash_size) {
  static pg::Statement move_head(
      "UPDATE mycelium.shards SET head_seq = $2, head_hash = $3 WHERE shard_id = $1");
  move_head.execute(
      {pg::text_param(shard_id), pg::int8_param(seq), pg::bytea_param(hash, hash_size)});
}

void set_shard_validators(const std::string &shard_id, Datum validators_jsonb, bool is_null) {
  static pg::Statement set_validators(
      "UPDATE mycelium.shards SET validators = "
      "  CASE WHEN $2::jsonb IS NULL THEN NULL "
      "       ELSE ARRAY(SELECT jsonb_array_elements_text($2)) END WHERE shard_id = $1");
  set_validators.execute(
      {pg::text_param(shard_id), pg::datum_param(JSONBOID, validators_jsonb, is_null)});
}

void set_shard_elected(const std::string &shard_id) {
  static pg::Statement elected("UPDATE mycelium.shards SET elected = true WHERE shard_id = $1");
  elected.execute({pg::text_param(shard_id)});
}

void set_shard_epoch(const std::string &shard_id, ShardKind kind, const std::string &primary_node,
                     std::int64_t term) {
  static pg::Statement epoch(
      "UPDATE mycelium.shards SET kind = $2, primary_node = $3, term = $4 WHERE shard_id = $1");
  epoch.execute({pg::text_param(shard_id), pg::text_param(to_string(kind)),
                 pg::text_param(primary_node), pg::int8_param(term)});
}

std::optional<std::string> shard_validators_json(const std::string &shard_id) {
  static pg::Statement validators(
      "SELECT to_jsonb(validators)::text FROM mycelium.shards WHERE shard_id = $1");
  if (validators.execute({pg::text_param(shard_id)}) == 0)
    return std::nullopt;
  return pg::result_text(0, 1);
}

ShardHead lock_shard_for_write(const std::string &shard_id) {
  static pg::Statement lock(
      "SELECT s.head_seq, s.head_hash, array_to_string(s.validators, ' '), s.validators IS NULL, "
      "       l.node_id, s.partition::oid, s.kind, m.public_key, s.elected, s.term, "
      "       s.primary_node "
      "  FROM mycelium.shards s CROSS JOIN mycelium.local_node l "
      "  LEFT JOIN mycelium.node_metadata m ON m.node_id = l.node_id "
      " WHERE s.shard_id = $1 FOR UPDATE OF s");
  if (lock.execute({pg::text_param(shard_id)}) == 0)
    throw Error(sqlstate::kUndefinedObject, "shard \"" + shard_id + "\" does not exist");
  const ShardKind kind = kind_of(pg::result_text(0, 7), shard_id);
  // An elected shard is written only under this node's lease as its primary; a refusal names
  // the node to write to. The row is locked: its kind and term hold until the transaction ends.
  if (pg::result_bool(0, 9).value_or(false))
    ext::require_write_lease(ElectedShard{shard_id, kind == ShardKind::Primary,
                                          pg::result_int(0, 10).value_or(0), pg::result_text(0, 11),
                                          pg::result_text(0, 5).value_or("")});
  if (kind != ShardKind::Primary)
    throw Error(sqlstate::kNotPrimary, "shard \"" + shard_id + "\" is a read-only " +
                                           std::string(to_string(kind)) +
                                           " on this node: it is written on its primary node only");
  ShardHead head;
  head.shard_id = shard_id;
  head.seq = pg::result_int(0, 1).value_or(0);
  const std::string hash = pg::result_bytes(0, 2).value_or("");
  if (hash.size() != head.hash.size())
    throw Error(sqlstate::kInternalError, "shard \"" + shard_id + "\" has a corrupt chain head");
  std::memcpy(head.hash.data(), hash.data(), hash.size());
  if (!pg::result_bool(0, 4).value_or(true))
    head.validators = split_validators(pg::result_text(0, 3).value_or(""));
  head.origin_node = pg::result_text(0, 5).value_or("");
  head.partition = static_cast<Oid>(pg::result_int(0, 6).value_or(InvalidOid));
  head.registered_key = pg::result_text(0, 8);
  head.elected = pg::result_bool(0, 9).value_or(false);
  head.term = pg::result_int(0, 10).value_or(0);
  // An elected shard is written only in an epoch: its entries carry the epoch's term, which a
  // shard without one does not have (its group has not elected a primary yet).
  if (head.elected && head.term == 0)
    throw Error(sqlstate::kNotPrimary,
                "shard \"" + shard_id + "\" has no elected primary yet (no epoch applied here)");
  return head;
}

void check_responsible(const ShardHead &head, const std::string &signer) {
  if (head.validators &&
      std::find(head.validators->begin(), head.validators->end(), signer) == head.validators->end())
    throw Error(sqlstate::kSignerNotResponsible,
                "signer \"" + signer + "\" is not a responsible validator of shard \"" +
                    head.shard_id + "\"");
}

} // namespace mycelium::catalog
