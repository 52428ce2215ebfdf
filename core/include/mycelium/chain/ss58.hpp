// SS58 addresses (Substrate's text form of an AccountId32): base58 of
// prefix ‖ account id ‖ checksum, where the checksum is the first two bytes of
// BLAKE2b-512("SS58PRE" ‖ prefix ‖ account id) and the prefix names the network. Prefixes 0..63
// take one byte; 64..16383 take two (Substrate's "full" form). schemas/CHAIN.md, "SS58".
#pragma once

#include "mycelium/chain/account_id.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace mycelium::chain {

// Bittensor's prefix (Substrate's generic one): addresses starting with '5'.
inline constexpr std::uint16_t kBittensorSs58Prefix = 42;
inline constexpr std::uint16_t kMaxSs58Prefix = 16383;

struct Ss58Address {
  std::uint16_t prefix = 0;
  AccountId account_id{};
};

// Throws Error 22023 for a prefix above 16383 or a reserved one (46, 47): no chain uses them,
// and Substrate refuses to decode them.
std::string ss58_encode(const AccountId &account_id, std::uint16_t prefix = kBittensorSs58Prefix);

// Decodes an address of any prefix. Throws Error 22023, naming `field` and what is wrong, for
// empty text, a character outside base58, a length that is not that of a 32-byte account id
// (saying which payload it carries when it is one of SS58's others: 1, 2, 4, 8 or 33 bytes), a
// reserved prefix, a prefix below 64 written in the two-byte form (Substrate would accept it,
// but then one account has two spellings under one prefix), and a bad checksum.
Ss58Address ss58_decode(std::string_view address, std::string_view field = "SS58 address");

// ss58_decode, and the prefix must be `expected_prefix` (an address of another network is
// refused, not silently read as this one's).
AccountId ss58_decode_account(std::string_view address,
                              std::uint16_t expected_prefix = kBittensorSs58Prefix,
                              std::string_view field = "SS58 address");

} // namespace mycelium::chain
