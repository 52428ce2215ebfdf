#include "mycelium/catalog/replicas.hpp"

#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace mycelium::catalog {

bool insert_replica(const std::string &shard_id, const std::string &node_id) {
  static pg::Statement add("INSERT INTO mycelium.replicas (shard_id, node_id) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING");
  return add.execute({pg::text_param(shard_id), pg::text_param(node_id)}) > 0;
}

void set_replica_active(const std::string &shard_id, const std::string &node_id) {
  static pg::Statement active(
      "UPDATE mycelium.replicas SET status = 'active' WHERE shard_id = $1 AND node_id = $2");
  active.execute({pg::text_param(shard_id), pg::text_param(node_id)});
}

bool delete_replica(const std::string &shard_id, const std::string &node_id) {
  static pg::Statement remove("DELETE FROM mycelium.replicas WHERE shard_id = $1 AND node_id = $2");
  return remove.execute({pg::text_param(shard_id), pg::text_param(node_id)}) > 0;
}

std::vector<std::string> replica_nodes(const std::string &shard_id) {
  static pg::Statement nodes(
      "SELECT node_id FROM mycelium.replicas WHERE shard_id = $1 ORDER BY node_id");
  const std::uint64_t n = nodes.execute({pg::text_param(shard_id)});
  std::vector<std::string> ids;
  for (std::uint64_t row = 0; row < n; ++row)
    ids.push_back(pg::result_text(row, 1).value_or(""));
  return ids;
}

std::int64_t lock_replica_for_push(const std::string &shard_id, const std::string &node_id) {
  static pg::Statement claim("SELECT pushed_seq FROM mycelium.replicas "
                             "WHERE shard_id = $1 AND node_id = $2 FOR UPDATE");
  if (claim.execute({pg::text_param(shard_id), pg::text_param(node_id)}) == 0)
    return 0;
  return pg::result_int(0, 1).value_or(0);
}

void record_pushed(const std::string &shard_id, const std::string &node_id, std::int64_t head_seq) {
  static pg::Statement progress(
      "UPDATE mycelium.replicas SET pushed_seq = $3, pushed_at = now(), last_attempt = now() "
      "WHERE shard_id = $1 AND node_id = $2");
  progress.execute({pg::text_param(shard_id), pg::text_param(node_id), pg::int8_param(head_seq)});
}

void record_push_failure(const std::string &shard_id, const std::string &node_id,
                         const std::string &error, bool diverged) {
  static pg::Statement failed(
      "UPDATE mycelium.replicas SET attempts = attempts + 1, last_attempt = now(), "
      "  last_error = $3, next_attempt = now() + "
      // 1, 2, 4, 8, then every 10 s: a replica that is back is found within 10 s (shard_health
      // said 'failing' for up to a minute after the node had caught up).
      "    least(interval '10 seconds', interval '1 second' * power(2, least(attempts, 4))), "
      "  status = CASE WHEN $4 THEN 'diverged' ELSE status END "
      "WHERE shard_id = $1 AND node_id = $2");
  failed.execute({pg::text_param(shard_id), pg::text_param(node_id), pg::text_param(error),
                  pg::datum_param(BOOLOID, BoolGetDatum(diverged))});
}

void record_push_success(const std::string &shard_id, const std::string &node_id) {
  static pg::Statement ok(
      "UPDATE mycelium.replicas SET attempts = 0, last_error = NULL, next_attempt = NULL, "
      "  status = CASE WHEN status = 'diverged' THEN 'active' ELSE status END "
      "WHERE shard_id = $1 AND node_id = $2");
  ok.execute({pg::text_param(shard_id), pg::text_param(node_id)});
}

