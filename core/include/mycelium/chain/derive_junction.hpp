// One step of a Substrate derivation path (sp-core's DeriveJunction): `/name` is soft, `//name`
// hard, and either carries a 32-byte chain code made from the name. The key derivation itself
// is per key type (sr25519_derive.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mycelium::chain {

inline constexpr std::size_t kChainCodeSize = 32;
using ChainCode = std::array<std::uint8_t, kChainCodeSize>;

struct DeriveJunction {
  ChainCode chain_code{};
  bool hard = false;

  // An index's chain code: its SCALE encoding as a u64 (8 bytes, little-endian), zero-padded.
  static DeriveJunction from_index(std::uint64_t index, bool hard);
  // A name's chain code: its SCALE encoding as a string (compact length, then the bytes),
  // zero-padded to 32 bytes, or the BLAKE2b-256 of that encoding when it is longer.
  static DeriveJunction from_name(std::string_view name, bool hard);
  // sp-core's DeriveJunction::from(&str), for the text after a path's separating '/': a text
  // starting with '/' is hard (the rest is the name), else soft; a name of decimal digits whose
  // value fits a u64 is an index. Throws Error 22023 when the name is empty.
  static DeriveJunction parse(std::string_view text);
};

} // namespace mycelium::chain
