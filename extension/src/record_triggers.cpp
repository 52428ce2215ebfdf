// The triggers of mycelium.data (puts) and mycelium.tombstones (deletes). Whatever the path
// (mycelium.put/delete, INSERT, UPDATE, INSERT ... ON CONFLICT, MERGE, COPY, writable CTEs, a
// statement naming a partition), a record changes only when its signature verifies against the
// registered key of an active, responsible validator and its version is exactly the next one,
// and every change that took effect is logged exactly once.
//
// Two triggers per table, because a BEFORE ROW trigger sees rows that may never be written:
// INSERT ... ON CONFLICT fires the BEFORE INSERT trigger for the proposed row and then either
// skips it (DO NOTHING) or turns it into an UPDATE (DO UPDATE, which fires BEFORE UPDATE too).
// Verifying and logging there logged changes that never happened, or one change twice.
//  - guard_*  (BEFORE ROW): checks that need no lookup: deletes only through the extension,
//    immutable columns, no writes through a foreign (remote) partition.
//  - verify_* (AFTER ROW): fires once per row that was really inserted or updated, with the
//    final row; verifies it and appends it to the audit log. Raising here rolls the statement
//    back like any constraint check.
#include "mycelium/canonical_json.hpp"
#include "mycelium/error.hpp"
#include "mycelium/catalog/records.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/ext/statement_writes.hpp"
#include "mycelium/ext/write_checks.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"
#include "mycelium/pg/trigger_row.hpp"
#include "mycelium/signing.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "utils/rel.h"
}

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

HeapTuple result_tuple(const TriggerData *trigger) {
  return TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? trigger->tg_newtuple : trigger->tg_trigtuple;
}

} // namespace

// BEFORE INSERT OR UPDATE OR DELETE ON mycelium.data.
MYCELIUM_SQL_FUNCTION(mycelium_guard_data_change) {
  TriggerData *trigger = pg::row_trigger_data(fcinfo, "guard_data_change");
  const TupleDesc desc = trigger->tg_relation->rd_att;
  const pg::TriggerRow old_row(trigger->tg_trigtuple, desc);

  if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event)) {
    // Only a verified tombstone (mycelium.delete, or a signed row in mycelium.tombstones)
    // removes a record; on a replica, only the inbox applying a verified entry.
    const std::string shard_id = old_row.text("shard_id");
    if (!InternalScope::active(InternalOp::SignedDelete, shard_id, old_row.text("key")) &&
        !InternalScope::active(InternalOp::ReplicaApply, shard_id))
      throw Error(sqlstate::kUnsignedDelete,
                  "records are deleted only by a signed delete: use mycelium.delete() or insert "
                  "a signed row into mycelium.tombstones");
    return PointerGetDatum(trigger->tg_trigtuple);
  }
  // A remote shard is written on its own node; refused here, before postgres_fdw sends it.
  if (trigger->tg_relation->rd_rel->relkind == RELKIND_FOREIGN_TABLE)
    throw Error(sqlstate::kNotPrimary, "shard \"" + old_row.text("shard_id") +
                                           "\" is a read-only remote on this node: it is written "
                                           "on its primary node only");
  if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
    check_immutable(old_row, pg::TriggerRow(trigger->tg_newtuple, desc), "mycelium.data");
  return PointerGetDatum(result_tuple(trigger));
}

// AFTER INSERT OR UPDATE ON mycelium.data: a put that took effect.
MYCELIUM_SQL_FUNCTION(mycelium_verify_data_change) {
  TriggerData *trigger = pg::after_row_trigger_data(fcinfo, "verify_data_change");
  const TupleDesc desc = trigger->tg_relation->rd_att;
  const bool is_update = TRIGGER_FIRED_BY_UPDATE(trigger->tg_event);
  const pg::TriggerRow row(result_tuple(trigger), desc);

  // The inbox verified this replicated entry already, against this node's own keys.
  if (InternalScope::active(InternalOp::ReplicaApply, row.text("shard_id")))
    return PointerGetDatum(nullptr);

  ext::Change change = read_change(row, "put");
  pg::SpiConnection spi;
  ext::RowBatch batch;
  const PublicKey key = batch->signer_key(change.created_by);
  const catalog::ShardHead &head = batch->head(change.shard_id);
  catalog::check_responsible(head, change.created_by);
  // AFTER ROW triggers run when the whole statement is done. If a later action of the same
  // statement already replaced or deleted this row (a writable CTE inserting a tombstone, say),
  // logging it now would put the log out of step with the data: refused instead.
  const catalog::KeyVersions versions =
      catalog::key_versions(head.partition, change.shard_id, change.key);
  if (versions.live != change.version)
    throw Error(sqlstate::kCardinalityViolation,
                "put of \"" + change.key +
                    "\": the record was changed again by the same "
                    "statement; write each key once per statement");
  // An update replaced the live row (the old row is the current version); an insert made a
  // key live that was absent, so its current version is its tombstone's, if any.
  const std::int64_t current =
      is_update ? pg::TriggerRow(trigger->tg_trigtuple, desc).int4("version") : versions.tombstone;
  ext::check_next_version(change.version, current, "put of \"" + change.key + "\"");

  change.payload = put_payload(change.shard_id, change.key, change.version, change.created_by,
                               canonical_json(pg::jsonb_text(change.value), "value"));
  // The signature is checked, and the entry logged, with the statement's other rows.
  batch->append(ext::signed_change(std::move(change), key, "put"));
  batch.finish_row();
  return PointerGetDatum(nullptr);
}

