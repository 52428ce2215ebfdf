// Bittensor hotkey bindings (mycelium.node_hotkeys: a node and the hotkey that signed for it)
// through typed functions. Part of the catalog (extension/src/catalog/); the metagraph and the
// node_stake view are SQL in the extension script. Callers hold an SPI connection.
#pragma once

#include <optional>
#include <string>

namespace mycelium::catalog {

// The node other than `node_id` the hotkey is bound to, if any.
std::optional<std::string> node_bound_to(const std::string &hotkey, const std::string &node_id);

struct HotkeyBinding {
  std::string node_id;
  std::string hotkey; // SS58
  std::string hotkey_public_key_hex;
  std::string node_public_key_hex; // the node key the signature covers
  std::string signature_hex;       // sr25519
};
// The node's binding, inserted or replacing the one it had.
void store_hotkey_binding(const HotkeyBinding &binding);

} // namespace mycelium::catalog
