#include "mycelium/catalog/epochs.hpp"

#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/pg/spi.hpp"

namespace mycelium::catalog {

namespace {

constexpr const char *kEpochColumns =
    "SELECT term, primary_node, start_seq, start_hash FROM mycelium.shard_epochs ";

ShardEpoch epoch_of(std::uint64_t row) {
  ShardEpoch e;
  e.term = pg::result_int(row, 1).value_or(0);
  e.primary_node = pg::result_text(row, 2).value_or("");
  e.start_seq = pg::result_int(row, 3).value_or(0);
  e.start_hash = pg::result_bytes(row, 4).value_or("");
  return e;
}

} // namespace

std::vector<ShardEpoch> shard_epochs(const std::string &shard_id) {
  static pg::Statement all(std::string(kEpochColumns) + "WHERE shard_id = $1 ORDER BY term");
  const std::uint64_t n = all.execute({pg::text_param(shard_id)});
  std::vector<ShardEpoch> epochs;
  epochs.reserve(n);
  for (std::uint64_t row = 0; row < n; ++row)
    epochs.push_back(epoch_of(row));
  return epochs;
}

std::optional<ShardEpoch> shard_epoch(const std::string &shard_id, std::int64_t term) {
  static pg::Statement one(std::string(kEpochColumns) + "WHERE shard_id = $1 AND term = $2");
  if (one.execute({pg::text_param(shard_id), pg::int8_param(term)}) == 0)
    return std::nullopt;
  return epoch_of(0);
}

void insert_shard_epoch(const std::string &shard_id, const ShardEpoch &epoch) {
  static pg::Statement insert("INSERT INTO mycelium.shard_epochs (shard_id, term, primary_node, "
                              "  start_seq, start_hash) VALUES ($1, $2, $3, $4, $5)");
  insert.execute({pg::text_param(shard_id), pg::int8_param(epoch.term),
                  pg::text_param(epoch.primary_node), pg::int8_param(epoch.start_seq),
                  pg::bytea_param(reinterpret_cast<const std::uint8_t *>(epoch.start_hash.data()),
                                  epoch.start_hash.size())});
}

std::int64_t move_aside_after(const std::string &shard_id, std::int64_t after_seq,
                              std::int64_t base_seq, std::int64_t term, const std::string &reason) {
  static pg::Statement keep(
      "INSERT INTO mycelium.moved_aside_entries (shard_id, seq, term, op, key, version, value, "
      "  created_by, signature, created_at, origin_node, prev_hash, entry_hash, link_signature, "
      "  superseded_by_term, reason) "
      "SELECT shard_id, seq, term, op, key, version, value, created_by, signature, created_at, "
      "       origin_node, prev_hash, entry_hash, link_signature, $3, $4 "
      "  FROM mycelium.audit_log WHERE shard_id = $1 AND seq > $2");
  static pg::Statement drop("DELETE FROM mycelium.audit_log WHERE shard_id = $1 AND seq > $2");
  // The keys the moved entries touched, as the entries up to the epoch's start left them: a
  // record when the latest remaining entry for the key is a put, a tombstone for its latest
  // remaining delete (a put after a delete leaves the older tombstone, as on the primary).
  // Entries up to base_seq belong to an earlier incarnation of the shard here (verify_audit).
  static pg::Statement drop_records(
      "DELETE FROM mycelium.data d WHERE d.shard_id = $1 AND d.key IN ("
      "  SELECT m.key FROM mycelium.moved_aside_entries m "
      "   WHERE m.shard_id = $1 AND m.superseded_by_term = $2)");
  static pg::Statement drop_tombstones(
      "DELETE FROM mycelium.tombstones t WHERE t.shard_id = $1 AND t.key IN ("
      "  SELECT m.key FROM mycelium.moved_aside_entries m "
      "   WHERE m.shard_id = $1 AND m.superseded_by_term = $2)");
  static pg::Statement restore_records(
      "INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature) "
      "SELECT l.shard_id, l.key, l.value, l.version, l.created_by, l.signature FROM ("
      "  SELECT DISTINCT ON (a.key) a.* FROM mycelium.audit_log a "
      "   WHERE a.shard_id = $1 AND a.seq > $3 AND a.key IN ("
      "     SELECT m.key FROM mycelium.moved_aside_entries m "
      "      WHERE m.shard_id = $1 AND m.superseded_by_term = $2) "
      "   ORDER BY a.key, a.seq DESC) l WHERE l.op = 'put'");
  static pg::Statement restore_tombstones(
      "INSERT INTO mycelium.tombstones (shard_id, key, version, created_by, signature, "
      "  deleted_at) "
      "SELECT DISTINCT ON (a.key) a.shard_id, a.key, a.version, a.created_by, a.signature, "
      "       a.created_at FROM mycelium.audit_log a "
      " WHERE a.shard_id = $1 AND a.seq > $3 AND a.op = 'delete' AND a.key IN ("
      "   SELECT m.key FROM mycelium.moved_aside_entries m "
      "    WHERE m.shard_id = $1 AND m.superseded_by_term = $2) "
      " ORDER BY a.key, a.seq DESC");

  const std::uint64_t moved = keep.execute({pg::text_param(shard_id), pg::int8_param(after_seq),
                                            pg::int8_param(term), pg::text_param(reason)});
  if (moved == 0)
    return 0;
  ext::InternalScope move_aside(ext::InternalOp::MoveAside, shard_id);
  // Rows written as the inbox writes verified entries: the verifying triggers let them through
  // (their signatures were checked when the entries were applied here).
  ext::InternalScope apply(ext::InternalOp::ReplicaApply, shard_id);
  drop.execute({pg::text_param(shard_id), pg::int8_param(after_seq)});
  drop_records.execute({pg::text_param(shard_id), pg::int8_param(term)});
  drop_tombstones.execute({pg::text_param(shard_id), pg::int8_param(term)});
  restore_records.execute(
      {pg::text_param(shard_id), pg::int8_param(term), pg::int8_param(base_seq)});
  restore_tombstones.execute(
      {pg::text_param(shard_id), pg::int8_param(term), pg::int8_param(base_seq)});
  return static_cast<std::int64_t>(moved);
}

MovedTerms moved_aside_terms(const std::string &shard_id, std::int64_t term) {
  static pg::Statement terms("SELECT min(term), max(term) FROM mycelium.moved_aside_entries "
                             "WHERE shard_id = $1 AND superseded_by_term = $2");
  terms.execute({pg::text_param(shard_id), pg::int8_param(term)});
  return MovedTerms{pg::result_int(0, 1).value_or(0), pg::result_int(0, 2).value_or(0)};
}

void delete_moved_aside_entries(const std::string &shard_id) {
  static pg::Statement remove("DELETE FROM mycelium.moved_aside_entries WHERE shard_id = $1");
  remove.execute({pg::text_param(shard_id)});
}

} // namespace mycelium::catalog
