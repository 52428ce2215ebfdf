#include "crc32c.hpp"

#include <array>

namespace mycelium::consensus::detail {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u; // reflected Castagnoli polynomial

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit)
      c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kTable = make_table();

} // namespace

std::uint32_t crc32c(const void *data, std::size_t size, std::uint32_t crc) {
  const auto *p = static_cast<const std::uint8_t *>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i)
    crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

} // namespace mycelium::consensus::detail
