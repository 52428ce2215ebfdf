// SCALE encoding (parity-scale-codec, the chain's wire format), appending to a byte vector.
// Structs and tuples are their fields in order, so a struct's encoder is a function calling
// these in field order; enums are the variant's index byte followed by its fields.
// schemas/CHAIN.md, "SCALE".
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/account_id.hpp"
#include "mycelium/chain/u128.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mycelium::chain {

class ScaleEncoder {
public:
  // Appends to `out`, which must outlive the encoder.
  explicit ScaleEncoder(Bytes &out) : out_(out) {}

  // Fixed-width integers, little-endian.
  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) { little_endian(value, 2); }
  void u32(std::uint32_t value) { little_endian(value, 4); }
  void u64(std::uint64_t value) { little_endian(value, 8); }
  void u128(const U128 &value) {
    little_endian(value.low, 8);
    little_endian(value.high, 8);
  }
  void boolean(bool value) { out_.push_back(value ? 1 : 0); }

  // Compact<T> for any unsigned T up to u128, always in the smallest of the four modes: one byte
  // below 2^6, two below 2^14, four below 2^30, else the big-integer mode with as few bytes as
  // the value needs.
  void compact(const U128 &value);

  // Fixed-size arrays ([u8; N], AccountId32): the bytes alone, no length.
  void raw(const std::uint8_t *data, std::size_t size) {
    out_.insert(out_.end(), data, data + size);
  }
  void account_id(const AccountId &id) { raw(id.data(), id.size()); }

  // Vec<u8>: compact length, then the bytes.
  void bytes(const std::uint8_t *data, std::size_t size);
  void bytes(const Bytes &value) { bytes(value.data(), value.size()); }
  // String: as Vec<u8>. Invalid UTF-8 throws Error 22023: a Rust String cannot hold it, so the
  // chain would refuse what we sent.
  void string(std::string_view text);

  // Vec<T>: compact length, then each item written by encode_item(ScaleEncoder &, const T &).
  template <class T, class EncodeItem>
  void vec(const std::vector<T> &items, EncodeItem encode_item) {
    compact(static_cast<std::uint64_t>(items.size()));
    for (const T &item : items)
      encode_item(*this, item);
  }

  // Option<T>: 0 for None; 1 then the value, written by encode_value(ScaleEncoder &, const T &).
  // Rust's Option<bool> is this generic form too (0, 1 1, 1 0).
  template <class T, class EncodeValue>
  void option(const std::optional<T> &value, EncodeValue encode_value) {
    if (!value) {
      u8(0);
      return;
    }
    u8(1);
    encode_value(*this, *value);
  }

  // parity-scale-codec's OptionBool, the one-byte form: 0 None, 1 Some(true), 2 Some(false).
  // Only a field whose type is OptionBool uses it, not one of type Option<bool>.
  void option_bool(std::optional<bool> value) { u8(!value ? 0 : *value ? 1 : 2); }

  // An enum: the variant's index; its fields follow, written by the caller.
  void variant(std::uint8_t index) { u8(index); }

private:
  void little_endian(std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i)
      out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }

  Bytes &out_;
};

} // namespace mycelium::chain
