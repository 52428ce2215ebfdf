// The verifying triggers of mycelium.data (puts) and mycelium.tombstones (deletes). Whatever the
// path (mycelium.put/delete, plain INSERT/UPDATE, COPY), a record changes only when its
// signature verifies against the registered key of an active, responsible validator and its
// version is exactly the next one. Checks run cheapest first; verification comes last.
#include "mycelium/canonical_json.hpp"
#include "mycelium/error.hpp"
#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/ext/write_checks.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"
#include "mycelium/pg/trigger_row.hpp"
#include "mycelium/signing.hpp"

using namespace mycelium;
using mycelium::ext::InternalOp;
using mycelium::ext::InternalScope;

namespace {

void check_immutable(const pg::TriggerRow &old_row, const pg::TriggerRow &new_row,
                     const char *table) {
  for (const char *column : {"shard_id", "key"})
    if (old_row.text(column) != new_row.text(column))
      throw Error(sqlstate::kImmutableColumn,
                  std::string(column) + " of a " + table + " row cannot change");
}

// The signed fields of the written row, parsed and range-checked (22023 on bad input).
ext::Change read_change(const pg::TriggerRow &row, const char *op) {
  ext::Change change;
  change.op = op;
  change.shard_id = row.text("shard_id");
  change.key = row.text("key");
  change.version = row.int4("version");
  change.created_by = row.text("created_by");
  change.signature_hex = row.text("signature");
  change.value = std::string(op) == "put" ? row.datum("value") : Datum(0);
  change.signature = parse_signature(change.signature_hex);
  check_version(change.version);
  return change;
}

std::string canonical_value(Datum value) {
  return canonical_json(pg::jsonb_text(value), "value");
}

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_verify_data_change) {
  TriggerData *trigger = pg::row_trigger_data(fcinfo, "verify_data_change");
  const TupleDesc desc = trigger->tg_relation->rd_att;
  const pg::TriggerRow old_row(trigger->tg_trigtuple, desc);

  // The inbox verified this replicated entry already, against this node's own keys.
  if (InternalScope::active(InternalOp::ReplicaApply, old_row.text("shard_id")))
    return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? trigger->tg_newtuple
                                                                      : trigger->tg_trigtuple);

  if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event)) {
    // Only a verified tombstone (mycelium.delete, or a signed INSERT into mycelium.tombstones)
    // removes a record.
    if (!InternalScope::active(InternalOp::SignedDelete, old_row.text("shard_id"),
                               old_row.text("key")))
      throw Error(sqlstate::kUnsignedDelete,
                  "records are deleted only by a signed delete: use mycelium.delete() or insert "
                  "a signed row into mycelium.tombstones");
    return PointerGetDatum(trigger->tg_trigtuple);
  }

  const bool is_update = TRIGGER_FIRED_BY_UPDATE(trigger->tg_event);
  HeapTuple tuple = is_update ? trigger->tg_newtuple : trigger->tg_trigtuple;
  const pg::TriggerRow row(tuple, desc);
  if (is_update)
    check_immutable(old_row, row, "mycelium.data");

  ext::Change change = read_change(row, "put");

  pg::SpiConnection spi;
  const PublicKey key = ext::check_signer(change.created_by);
  const ext::ShardHead head = ext::lock_shard_for_write(change.shard_id, change.created_by);
  const std::int64_t current =
      is_update ? old_row.int4("version")
                : ext::current_version(head.partition, change.shard_id, change.key);
  ext::check_next_version(change.version, current, "put of \"" + change.key + "\"");

  change.payload = put_payload(change.shard_id, change.key, change.version, change.created_by,
                               canonical_value(change.value));
  ext::check_signature(change.signature, change.payload, key, "put");
  ext::append_audit(change, head);
  return PointerGetDatum(tuple);
}

MYCELIUM_SQL_FUNCTION(mycelium_verify_tombstone) {
  TriggerData *trigger = pg::row_trigger_data(fcinfo, "verify_tombstone");
  const TupleDesc desc = trigger->tg_relation->rd_att;
  const pg::TriggerRow old_row(trigger->tg_trigtuple, desc);

  if (InternalScope::active(InternalOp::ReplicaApply, old_row.text("shard_id")))
    return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? trigger->tg_newtuple
                                                                      : trigger->tg_trigtuple);

  if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event)) {
    // A tombstone is what stops an old put from being replayed: it goes only with its shard.
    if (!InternalScope::active(InternalOp::DropShard, old_row.text("shard_id")))
      throw Error(sqlstate::kAuditLogAppendOnly,
                  "tombstones are permanent; they are removed only by mycelium.drop_shard()");
    return PointerGetDatum(trigger->tg_trigtuple);
  }

  const bool is_update = TRIGGER_FIRED_BY_UPDATE(trigger->tg_event);
  HeapTuple tuple = is_update ? trigger->tg_newtuple : trigger->tg_trigtuple;
  const pg::TriggerRow row(tuple, desc);
  if (is_update)
    check_immutable(old_row, row, "mycelium.tombstones");

  ext::Change change = read_change(row, "delete");

  pg::SpiConnection spi;
  const PublicKey key = ext::check_signer(change.created_by);
  const ext::ShardHead head = ext::lock_shard_for_write(change.shard_id, change.created_by);
  static pg::PerRelationStatements live_version([](const std::string &partition) {
    return "SELECT version FROM " + partition + " WHERE key = $1 FOR UPDATE";
  });
  if (live_version.for_relation(head.partition).execute({pg::text_param(change.key)}) == 0)
    throw Error(sqlstate::kNothingToDelete, "delete of \"" + change.key + "\": shard \"" +
                                                change.shard_id + "\" holds no such record");
  ext::check_next_version(change.version, pg::result_int(0, 1).value_or(0),
                          "delete of \"" + change.key + "\"");

  change.payload = delete_payload(change.shard_id, change.key, change.version, change.created_by);
  ext::check_signature(change.signature, change.payload, key, "delete");
  ext::append_audit(change, head);

  static pg::PerRelationStatements remove(
      [](const std::string &partition) { return "DELETE FROM " + partition + " WHERE key = $1"; });
  InternalScope scope(InternalOp::SignedDelete, change.shard_id, change.key);
  remove.for_relation(head.partition).execute({pg::text_param(change.key)});
  return PointerGetDatum(tuple);
}
