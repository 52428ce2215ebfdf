#include "mycelium/chain/scale_decoder.hpp"

#include "mycelium/error.hpp"
#include "mycelium/utf8.hpp"

#include <cstring>

namespace mycelium::chain {

ScaleDecoder::ScaleDecoder(const std::uint8_t *data, std::size_t size, std::string_view what)
    : data_(data), size_(size), what_(what) {}

void ScaleDecoder::fail(std::string_view field, const std::string &what, std::size_t at) const {
  std::string path;
  for (const PathStep &step : path_) {
    if (step.name.empty()) {
      path += "[" + std::to_string(step.index) + "]";
    } else {
      if (!path.empty())
        path += '.';
      path += step.name;
    }
  }
  if (!field.empty()) {
    if (!path.empty())
      path += '.';
    path += field;
  }
  throw Error(sqlstate::kInvalidParameterValue, what_ + ": " + (path.empty() ? "" : path + ": ") +
                                                    what + " (at byte " + std::to_string(at) +
                                                    " of " + std::to_string(size_) + ")");
}

void ScaleDecoder::fail_at(std::string_view field, const std::string &what) const {
  fail(field, what, offset_);
}

const std::uint8_t *ScaleDecoder::take(std::size_t count, std::string_view field) {
  if (count > remaining())
    fail(field,
         "truncated: needs " + std::to_string(count) + " byte" + (count == 1 ? "" : "s") + ", " +
             std::to_string(remaining()) + " left",
         offset_);
  const std::uint8_t *start = data_ + offset_;
  offset_ += count;
  return start;
}

void ScaleDecoder::copy_out(std::uint8_t *out, std::size_t count, std::string_view field) {
  if (count > 0)
    std::memcpy(out, take(count, field), count);
}

namespace {

std::uint64_t load_little_endian(const std::uint8_t *bytes, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i)
    value |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
  return value;
}

} // namespace

std::uint8_t ScaleDecoder::u8(std::string_view field) {
  return *take(1, field);
}
std::uint16_t ScaleDecoder::u16(std::string_view field) {
  return static_cast<std::uint16_t>(load_little_endian(take(2, field), 2));
}
std::uint32_t ScaleDecoder::u32(std::string_view field) {
  return static_cast<std::uint32_t>(load_little_endian(take(4, field), 4));
}
std::uint64_t ScaleDecoder::u64(std::string_view field) {
  return load_little_endian(take(8, field), 8);
}
U128 ScaleDecoder::u128(std::string_view field) {
  const std::uint8_t *bytes = take(16, field);
  return U128::from_halves(load_little_endian(bytes + 8, 8), load_little_endian(bytes, 8));
}

bool ScaleDecoder::boolean(std::string_view field) {
  const std::size_t at = offset_;
  const std::uint8_t byte = u8(field);
  if (byte > 1)
    fail(field, "invalid bool byte " + std::to_string(byte) + " (only 0 and 1 are)", at);
  return byte == 1;
}

U128 ScaleDecoder::compact(std::string_view field) {
  const std::size_t at = offset_;
  // The mode is the two low bits of the first byte, and fixes how many bytes the value takes;
  // all of them are taken at once, so a truncation is reported at the value's start.
  if (remaining() == 0)
    take(1, field);
  const std::uint8_t first = data_[offset_];
  // Each mode must hold a value the smaller modes cannot: anything else is a second encoding of
  // a value that has one canonical form.
  const auto non_canonical = [&](const U128 &value, const std::string &mode) {
    fail(field,
         "non-canonical compact integer: " + to_string(value) + " written in the " + mode +
             " mode, which is for larger values",
         at);
  };
  switch (first & 0b11) {
  case 0b00:
    take(1, field);
    return first >> 2;
  case 0b01: {
    const std::uint64_t value = load_little_endian(take(2, field), 2) >> 2;
    if (value < (1u << 6))
      non_canonical(value, "two-byte");
    return value;
  }
  case 0b10: {
    const std::uint64_t value = load_little_endian(take(4, field), 4) >> 2;
    if (value < (1u << 14))
      non_canonical(value, "four-byte");
    return value;
  }
  default: {
    // Big-integer mode: the upper six bits are the byte count minus 4.
    const std::size_t size = (first >> 2) + 4;
    if (size > 16)
      fail(field,
           "compact integer of " + std::to_string(size) +
               " bytes: larger than u128, the widest Mycelium decodes",
           at);
    const std::uint8_t *bytes = take(1 + size, field) + 1;
    const U128 value = U128::from_halves(size > 8 ? load_little_endian(bytes + 8, size - 8) : 0,
                                         load_little_endian(bytes, size < 8 ? size : 8));
    // Fewest bytes: the last one is not zero, and four bytes hold at least 2^30.
    if (bytes[size - 1] == 0 || value < (1u << 30))
      non_canonical(value, "big-integer " + std::to_string(size) + "-byte");
    return value;
  }
  }
}

std::size_t ScaleDecoder::length(std::string_view field, std::size_t min_item_size) {
  const std::size_t at = offset_;
  const U128 count = compact(field);
  // The guard compares before any allocation; a zero-sized item would defeat it, so none is.
  const std::size_t fits = remaining() / (min_item_size == 0 ? 1 : min_item_size);
  if (count > U128(fits))
    fail(field,
         "length " + to_string(count) + " exceeds what the " + std::to_string(remaining()) +
             " bytes left can hold",
         at);
  return static_cast<std::size_t>(count.low);
}

Bytes ScaleDecoder::bytes(std::string_view field) {
  const std::size_t count = length(field);
  Bytes out(count);
  copy_out(out.data(), count, field);
  return out;
}

std::string ScaleDecoder::string(std::string_view field) {
  const std::size_t count = length(field);
  const std::size_t start = offset_;
  std::string text(reinterpret_cast<const char *>(take(count, field)), count);
  if (const std::size_t bad = first_invalid_utf8(text); bad != std::string::npos)
    fail(field, "String is not valid UTF-8 (byte " + std::to_string(bad) + " of the string)",
         start + bad);
  return text;
}

bool ScaleDecoder::option_tag() {
  const std::size_t at = offset_;
  const std::uint8_t tag = u8();
  if (tag > 1)
    fail({}, "invalid Option tag " + std::to_string(tag) + " (only 0 and 1 are)", at);
  return tag == 1;
}

std::optional<bool> ScaleDecoder::option_bool(std::string_view field) {
  const std::size_t at = offset_;
  switch (u8(field)) {
  case 0:
    return std::nullopt;
  case 1:
    return true;
  case 2:
    return false;
  default:
    fail(field, "invalid OptionBool byte " + std::to_string(data_[at]) + " (only 0, 1 and 2 are)",
         at);
  }
}

std::uint8_t ScaleDecoder::variant(std::string_view field, std::uint8_t variant_count) {
  const std::size_t at = offset_;
  const std::uint8_t index = u8(field);
  if (index >= variant_count)
    fail(field,
         "invalid enum variant " + std::to_string(index) + " (the enum has " +
             std::to_string(variant_count) + ")",
         at);
  return index;
}

void ScaleDecoder::expect_end() {
  if (remaining() > 0)
    fail({},
         std::to_string(remaining()) + " unexpected byte" + (remaining() == 1 ? "" : "s") +
             " after the value",
         offset_);
}

} // namespace mycelium::chain
