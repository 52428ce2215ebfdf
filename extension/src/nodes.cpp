// register_node (with proof of possession) and deactivate_node.
#include "mycelium/canonical_json.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/ext/peer_servers.hpp"
#include "mycelium/node_id.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"
#include "mycelium/signing.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

using namespace mycelium;

namespace {

std::string jsonb_arg_text(FunctionCallInfo fcinfo, int n) {
  if (pg::arg_is_null(fcinfo, n))
    return "{}";
  return pg::jsonb_text(PG_GETARG_DATUM(n));
}

NodeRegistration registration_args(FunctionCallInfo fcinfo) {
  NodeRegistration node;
  node.node_id = pg::text_arg(fcinfo, 0, "node_id");
  // Checked here, not left to the table's CHECK constraint: a malformed argument is 22023
  // naming the field, never a constraint violation.
  check_node_id(node.node_id);
  node.node_type = pg::text_arg(fcinfo, 1, "node_type");
  node.public_key = pg::text_arg(fcinfo, 2, "public_key");
  node.ip = pg::text_arg(fcinfo, 3, "ip");
  if (pg::arg_is_null(fcinfo, 4))
    throw Error(sqlstate::kInvalidParameterValue, "port must not be NULL");
  node.port = PG_GETARG_INT32(4);
  node.version = pg::text_arg(fcinfo, 5, "version");
  node.canonical_capabilities = canonical_json(jsonb_arg_text(fcinfo, 6), "capabilities");
  return node;
}

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_registration_payload) {
  return pg::bytea_datum(registration_payload(registration_args(fcinfo)));
}

MYCELIUM_SQL_FUNCTION(mycelium_register_node) {
  const NodeRegistration node = registration_args(fcinfo);
  const std::string signature_hex = pg::text_arg(fcinfo, 7, "signature");

  const PublicKey key = parse_public_key(node.public_key);
  const Signature signature = parse_signature(signature_hex);
  if (!verify(signature, registration_payload(node), key))
    throw Error(sqlstate::kSignatureInvalid,
                "registration of \"" + node.node_id +
                    "\": signature does not verify with the given public key (proof of "
                    "possession failed)");

  pg::SpiConnection spi;
  static pg::Statement existing("SELECT node_id, public_key, node_type FROM mycelium.node_metadata "
                                "WHERE node_id = $1 OR public_key = $2 FOR UPDATE");
  const std::uint64_t n =
      existing.execute({pg::text_param(node.node_id), pg::text_param(node.public_key)});
  for (std::uint64_t row = 0; row < n; ++row) {
    const std::string other_id = pg::result_text(row, 1).value_or("");
    if (other_id != node.node_id)
      throw Error(sqlstate::kDuplicateObject,
                  "public key is already registered to node \"" + other_id + "\"");
    if (pg::result_text(row, 2) != node.public_key)
      throw Error(sqlstate::kDuplicateObject,
                  "node \"" + node.node_id + "\" is already registered with a different key");
    // A node's type is what makes its signatures count (validators write, miners read): a
    // registration never changes it.
    if (const std::string type = pg::result_text(row, 3).value_or(""); type != node.node_type)
      throw Error(sqlstate::kInvalidParameterValue,
                  "node \"" + node.node_id + "\" is registered as a " + type +
                      "; a registration cannot change a node's type (deactivate_node() it and "
                      "register the new role under another node id)");
  }
  static pg::Statement upsert(
      "INSERT INTO mycelium.node_metadata (node_id, node_type, public_key, ip, port, version, "
      "  capabilities, registration_signature, is_active, last_seen) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, true, now()) "
      "ON CONFLICT (node_id) DO UPDATE SET node_type = EXCLUDED.node_type, ip = EXCLUDED.ip, "
      "  port = EXCLUDED.port, version = EXCLUDED.version, capabilities = EXCLUDED.capabilities, "
      "  registration_signature = EXCLUDED.registration_signature, is_active = true, "
      "  last_seen = now()");
  upsert.execute({pg::text_param(node.node_id), pg::text_param(node.node_type),
                  pg::text_param(node.public_key), pg::text_param(node.ip),
                  pg::int4_param(static_cast<std::int32_t>(node.port)),
                  pg::text_param(node.version), pg::text_param(node.canonical_capabilities),
                  pg::text_param(signature_hex)});
  // A node that moved (new ip or port) is reached at its new place by the next push.
  ext::refresh_peer_servers(node.node_id);
  PG_RETURN_VOID();
}

MYCELIUM_SQL_FUNCTION(mycelium_deactivate_node) {
  const std::string node_id = pg::text_arg(fcinfo, 0, "node_id");
  pg::SpiConnection spi;
  static pg::Statement deactivate(
      "UPDATE mycelium.node_metadata SET is_active = false WHERE node_id = $1");
  if (deactivate.execute({pg::text_param(node_id)}) == 0)
    throw Error(sqlstate::kUndefinedObject, "node \"" + node_id + "\" is not registered");
  PG_RETURN_VOID();
}
