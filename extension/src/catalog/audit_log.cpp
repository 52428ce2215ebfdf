#include "mycelium/catalog/audit_log.hpp"

#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/pg/spi.hpp"

#include <algorithm>

extern "C" {
#include "catalog/pg_type.h"
#include "utils/timestamp.h"
}

namespace mycelium::catalog {

void append_audit_entry(const AuditAppend &e, AuditSource source) {
  static pg::Statement written(
      "INSERT INTO mycelium.audit_log (shard_id, seq, op, key, version, value, created_by, "
      "  signature, created_at, origin_node, prev_hash, entry_hash, link_signature, term) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)");
  static pg::Statement applied(
      "INSERT INTO mycelium.audit_log (shard_id, seq, op, key, version, value, created_by, "
      "  signature, created_at, origin_node, prev_hash, entry_hash, link_signature, term, "
      "  push_state) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'applied')");
  pg::Statement &insert = source == AuditSource::Primary ? written : applied;
  ext::InternalScope scope(ext::InternalOp::AuditAppend);
  insert.execute({pg::text_param(e.shard_id), pg::int8_param(e.seq), pg::text_param(e.op),
                  pg::text_param(e.key), pg::int4_param(e.version),
                  pg::datum_param(JSONBOID, e.value, e.value_null), pg::text_param(e.created_by),
                  pg::text_param(e.signature_hex),
                  pg::datum_param(TIMESTAMPTZOID, TimestampTzGetDatum(e.created_at)),
                  pg::text_param(e.origin_node),
                  pg::bytea_param(reinterpret_cast<const std::uint8_t *>(e.prev_hash.data()),
                                  e.prev_hash.size()),
                  pg::bytea_param(reinterpret_cast<const std::uint8_t *>(e.entry_hash.data()),
                                  e.entry_hash.size()),
                  pg::text_param(e.link_signature_hex), pg::int8_param(e.term)});
}

std::optional<std::string> audit_entry_hash_at(const std::string &shard_id, std::int64_t seq) {
  static pg::Statement at(
      "SELECT entry_hash FROM mycelium.audit_log WHERE shard_id = $1 AND seq = $2");
  if (at.execute({pg::text_param(shard_id), pg::int8_param(seq)}) == 0)
    return std::nullopt;
  return pg::result_bytes(0, 1);
}

std::optional<std::int64_t> audit_term_at(const std::string &shard_id, std::int64_t seq) {
  static pg::Statement at("SELECT term FROM mycelium.audit_log WHERE shard_id = $1 AND seq = $2");
  if (at.execute({pg::text_param(shard_id), pg::int8_param(seq)}) == 0)
    return std::nullopt;
  return pg::result_int(0, 1);
}

std::vector<AuditEntry> audit_entries_after(const std::string &shard_id, std::int64_t after_seq,
                                            std::int64_t limit) {
  static pg::Statement page(
      "SELECT change_id, seq, op, key, version, value::text, created_by, signature, "
      "       origin_node, prev_hash, "
      "       mycelium._timestamptz_to_us(created_at), entry_hash, link_signature, term "
      "  FROM mycelium.audit_log WHERE shard_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
  const std::uint64_t n =
      page.execute({pg::text_param(shard_id), pg::int8_param(after_seq), pg::int8_param(limit)});
  std::vector<AuditEntry> entries;
  entries.reserve(n);
  for (std::uint64_t row = 0; row < n; ++row) {
    AuditEntry e;
    e.change_id = pg::result_int(row, 1).value_or(0);
    e.seq = pg::result_int(row, 2).value_or(0);
    e.op = pg::result_text(row, 3).value_or("");
    e.key = pg::result_text(row, 4).value_or("");
    e.version = pg::result_int(row, 5).value_or(0);
    e.value_json = pg::result_text(row, 6);
    e.created_by = pg::result_text(row, 7).value_or("");
    e.signature_hex = pg::result_text(row, 8).value_or("");
    e.origin_node = pg::result_text(row, 9).value_or("");
    e.prev_hash = pg::result_bytes(row, 10);
    e.created_at_us = pg::result_int(row, 11).value_or(0);
    e.entry_hash = pg::result_bytes(row, 12);
    e.link_signature_hex = pg::result_text(row, 13).value_or("");
    e.term = pg::result_int(row, 14).value_or(0);
    entries.push_back(std::move(e));
  }
  return entries;
}

const std::string &inbox_rows_after_query() {
  static const std::string query =
      "SELECT shard_id, seq, op, key, version, value, created_by, signature, created_at, "
      "origin_node, prev_hash, entry_hash, link_signature, term FROM mycelium.audit_log "
      "WHERE shard_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
  return query;
}

std::vector<std::string> audit_origins(const std::string &shard_id) {
  static pg::Statement origins(
      "SELECT DISTINCT origin_node FROM mycelium.audit_log WHERE shard_id = $1");
  const std::uint64_t n = origins.execute({pg::text_param(shard_id)});
  std::vector<std::string> nodes;
  for (std::uint64_t row = 0; row < n; ++row)
    nodes.push_back(pg::result_text(row, 1).value_or(""));
  return nodes;
}

void mark_entries_synced(const std::string &shard_id) {
  // Every active replica has the entries up to the lowest pushed_seq; the pending ones among
  // them are marked a range at a time. One UPDATE of them all (an initial copy of 1,000,000
  // entries) held executor memory in proportion to the rows until it ended (bench/scale.sh).
  static pg::Statement bounds(
      "SELECT (SELECT min(seq) FROM mycelium.audit_log WHERE shard_id = $1 "
      "          AND push_state = 'pending'), "
      "       (SELECT min(pushed_seq) FROM mycelium.replicas WHERE shard_id = $1 "
      "          AND status = 'active')");
  static pg::Statement mark("UPDATE mycelium.audit_log SET push_state = 'synced' "
                            " WHERE shard_id = $1 AND push_state = 'pending' "
                            "   AND seq >= $2 AND seq <= $3");
  constexpr std::int64_t kRange = 10000;
  bounds.execute({pg::text_param(shard_id)});
  const std::optional<std::int64_t> first = pg::result_int(0, 1);
  const std::optional<std::int64_t> last = pg::result_int(0, 2);
  if (!first || !last)
    return;
  ext::InternalScope scope(ext::InternalOp::StatusUpdate);
  for (std::int64_t from = *first; from <= *last; from += kRange)
    mark.execute({pg::text_param(shard_id), pg::int8_param(from),
                  pg::int8_param(std::min(*last, from + kRange - 1))});
}

void delete_audit_entries(const std::string &shard_id) {
  static pg::Statement log("DELETE FROM mycelium.audit_log WHERE shard_id = $1");
  log.execute({pg::text_param(shard_id)});
}

std::optional<RecordMismatch> first_record_mismatch(const std::string &shard_id,
                                                    std::int64_t base_seq) {
  static pg::Statement problems(
      "WITH latest AS ("
      "  SELECT DISTINCT ON (c.key) c.change_id, c.key, c.op, c.version, c.value, c.created_by, "
      "         c.signature "
      "    FROM mycelium.audit_log c WHERE c.shard_id = $1 AND c.seq > $2 "
      "   ORDER BY c.key, c.seq DESC), "
      "keys AS (SELECT l.key FROM latest l "
      "         UNION SELECT d.key FROM mycelium.data d WHERE d.shard_id = $1 "
      "         UNION SELECT t.key FROM mycelium.tombstones t WHERE t.shard_id = $1), "
      "checked AS ("
      "  SELECT k.key, l.change_id, CASE "
      "    WHEN l.key IS NULL AND d.key IS NOT NULL THEN format("
      "      'record %I (version %s) has no audit entry', k.key, d.version) "
      "    WHEN l.key IS NULL THEN format('the tombstone of %I has no audit entry', k.key) "
      "    WHEN l.op = 'put' AND d.key IS NULL THEN format("
      "      'record %I is missing: the log''s latest entry for it is a put of version %s', "
      "      k.key, l.version) "
      "    WHEN l.op = 'put' AND (d.version, d.created_by) IS DISTINCT FROM (l.version, "
      "l.created_by) "
      "      THEN format('record %I is version %s by %s, but the log''s latest entry for it is a "
      "put of version %s by %s', k.key, d.version, d.created_by, l.version, l.created_by) "
      "    WHEN l.op = 'put' AND (d.signature IS DISTINCT FROM l.signature OR d.value IS DISTINCT "
      "      FROM l.value) THEN format('record %I differs from the log''s put of version %s', "
      "      k.key, l.version) "
      "    WHEN l.op = 'put' AND t.version >= l.version THEN format("
      "      'the tombstone of %I (version %s) is not older than its latest put (version %s)', "
      "      k.key, t.version, l.version) "
      "    WHEN l.op = 'delete' AND d.key IS NOT NULL THEN format("
      "      'record %I (version %s) exists, but the log''s latest entry for it is a delete of "
      "version %s', k.key, d.version, l.version) "
      "    WHEN l.op = 'delete' AND (t.version, t.created_by, t.signature) IS DISTINCT FROM "
      "      (l.version, l.created_by, l.signature) THEN format("
      "      'the tombstone of %I does not match the log''s delete of version %s', "
      "      k.key, l.version) "
      "  END AS problem "
      "  FROM keys k LEFT JOIN latest l ON l.key = k.key "
      "  LEFT JOIN mycelium.data d ON d.shard_id = $1 AND d.key = k.key "
      "  LEFT JOIN mycelium.tombstones t ON t.shard_id = $1 AND t.key = k.key) "
      // Aggregates, not ORDER BY key LIMIT 1 with a window count: with table statistics the
      // planner costed that form as stopping after one row and chose a nested loop of every key
      // against the log, quadratic in the shard's size (a 40,000-entry shard did not finish in
      // 12 minutes). All rows are needed for the count anyway.
      "SELECT count(*), (array_agg(c.change_id ORDER BY c.key))[1], "
      "       (array_agg(c.problem ORDER BY c.key))[1] "
      "  FROM checked c WHERE c.problem IS NOT NULL");
  problems.execute({pg::text_param(shard_id), pg::int8_param(base_seq)});
  if (pg::result_int(0, 1).value_or(0) == 0)
    return std::nullopt;
  RecordMismatch mismatch;
  mismatch.keys = pg::result_int(0, 1).value_or(1);
  mismatch.change_id = pg::result_int(0, 2);
  mismatch.problem = pg::result_text(0, 3).value_or("a record does not match the log");
  return mismatch;
}

} // namespace mycelium::catalog
