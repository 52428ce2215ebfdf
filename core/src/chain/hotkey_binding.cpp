#include "mycelium/chain/hotkey_binding.hpp"

#include "mycelium/node_id.hpp"

namespace mycelium::chain {

namespace {
constexpr std::string_view kDomain = "mycelium-hotkey-binding-v1";
}

Bytes hotkey_binding_payload(std::string_view node_id, const PublicKey &node_key,
                             const AccountId &hotkey) {
  check_node_id(node_id);
  Bytes out;
  out.reserve(kDomain.size() + 1 + node_id.size() + 1 + node_key.size() + hotkey.size());
  out.insert(out.end(), kDomain.begin(), kDomain.end());
  out.push_back(0);
  out.insert(out.end(), node_id.begin(), node_id.end());
  out.push_back(0);
  out.insert(out.end(), node_key.begin(), node_key.end());
  out.insert(out.end(), hotkey.begin(), hotkey.end());
  return out;
}

} // namespace mycelium::chain
