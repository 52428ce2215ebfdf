#include "mycelium/catalog/blacklist.hpp"

#include "mycelium/pg/spi.hpp"

namespace mycelium::catalog {

void lock_blacklist_for_add(const std::string &node_id) {
  // The same key as blacklist_lift's exclusive lock (mycelium--*.sql).
  static pg::Statement lock(
      "SELECT pg_advisory_xact_lock_shared(hashtext('mycelium.blacklist'), hashtext($1))");
  lock.execute({pg::text_param(node_id)});
}

bool lifted_since(const std::string &node_id, std::int64_t created_at_ms) {
  static pg::Statement lifted(
      "SELECT 1 FROM mycelium.blacklist_lifts WHERE node_id = $1 AND lifted_at_ms >= $2");
  return lifted.execute({pg::text_param(node_id), pg::int8_param(created_at_ms)}) > 0;
}

bool store_blacklist_entry(const BlacklistEntryRow &e) {
  // With equal created_at_ms the entry held first stays (the creator signed both; either is its
  // vote), as in the agent's policy.
  static pg::Statement upsert(
      "INSERT INTO mycelium.blacklist AS b (node_id, created_by, reason, created_at_ms, "
      "  expires_at_ms, signature, received_from) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (node_id, created_by) DO UPDATE SET reason = EXCLUDED.reason, "
      "  created_at_ms = EXCLUDED.created_at_ms, expires_at_ms = EXCLUDED.expires_at_ms, "
      "  signature = EXCLUDED.signature, received_from = EXCLUDED.received_from, "
      "  added_at = now() "
      "WHERE b.created_at_ms < EXCLUDED.created_at_ms");
  return upsert.execute({pg::text_param(e.node_id), pg::text_param(e.created_by),
                         pg::text_param(e.reason), pg::int8_param(e.created_at_ms),
                         pg::int8_param(e.expires_at_ms), pg::text_param(e.signature_hex),
                         pg::optional_text_param(e.received_from)}) > 0;
}

bool holds_blacklist_entry(const BlacklistEntryRow &e) {
  static pg::Statement same(
      "SELECT 1 FROM mycelium.blacklist WHERE node_id = $1 AND created_by = $2 AND reason = $3 "
      "  AND created_at_ms = $4 AND expires_at_ms = $5 AND signature = $6");
  return same.execute({pg::text_param(e.node_id), pg::text_param(e.created_by),
                       pg::text_param(e.reason), pg::int8_param(e.created_at_ms),
                       pg::int8_param(e.expires_at_ms), pg::text_param(e.signature_hex)}) > 0;
}

} // namespace mycelium::catalog
