#include "mycelium/chain/scale_encoder.hpp"

#include "mycelium/error.hpp"
#include "mycelium/utf8.hpp"

namespace mycelium::chain {

void ScaleEncoder::compact(const U128 &value) {
  // The mode is the two low bits of the first byte; the value sits above them.
  if (value < (1u << 6)) {
    u8(static_cast<std::uint8_t>(value.low << 2));
  } else if (value < (1u << 14)) {
    u16(static_cast<std::uint16_t>(value.low << 2 | 0b01));
  } else if (value < (1u << 30)) {
    u32(static_cast<std::uint32_t>(value.low << 2 | 0b10));
  } else {
    // Big-integer mode: the upper six bits of the first byte are (byte count - 4), then the
    // value's bytes, little-endian, as few as it needs (at least 4).
    std::uint8_t le[16];
    for (int i = 0; i < 8; ++i) {
      le[i] = static_cast<std::uint8_t>(value.low >> (8 * i));
      le[8 + i] = static_cast<std::uint8_t>(value.high >> (8 * i));
    }
    std::size_t size = 16;
    while (le[size - 1] == 0)
      --size; // stops by 4 at the latest: the value is at least 2^30
    u8(static_cast<std::uint8_t>((size - 4) << 2 | 0b11));
    raw(le, size);
  }
}

void ScaleEncoder::bytes(const std::uint8_t *data, std::size_t size) {
  compact(static_cast<std::uint64_t>(size));
  raw(data, size);
}

void ScaleEncoder::string(std::string_view text) {
  if (const std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos)
    throw Error(sqlstate::kInvalidParameterValue,
                "SCALE String: invalid UTF-8 at byte " + std::to_string(bad) + " of the text");
  bytes(reinterpret_cast<const std::uint8_t *>(text.data()), text.size());
}

} // namespace mycelium::chain
