// signing_payload and canonical_json: the signed bytes, computed by the same core code the
// triggers use, for clients and for debugging.
#include "mycelium/canonical_json.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/signing.hpp"

using namespace mycelium;

MYCELIUM_SQL_FUNCTION(mycelium_signing_payload) {
  const std::string op = pg::text_arg(fcinfo, 0, "op");
  const std::string shard_id = pg::text_arg(fcinfo, 1, "shard_id");
  const std::string key = pg::text_arg(fcinfo, 2, "key");
  if (pg::arg_is_null(fcinfo, 4))
    throw Error(sqlstate::kInvalidParameterValue, "version must not be NULL");
  const std::int64_t version = PG_GETARG_INT32(4);
  const std::string created_by = pg::text_arg(fcinfo, 5, "created_by");
  if (op == "delete")
    return pg::bytea_datum(delete_payload(shard_id, key, version, created_by));
  if (op != "put")
    throw Error(sqlstate::kInvalidParameterValue, "op must be 'put' or 'delete', got '" + op + "'");
  if (pg::arg_is_null(fcinfo, 3))
    throw Error(sqlstate::kInvalidParameterValue, "value must not be NULL for a put");
  return pg::bytea_datum(put_payload(shard_id, key, version, created_by,
                                     canonical_json(pg::jsonb_text(PG_GETARG_DATUM(3)))));
}

MYCELIUM_SQL_FUNCTION(mycelium_canonical_json) {
  return pg::text_datum(canonical_json(pg::jsonb_text(PG_GETARG_DATUM(0))));
}

MYCELIUM_SQL_FUNCTION(mycelium_verify_signature) {
  const PublicKey key = parse_public_key(pg::text_arg(fcinfo, 0, "public_key"));
  if (pg::arg_is_null(fcinfo, 1))
    throw Error(sqlstate::kInvalidParameterValue, "payload must not be NULL");
  bytea *payload = pg::call([&] { return PG_GETARG_BYTEA_PP(1); });
  const Signature signature = parse_signature(pg::text_arg(fcinfo, 2, "signature"));
  const auto *data = reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(payload));
  return BoolGetDatum(verify(signature, Bytes(data, data + VARSIZE_ANY_EXHDR(payload)), key));
}
