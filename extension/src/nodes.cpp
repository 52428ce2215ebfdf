// register_node (with proof of possession) and deactivate_node.
#include "mycelium/canonical_json.hpp"
#include "mycelium/catalog/nodes.hpp"
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
  for (const catalog::NodeRow &other : catalog::lock_registrations(node.node_id, node.public_key)) {
    if (other.node_id != node.node_id)
      throw Error(sqlstate::kDuplicateObject,
                  "public key is already registered to node \"" + other.node_id + "\"");
    if (other.public_key != node.public_key)
      throw Error(sqlstate::kDuplicateObject,
                  "node \"" + node.node_id + "\" is already registered with a different key");
    // A node's type is what makes its signatures count (validators write, miners read): a
    // registration never changes it.
    if (const std::string type = catalog::to_string(other.type); type != node.node_type)
      throw Error(sqlstate::kInvalidParameterValue,
                  "node \"" + node.node_id + "\" is registered as a " + type +
                      "; a registration cannot change a node's type (deactivate_node() it and "
                      "register the new role under another node id)");
  }
  catalog::store_registration(node, signature_hex);
  // A node that moved (new ip or port) is reached at its new place by the next push.
  ext::refresh_peer_servers(node.node_id);
  PG_RETURN_VOID();
}

MYCELIUM_SQL_FUNCTION(mycelium_deactivate_node) {
  const std::string node_id = pg::text_arg(fcinfo, 0, "node_id");
  pg::SpiConnection spi;
  if (!catalog::deactivate_node(node_id))
    throw Error(sqlstate::kUndefinedObject, "node \"" + node_id + "\" is not registered");
  PG_RETURN_VOID();
}
