// create_shard and drop_shard: a shard is a LIST partition of mycelium.data plus its row in
// mycelium.shards (responsible validators, replica count, audit chain head).
#include "mycelium/error.hpp"
#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/epochs.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/catalog/records.hpp"
#include "mycelium/catalog/replicas.hpp"
#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/ext/consensus_leases.hpp"
#include "mycelium/ext/shard_storage.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/shard_id.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "port.h"
#include "utils/array.h"
}

#include <optional>

using namespace mycelium;

namespace {

std::string generate_shard_id() {
  std::uint8_t random[8];
  if (!pg_strong_random(random, sizeof random)) // cannot raise: it reports failure as false
    throw Error(sqlstate::kInternalError, "could not generate a random shard id");
  return "shard_" + to_hex(random, sizeof random);
}

} // namespace

namespace mycelium::ext {

std::string create_shard_storage(const std::string &shard_id, catalog::ShardKind kind,
                                 const std::optional<std::string> &primary_node,
                                 std::int32_t replicas, Datum validators, bool any_validator) {
  if (const std::optional<catalog::ShardRow> existing =
          catalog::find_shard(shard_id, catalog::RowLock::for_update))
    throw Error(sqlstate::kDuplicateObject, "shard \"" + shard_id + "\" already exists (as " +
                                                std::string(catalog::to_string(existing->kind)) +
                                                ")");

  const std::string partition = catalog::partition_name(shard_id);
  pg::execute_sql("CREATE TABLE " + partition + " PARTITION OF mycelium.data FOR VALUES IN (" +
                  pg::quote_literal(shard_id) + ")");
  // One key per shard: the per-partition form of PRIMARY KEY (shard_id, key).
  pg::execute_sql("CREATE UNIQUE INDEX ON " + partition + " (key)");
  // Cloned row triggers must fire under session_replication_role = replica too; TRUNCATE of a
  // partition does not fire the parent's statement trigger, so each partition gets its own.
  for (const char *trigger : {"guard_data_change", "verify_data_change"})
    pg::execute_sql("ALTER TABLE " + partition + " ENABLE ALWAYS TRIGGER " + trigger);
  pg::execute_sql("CREATE TRIGGER guard_data_truncate BEFORE TRUNCATE ON " + partition +
                  " FOR EACH STATEMENT EXECUTE FUNCTION mycelium.guard_audit_log()");
  pg::execute_sql("ALTER TABLE " + partition + " ENABLE ALWAYS TRIGGER guard_data_truncate");
  // The same privileges as the parent, so that statements may name the partition (writes by
  // validators stay verified by the partition's triggers).
  pg::execute_sql("GRANT SELECT ON " + partition +
                  " TO mycelium_admin, mycelium_validator, mycelium_miner");
  pg::execute_sql("GRANT INSERT, UPDATE, DELETE ON " + partition + " TO mycelium_validator");

  catalog::insert_shard(shard_id, partition, kind, primary_node, replicas, validators,
                        any_validator);
  return partition;
}

void drop_shard_storage(const std::string &shard_id, const std::string &partition,
                        bool drop_copied_log) {
  pg::execute_sql("DROP TABLE " + partition);
  InternalScope scope(InternalOp::DropShard, shard_id);
  catalog::delete_tombstones(shard_id);
  if (drop_copied_log)
    catalog::delete_audit_entries(shard_id);
  // An elected shard's superseded entries go too; its epochs go with its row (ON DELETE CASCADE).
  catalog::delete_moved_aside_entries(shard_id);
  catalog::delete_shard(shard_id);
  // And its lease: a shard created again with this id has a new group, whose terms start low.
  forget_lease(shard_id);
}

} // namespace mycelium::ext

MYCELIUM_SQL_FUNCTION(mycelium_create_shard) {
  const std::string shard_id =
      pg::arg_is_null(fcinfo, 0) ? generate_shard_id() : pg::text_arg(fcinfo, 0, "shard_id");
  check_shard_id(shard_id);
  const std::int32_t replicas = pg::arg_is_null(fcinfo, 1) ? 1 : PG_GETARG_INT32(1);
  if (replicas < 0)
    throw Error(sqlstate::kInvalidParameterValue,
                "replicas must be 0 or more, got " + std::to_string(replicas));
  const bool any_validator = pg::arg_is_null(fcinfo, 2);
  const Datum validators = any_validator ? Datum(0) : PG_GETARG_DATUM(2);
  if (PG_NARGS() > 3 && pg::arg_is_null(fcinfo, 3))
    throw Error(sqlstate::kInvalidParameterValue, "elected must not be NULL");
  const bool elected = PG_NARGS() > 3 && PG_GETARG_BOOL(3);

  // The result is built after SPI_finish: memory allocated while connected is freed with it.
  {
    pg::SpiConnection spi;
    if (!any_validator) {
      if (const std::optional<std::string> unknown = catalog::first_non_validator(validators))
        throw Error(sqlstate::kUndefinedObject,
                    "validators: \"" + *unknown + "\" is not a registered validator");
    }
    ext::create_shard_storage(shard_id, catalog::ShardKind::Primary, std::nullopt, replicas,
                              validators, any_validator);
    // An elected shard starts in term 0, with no lease: unwritable until its group has elected
    // a primary and the epoch is applied (schemas/CONSENSUS.md).
    if (elected)
      catalog::mark_shard_elected(shard_id);
    // Replicas on the nodes this node can reach (set_replica_count picks them); with none
    // reachable the shard is recorded as under-replicated in shard_health.
    static pg::Statement replicate("SELECT mycelium.set_replica_count($1, $2)");
    if (replicas > 0)
      replicate.execute({pg::text_param(shard_id), pg::int4_param(replicas)});
  }
  return pg::text_datum(shard_id);
}

MYCELIUM_SQL_FUNCTION(mycelium_drop_shard) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  const bool force = !pg::arg_is_null(fcinfo, 1) && PG_GETARG_BOOL(1);

  pg::SpiConnection spi;
  const catalog::ShardRow shard = catalog::existing_shard(shard_id, catalog::RowLock::for_update);
  const std::string partition = shard.partition_name;
  if (shard.kind != catalog::ShardKind::Primary)
    throw Error(sqlstate::kNotPrimary,
                "shard \"" + shard_id + "\" is a " + catalog::to_string(shard.kind) +
                    " here: remove it on its primary (remove_replica) or detach_remote_shard()");

  const std::int64_t records = catalog::count_records(shard_id);
  if (records > 0 && !force)
    throw Error(sqlstate::kDependentObjectsStillExist,
                "shard \"" + shard_id + "\" holds " + std::to_string(records) +
                    " record(s); drop it with force => true to discard them");
  // Its copies go first, so that no replica keeps a shard its primary no longer has.
  static pg::Statement remove_replica("SELECT mycelium.remove_replica($1, $2)");
  for (const std::string &node_id : catalog::replica_nodes(shard_id))
    remove_replica.execute({pg::text_param(shard_id), pg::text_param(node_id)});
  ext::drop_shard_storage(shard_id, partition, false);
  PG_RETURN_VOID();
}
