// mycelium.put and mycelium.delete: convenience entry points over the same verifying triggers
// that plain INSERT/UPDATE and tombstone inserts pass. They run as the caller.
#include "mycelium/error.hpp"
#include "mycelium/signing.hpp"
#include "mycelium/ext/shard_catalog.hpp"
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
  const ext::ShardRow shard = ext::existing_shard(shard_id, ext::RowLock::none);
  const Oid partition = shard.partition;
  // Refused here with the same error the triggers give, before a statement is tried on a
  // replica's or a remote shard's partition (a foreign table answers with its own errors).
  if (shard.kind != ext::ShardKind::Primary)
    throw Error(sqlstate::kNotPrimary, "shard \"" + shard_id + "\" is a read-only " +
                                           std::string(ext::to_string(shard.kind)) +
                                           " on this node: it is written on its primary node only");
  // Both statements name the partition (see PerRelationStatements). The verifying trigger runs
  // on whichever row is really written; ON CONFLICT DO NOTHING makes a key that exists already
  // a refusal with the version rule's own error instead of a unique-index violation.
  static pg::PerRelationStatements update([](const std::string &partition_name) {
    return "UPDATE " + partition_name +
           " SET value = $3, version = $4, created_by = $5, signature = $6"
           " WHERE shard_id = $1 AND key = $2";
  });
  static pg::PerRelationStatements insert([](const std::string &partition_name) {
    return "INSERT INTO " + partition_name +
           " (shard_id, key, value, version, created_by, signature) "
           "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING";
  });
  const std::initializer_list<pg::Param> params = {
      pg::text_param(shard_id), pg::text_param(key),        pg::datum_param(JSONBOID, value),
      pg::int4_param(version),  pg::text_param(created_by), pg::text_param(signature)};
  // Version 1 is a new key: no row to update. Later versions usually update a live row; a key
  // deleted before is inserted again (its tombstone holds the version the trigger checks).
  if (version != 1 && update.for_relation(partition).execute(params) > 0)
    PG_RETURN_VOID();
  if (insert.for_relation(partition).execute(params) > 0)
    PG_RETURN_VOID();
  // The key is live: it existed already (version 1) or was created concurrently.
  static pg::Statement live("SELECT version FROM mycelium.data WHERE shard_id = $1 AND key = $2");
  live.execute({pg::text_param(shard_id), pg::text_param(key)});
  ext::check_next_version(version, pg::result_int(0, 1).value_or(0), "put of \"" + key + "\"");
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
  ext::upsert_tombstone(shard_id, key, version, created_by, signature);
  PG_RETURN_VOID();
}
