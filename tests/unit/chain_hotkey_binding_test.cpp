// The hotkey binding payload (core/include/mycelium/chain/hotkey_binding.hpp): its bytes, spelled
// out, and the node id rule.
#include "mycelium/chain/hotkey_binding.hpp"

#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mycelium;

TEST(HotkeyBinding, PayloadIsDomainNodeIdNodeKeyAndHotkey) {
  PublicKey node_key{};
  node_key.fill(0x11);
  chain::AccountId hotkey{};
  hotkey.fill(0x22);
  const Bytes payload = chain::hotkey_binding_payload("node-1", node_key, hotkey);
  const std::string expected =
      to_hex(reinterpret_cast<const std::uint8_t *>("mycelium-hotkey-binding-v1\0node-1\0"),
             26 + 1 + 6 + 1) +
      std::string(64, '1') + std::string(64, '2');
  EXPECT_EQ(to_hex(payload.data(), payload.size()), expected);
}

TEST(HotkeyBinding, ANodeIdThatBreaksTheRuleIsRefused) {
  EXPECT_THROW(chain::hotkey_binding_payload("", PublicKey{}, chain::AccountId{}), Error);
  EXPECT_THROW(
      chain::hotkey_binding_payload(std::string("a\0b", 3), PublicKey{}, chain::AccountId{}),
      Error);
}

} // namespace
