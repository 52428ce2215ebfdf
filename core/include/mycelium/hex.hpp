// Lowercase hex, the text form of public keys and signatures in SQL and on the command line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium {

std::string to_hex(const std::uint8_t *data, std::size_t size);
inline std::string to_hex(const std::vector<std::uint8_t> &bytes) {
  return to_hex(bytes.data(), bytes.size());
}

// Decodes exactly `expected_size` bytes from lowercase hex. Anything else (odd or wrong length,
// upper case, non-hex characters) throws Error 22023 with a message naming `field`. Upper case is
// refused rather than folded so that one key or signature has exactly one stored spelling.
std::vector<std::uint8_t> from_hex(std::string_view text, std::size_t expected_size,
                                   std::string_view field);

} // namespace mycelium
