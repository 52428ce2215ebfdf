// bind_hotkey and hotkey_binding_payload: a node's Ed25519 node key bound to a Bittensor hotkey
// by the hotkey's sr25519 signature (schemas/CHAIN.md, "Hotkey binding"), which this node checks
// before it stores the binding. What the chain says about the hotkey's stake then stands for the
// node (the view mycelium.node_stake).
#include "mycelium/catalog/hotkeys.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/chain/hotkey_binding.hpp"
#include "mycelium/chain/sr25519.hpp"
#include "mycelium/chain/ss58.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/node_id.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"

using namespace mycelium;

namespace {

struct Binding {
  std::string node_id;
  std::string hotkey; // SS58
  chain::AccountId hotkey_key{};
  PublicKey node_key{};
};

// The arguments checked (22023 naming the field), and the node's registered key (42704 when the
// node is not registered). Callers hold an SPI connection.
Binding binding_args(FunctionCallInfo fcinfo) {
  Binding b;
  b.node_id = pg::text_arg(fcinfo, 0, "node_id");
  check_node_id(b.node_id);
  b.hotkey = pg::text_arg(fcinfo, 1, "hotkey");
  b.hotkey_key = chain::ss58_decode_account(b.hotkey, chain::kBittensorSs58Prefix, "hotkey");
  const std::optional<catalog::NodeRow> node = catalog::find_node(b.node_id);
  if (!node)
    throw Error(sqlstate::kUndefinedObject, "node \"" + b.node_id + "\" is not registered");
  b.node_key = parse_public_key(node->public_key);
  return b;
}

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_hotkey_binding_payload) {
  Bytes payload;
  {
    pg::SpiConnection spi;
    const Binding b = binding_args(fcinfo);
    payload = chain::hotkey_binding_payload(b.node_id, b.node_key, b.hotkey_key);
  }
  return pg::bytea_datum(payload);
}

MYCELIUM_SQL_FUNCTION(mycelium_bind_hotkey) {
  const std::string signature_hex = pg::text_arg(fcinfo, 2, "signature");
  const Bytes raw = from_hex(signature_hex, chain::sr25519::kSignatureSize, "signature");
  const chain::sr25519::Signature signature =
      chain::sr25519::signature_from_bytes(raw.data(), raw.size());
  pg::SpiConnection spi;
  const Binding b = binding_args(fcinfo);
  const Bytes payload = chain::hotkey_binding_payload(b.node_id, b.node_key, b.hotkey_key);
  try {
    chain::sr25519::verify_or_throw(signature, payload.data(), payload.size(), b.hotkey_key);
  } catch (const Error &e) {
    throw Error(e.sqlstate(),
                "binding of node \"" + b.node_id + "\" to hotkey " + b.hotkey + ": " + e.what());
  }
  if (const std::optional<std::string> other = catalog::node_bound_to(b.hotkey, b.node_id))
    throw Error(sqlstate::kDuplicateObject,
                "hotkey " + b.hotkey + " is bound to node \"" + *other +
                    "\": unbind it there first (mycelium.unbind_hotkey)");
  catalog::store_hotkey_binding(
      {b.node_id, b.hotkey, to_hex(b.hotkey_key.data(), b.hotkey_key.size()),
       to_hex(b.node_key.data(), b.node_key.size()), to_hex(signature.data(), signature.size())});
  PG_RETURN_VOID();
}
