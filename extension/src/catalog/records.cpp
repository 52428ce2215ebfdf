#include "mycelium/catalog/records.hpp"

#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace mycelium::catalog {

std::int64_t current_version(Oid partition, const std::string &shard_id, const std::string &key) {
  // The same rule as the SQL function mycelium.current_version, inlined (a SQL function called
  // from a prepared statement is planned again on every call) and aimed at the one partition.
  static pg::PerRelationStatements query([](const std::string &partition_name) {
    return "SELECT COALESCE((SELECT d.version FROM " + partition_name +
           " d WHERE d.key = $2),"
           "                (SELECT t.version FROM mycelium.tombstones t"
           "                  WHERE t.shard_id = $1 AND t.key = $2), 0)";
  });
  query.for_relation(partition).execute({pg::text_param(shard_id), pg::text_param(key)});
  return pg::result_int(0, 1).value_or(0);
}

std::int64_t tombstone_version(const std::string &shard_id, const std::string &key) {
  static pg::Statement query(
      "SELECT version FROM mycelium.tombstones WHERE shard_id = $1 AND key = $2");
  if (query.execute({pg::text_param(shard_id), pg::text_param(key)}) == 0)
    return 0;
  return pg::result_int(0, 1).value_or(0);
}

std::optional<std::int64_t> live_version(Oid partition, const std::string &key) {
  static pg::PerRelationStatements query([](const std::string &partition_name) {
    return "SELECT version FROM " + partition_name + " WHERE key = $1 FOR UPDATE";
  });
  if (query.for_relation(partition).execute({pg::text_param(key)}) == 0)
    return std::nullopt;
  return pg::result_int(0, 1).value_or(0);
}

KeyVersions key_versions(Oid partition, const std::string &shard_id, const std::string &key) {
  static pg::PerRelationStatements query([](const std::string &partition_name) {
    return "SELECT d.version, COALESCE((SELECT t.version FROM mycelium.tombstones t"
           "                            WHERE t.shard_id = $1 AND t.key = $2), 0)"
           "  FROM " +
           partition_name + " d WHERE d.key = $2 FOR UPDATE OF d";
  });
  KeyVersions versions;
  if (query.for_relation(partition).execute({pg::text_param(shard_id), pg::text_param(key)}) == 0) {
    versions.tombstone = tombstone_version(shard_id, key);
    return versions;
  }
  versions.live = pg::result_int(0, 1).value_or(0);
  versions.tombstone = pg::result_int(0, 2).value_or(0);
  return versions;
}

bool update_record(Oid partition, const SignedRecord &r) {
  static pg::PerRelationStatements update([](const std::string &partition_name) {
    return "UPDATE " + partition_name +
           " SET value = $3, version = $4, created_by = $5, signature = $6"
           " WHERE shard_id = $1 AND key = $2";
  });
  return update.for_relation(partition).execute(
             {pg::text_param(r.shard_id), pg::text_param(r.key), pg::datum_param(JSONBOID, r.value),
              pg::int4_param(r.version), pg::text_param(r.created_by),
              pg::text_param(r.signature_hex)}) > 0;
}

bool insert_new_record(Oid partition, const SignedRecord &r) {
  // ON CONFLICT DO NOTHING: a key that exists already is the caller's refusal, with the version
  // rule's own error, instead of a unique-index violation.
  static pg::PerRelationStatements insert([](const std::string &partition_name) {
    return "INSERT INTO " + partition_name +
           " (shard_id, key, value, version, created_by, signature) "
           "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING";
  });
  return insert.for_relation(partition).execute(
             {pg::text_param(r.shard_id), pg::text_param(r.key), pg::datum_param(JSONBOID, r.value),
              pg::int4_param(r.version), pg::text_param(r.created_by),
              pg::text_param(r.signature_hex)}) > 0;
}

void upsert_record(Oid partition, const SignedRecord &r) {
  static pg::PerRelationStatements upsert([](const std::string &partition_name) {
    return "INSERT INTO " + partition_name +
           " AS d (shard_id, key, value, version, created_by, signature) "
           "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET "
           "value = EXCLUDED.value, version = EXCLUDED.version, "
           "created_by = EXCLUDED.created_by, signature = EXCLUDED.signature";
  });
  upsert.for_relation(partition).execute(
      {pg::text_param(r.shard_id), pg::text_param(r.key), pg::datum_param(JSONBOID, r.value),
       pg::int4_param(r.version), pg::text_param(r.created_by), pg::text_param(r.signature_hex)});
}

void remove_record(Oid partition, const std::string &shard_id, const std::string &key) {
  static pg::PerRelationStatements remove([](const std::string &partition_name) {
    return "DELETE FROM " + partition_name + " WHERE key = $1";
  });
  ext::InternalScope scope(ext::InternalOp::SignedDelete, shard_id, key);
  remove.for_relation(partition).execute({pg::text_param(key)});
}

void upsert_tombstone(const std::string &shard_id, const std::string &key, std::int32_t version,
                      const std::string &created_by, const std::string &signature_hex) {
  static pg::Statement tombstone(
      "INSERT INTO mycelium.tombstones AS t (shard_id, key, version, created_by, signature) "
      "VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (shard_id, key) DO UPDATE SET version = EXCLUDED.version, "
      "  created_by = EXCLUDED.created_by, signature = EXCLUDED.signature, deleted_at = now()");
  tombstone.execute({pg::text_param(shard_id), pg::text_param(key), pg::int4_param(version),
                     pg::text_param(created_by), pg::text_param(signature_hex)});
}

void delete_tombstones(const std::string &shard_id) {
  static pg::Statement tombstones("DELETE FROM mycelium.tombstones WHERE shard_id = $1");
  tombstones.execute({pg::text_param(shard_id)});
}

std::int64_t count_records(const std::string &shard_id) {
  static pg::Statement count("SELECT count(*) FROM mycelium.data WHERE shard_id = $1");
  count.execute({pg::text_param(shard_id)});
  return pg::result_int(0, 1).value_or(0);
}

std::optional<ShardDigest> shard_digest(const std::string &shard_id) {
  static pg::Statement digest("SELECT records, encode(digest, 'hex') FROM mycelium.shard_digests "
                              "WHERE shard_id = $1");
  if (digest.execute({pg::text_param(shard_id)}) == 0)
    return std::nullopt;
  return ShardDigest{pg::result_int(0, 1).value_or(0), pg::result_text(0, 2).value_or("")};
}

} // namespace mycelium::catalog
