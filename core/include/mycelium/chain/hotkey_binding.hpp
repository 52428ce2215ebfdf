// A node's Ed25519 node key bound to a Bittensor hotkey (sr25519): the hotkey signs, in
// Substrate's "substrate" context, a payload naming the node and its node key, so that the chain's
// stake of the hotkey may stand for the node (schemas/CHAIN.md, "Hotkey binding"). The database
// verifies the signature at binding time (mycelium.bind_hotkey); the CLI makes it from a wallet.
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/account_id.hpp"
#include "mycelium/ed25519.hpp"

#include <string_view>

namespace mycelium::chain {

// "mycelium-hotkey-binding-v1" 0x00 node_id 0x00 node_key(32) hotkey(32): node ids hold no NUL
// (node_id.hpp), so the parts cannot shift into each other. Throws Error 22023 for a node id
// that breaks the node id rule.
Bytes hotkey_binding_payload(std::string_view node_id, const PublicKey &node_key,
                             const AccountId &hotkey);

} // namespace mycelium::chain
