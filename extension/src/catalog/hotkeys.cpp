#include "mycelium/catalog/hotkeys.hpp"

#include "mycelium/pg/spi.hpp"

namespace mycelium::catalog {

std::optional<std::string> node_bound_to(const std::string &hotkey, const std::string &node_id) {
  // Binds are serialised: two concurrent binds of one hotkey to two nodes would both find it
  // free and the second would fail on the unique index (23505, naming no node). Waiting here
  // makes the second see the first's binding and refuse it by name. SHARE ROW EXCLUSIVE
  // conflicts with itself and with writers, not with readers of the stake view.
  static pg::Statement lock("LOCK TABLE mycelium.node_hotkeys IN SHARE ROW EXCLUSIVE MODE");
  lock.execute({});
  static pg::Statement other(
      "SELECT node_id FROM mycelium.node_hotkeys WHERE hotkey = $1 AND node_id <> $2");
  if (other.execute({pg::text_param(hotkey), pg::text_param(node_id)}) == 0)
    return std::nullopt;
  return pg::result_text(0, 1).value_or("?");
}

void store_hotkey_binding(const HotkeyBinding &b) {
  static pg::Statement store(
      "INSERT INTO mycelium.node_hotkeys (node_id, hotkey, hotkey_public_key, node_public_key, "
      "  signature) VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (node_id) DO UPDATE SET hotkey = EXCLUDED.hotkey, "
      "  hotkey_public_key = EXCLUDED.hotkey_public_key, "
      "  node_public_key = EXCLUDED.node_public_key, signature = EXCLUDED.signature, "
      "  bound_at = now()");
  store.execute({pg::text_param(b.node_id), pg::text_param(b.hotkey),
                 pg::text_param(b.hotkey_public_key_hex), pg::text_param(b.node_public_key_hex),
                 pg::text_param(b.signature_hex)});
}

} // namespace mycelium::catalog