// BEFORE UPDATE OR DELETE ON mycelium.tombstones.
MYCELIUM_SQL_FUNCTION(mycelium_guard_tombstone_change) {
  TriggerData *trigger = pg::row_trigger_data(fcinfo, "guard_tombstone_change");
  const TupleDesc desc = trigger->tg_relation->rd_att;
  const pg::TriggerRow old_row(trigger->tg_trigtuple, desc);
  if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event)) {
    // A tombstone is what stops an old put from being replayed: it goes only with its shard, or
    // when the delete that made it was superseded by an elected shard's later epoch (its entry
    // moved aside, the key restored to what the remaining entries say).
    if (!InternalScope::active(InternalOp::DropShard, old_row.text("shard_id")) &&
        !InternalScope::active(InternalOp::MoveAside, old_row.text("shard_id")))
      throw Error(sqlstate::kAuditLogAppendOnly,
                  "tombstones are permanent; they are removed only by mycelium.drop_shard()");
    return PointerGetDatum(trigger->tg_trigtuple);
  }
  if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
    check_immutable(old_row, pg::TriggerRow(trigger->tg_newtuple, desc), "mycelium.tombstones");
  return PointerGetDatum(result_tuple(trigger));
}

// AFTER INSERT OR UPDATE ON mycelium.tombstones: a delete that took effect. Inserting a
// tombstone, or moving an existing one to a newer version, deletes the key's live record.
MYCELIUM_SQL_FUNCTION(mycelium_verify_tombstone) {
  TriggerData *trigger = pg::after_row_trigger_data(fcinfo, "verify_tombstone");
  const TupleDesc desc = trigger->tg_relation->rd_att;
  const pg::TriggerRow row(result_tuple(trigger), desc);

  if (InternalScope::active(InternalOp::ReplicaApply, row.text("shard_id")))
    return PointerGetDatum(nullptr);

  ext::Change change = read_change(row, "delete");
  pg::SpiConnection spi;
  ext::RowBatch batch;
  const PublicKey key = batch->signer_key(change.created_by);
  const catalog::ShardHead &head = batch->head(change.shard_id);
  catalog::check_responsible(head, change.created_by);
  const Oid partition = head.partition;
  const catalog::KeyVersions versions =
      catalog::key_versions(partition, change.shard_id, change.key);
  const std::optional<std::int64_t> live = versions.live;
  // The tombstone must still be this row (see verify_data_change): a later action of the same
  // statement may have moved it on.
  if (versions.tombstone != change.version)
    throw Error(sqlstate::kCardinalityViolation,
                "delete of \"" + change.key +
                    "\": the tombstone was changed again by the same "
                    "statement; write each key once per statement");
  if (!live)
    throw Error(sqlstate::kNothingToDelete, "delete of \"" + change.key + "\": shard \"" +
                                                change.shard_id + "\" holds no such record");
  // The live record is the current version, and it is newer than any earlier tombstone of the
  // key, so a tombstone's version only ever moves forward.
  ext::check_next_version(change.version, *live, "delete of \"" + change.key + "\"");

  change.payload = delete_payload(change.shard_id, change.key, change.version, change.created_by);
  const std::string shard_id = change.shard_id;
  const std::string record_key = change.key;
  // The signature is checked, and the entry logged, with the statement's other rows; a bad one
  // fails the statement, the record's removal with it.
  batch->append(ext::signed_change(std::move(change), key, "delete"));
  catalog::remove_record(partition, shard_id, record_key);
  batch.finish_row();
  return PointerGetDatum(nullptr);
}