std::vector<ReplicaRef> replicas_due(const std::optional<std::string> &shard_id,
                                     bool respect_backoff) {
  static pg::Statement targets(
      "SELECT r.shard_id, r.node_id FROM mycelium.replicas r JOIN mycelium.shards s "
      "  USING (shard_id) WHERE s.kind = 'primary' AND ($1::text IS NULL OR r.shard_id = $1) "
      "   AND (NOT $2 OR r.next_attempt IS NULL OR r.next_attempt <= now()) "
      // Up-to-date replicas too, every 10 s (every time for push_now): a replica that lost its
      // copy or diverged is found without waiting for the next write.
      "   AND (NOT $2 OR r.pushed_seq < s.head_seq OR r.last_error IS NOT NULL "
      "        OR r.last_attempt IS NULL OR r.last_attempt < now() - interval '10 seconds') "
      " ORDER BY r.shard_id, r.node_id");
  const std::uint64_t n = targets.execute(
      {pg::optional_text_param(shard_id), pg::datum_param(BOOLOID, BoolGetDatum(respect_backoff))});
  std::vector<ReplicaRef> due;
  for (std::uint64_t row = 0; row < n; ++row)
    due.push_back({pg::result_text(row, 1).value_or(""), pg::result_text(row, 2).value_or("")});
  return due;
}

void adopt_epoch_holders(const std::string &shard_id, const std::string &self) {
  static pg::Statement not_self(
      "DELETE FROM mycelium.replicas WHERE shard_id = $1 AND node_id = $2");
  static pg::Statement holders(
      "INSERT INTO mycelium.replicas (shard_id, node_id, status) "
      "SELECT DISTINCT $1, e.primary_node, 'active' FROM mycelium.shard_epochs e "
      "  JOIN mycelium.node_metadata m ON m.node_id = e.primary_node "
      " WHERE e.shard_id = $1 AND e.primary_node <> $2 AND m.is_active "
      "ON CONFLICT DO NOTHING");
  not_self.execute({pg::text_param(shard_id), pg::text_param(self)});
  holders.execute({pg::text_param(shard_id), pg::text_param(self)});
}

void adopt_group_members(const std::string &shard_id, const std::string &self,
                         const std::vector<std::string> &members) {
  static pg::Statement adopt(
      "INSERT INTO mycelium.replicas (shard_id, node_id, status) "
      "SELECT $1, m.node_id, 'active' FROM mycelium.node_metadata m "
      " WHERE m.node_id = $2 AND m.node_id <> $3 AND m.node_type = 'validator' AND m.is_active "
      "ON CONFLICT DO NOTHING");
  for (const std::string &member : members)
    adopt.execute({pg::text_param(shard_id), pg::text_param(member), pg::text_param(self)});
}

void clamp_pushed_seq(const std::string &shard_id, std::int64_t seq) {
  static pg::Statement clamp("UPDATE mycelium.replicas SET pushed_seq = $2 "
                             "WHERE shard_id = $1 AND pushed_seq > $2");
  clamp.execute({pg::text_param(shard_id), pg::int8_param(seq)});
}

std::int64_t lock_last_control(const std::string &shard_id) {
  static pg::Statement last("SELECT issued_at_us FROM mycelium.replica_controls "
                            "WHERE shard_id = $1 FOR UPDATE");
  if (last.execute({pg::text_param(shard_id)}) == 0)
    return 0;
  return pg::result_int(0, 1).value_or(0);
}

void record_control(const std::string &shard_id, const std::string &primary_node,
                    const std::string &op, std::int64_t issued_at_us,
                    const std::string &signature_hex) {
  static pg::Statement remember(
      "INSERT INTO mycelium.replica_controls AS c (shard_id, primary_node, op, issued_at_us, "
      "  signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shard_id) DO UPDATE SET "
      "  primary_node = EXCLUDED.primary_node, op = EXCLUDED.op, "
      "  issued_at_us = EXCLUDED.issued_at_us, signature = EXCLUDED.signature, "
      "  accepted_at = now()");
  remember.execute({pg::text_param(shard_id), pg::text_param(primary_node), pg::text_param(op),
                    pg::int8_param(issued_at_us), pg::text_param(signature_hex)});
}

void record_inbox_rejection(const std::string &shard_id, std::int64_t seq,
                            const std::string &origin_node, const std::string &sqlstate,
                            const std::string &reason) {
  static pg::Statement insert("INSERT INTO mycelium.inbox_rejections "
                              "(shard_id, seq, origin_node, sqlstate, reason) "
                              "VALUES ($1, $2, $3, $4, $5)");
  insert.execute({pg::text_param(shard_id), pg::int8_param(seq), pg::text_param(origin_node),
                  pg::text_param(sqlstate), pg::text_param(reason)});
}

} // namespace mycelium::catalog
