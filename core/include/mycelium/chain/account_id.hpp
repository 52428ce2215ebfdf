// Substrate's AccountId32: the 32 bytes that name an account on the chain. For sr25519 and
// ed25519 keys it is the public key itself; SS58 (ss58.hpp) is its text form.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mycelium::chain {

inline constexpr std::size_t kAccountIdSize = 32;

using AccountId = std::array<std::uint8_t, kAccountIdSize>;

} // namespace mycelium::chain
