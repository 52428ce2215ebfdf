// mycelium.put and mycelium.delete: convenience entry points over the same verifying triggers
// that plain INSERT/UPDATE and tombstone inserts pass. They run as the caller.
#include "mycelium/error.hpp"
#include "mycelium/signing.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/catalog/records.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/ext/elected_writes.hpp"
#include "mycelium/ext/write_checks.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

using namespace mycelium;

MYCELIUM_SQL_FUNCTION(mycelium_put) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  const std::string key = pg::text_arg(fcinfo, 1, "key");
  if (pg::arg_is_null(fcinfo, 2))
    throw Error(sqlstate::kInvalidParameterValue, "value must not be NULL");
  const Datum value = PG_GETARG_DATUM(2);
  const std::int32_t version = pg::int4_arg(fcinfo, 3, "version");
  const std::string created_by = pg::text_arg(fcinfo, 4, "created_by");
  const std::string signature = pg::text_arg(fcinfo, 5, "signature");

  pg::SpiConnection spi;
  const catalog::ShardRow shard = catalog::existing_shard(shard_id, catalog::RowLock::none);
  const Oid partition = shard.partition;
  // Refused here with the same error the triggers give, before a statement is tried on a
  // replica's or a remote shard's partition (a foreign table answers with its own errors). An
  // elected shard's replica gets the fencing rule's refusal, which names the primary to write
  // to. Not through lock_shard_for_write: its FOR UPDATE needs UPDATE on mycelium.shards,
  // which a validator's login does not have (put runs as its caller).
  if (shard.kind == catalog::ShardKind::Replica && shard.elected)
    ext::require_write_lease(ElectedShard{shard_id, false, shard.term, shard.primary_node,
                                          catalog::local_node_id()});
  if (shard.kind != catalog::ShardKind::Primary)
    throw Error(sqlstate::kNotPrimary, "shard \"" + shard_id + "\" is a read-only " +
                                           std::string(catalog::to_string(shard.kind)) +
                                           " on this node: it is written on its primary node only");
  // The verifying trigger runs on whichever row is really written.
  const catalog::SignedRecord record{shard_id, key, value, version, created_by, signature};
  // Version 1 is a new key: no row to update. Later versions usually update a live row; a key
  // deleted before is inserted again (its tombstone holds the version the trigger checks).
  if (version != 1 && catalog::update_record(partition, record))
    PG_RETURN_VOID();
  if (catalog::insert_new_record(partition, record))
    PG_RETURN_VOID();
  // The key is live: it existed already (version 1) or was created concurrently.
  ext::check_next_version(version, catalog::current_version(partition, shard_id, key),
                          "put of \"" + key + "\"");
  throw Error(sqlstate::kStaleVersion, "put of \"" + key + "\": the key was written concurrently");
}

MYCELIUM_SQL_FUNCTION(mycelium_delete) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  const std::string key = pg::text_arg(fcinfo, 1, "key");
  const std::int32_t version = pg::int4_arg(fcinfo, 2, "version");
  const std::string created_by = pg::text_arg(fcinfo, 3, "created_by");
  const std::string signature = pg::text_arg(fcinfo, 4, "signature");

  pg::SpiConnection spi;
  // The tombstone trigger verifies the delete, logs it and removes the record's row.
  catalog::upsert_tombstone(shard_id, key, version, created_by, signature);
  PG_RETURN_VOID();
}
