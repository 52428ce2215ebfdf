// Base58 with Bitcoin's alphabet (no 0, O, I, l), the text form under SS58 addresses.
#pragma once

#include "mycelium/bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mycelium::chain {

// Each leading zero byte becomes a leading '1'; the rest is the big-endian number in base 58.
std::string base58_encode(const std::uint8_t *data, std::size_t size);
inline std::string base58_encode(const Bytes &bytes) {
  return base58_encode(bytes.data(), bytes.size());
}

// The inverse of base58_encode. A character outside the alphabet throws Error 22023 naming
// `field`, the character and its position (counted from 0). Empty text decodes to no bytes.
Bytes base58_decode(std::string_view text, std::string_view field);

} // namespace mycelium::chain
