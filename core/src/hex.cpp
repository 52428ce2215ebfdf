#include "mycelium/hex.hpp"

#include "mycelium/error.hpp"

namespace mycelium {

namespace {
constexpr char kDigits[] = "0123456789abcdef";

int nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}
} // namespace

std::string to_hex(const std::uint8_t *data, std::size_t size) {
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::vector<std::uint8_t> from_hex(std::string_view text, std::size_t expected_size,
                                   std::string_view field) {
  const std::string name(field);
  if (text.size() != expected_size * 2)
    throw Error(sqlstate::kInvalidParameterValue,
                name + " must be " + std::to_string(expected_size * 2) +
                    " lowercase hex characters, got " + std::to_string(text.size()));
  std::vector<std::uint8_t> out(expected_size);
  for (std::size_t i = 0; i < expected_size; ++i) {
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      throw Error(sqlstate::kInvalidParameterValue,
                  name + " must be lowercase hex: invalid character at position " +
                      std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

} // namespace mycelium
