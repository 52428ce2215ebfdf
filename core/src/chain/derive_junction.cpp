#include "mycelium/chain/derive_junction.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <cstring>
#include <limits>
#include <vector>

namespace mycelium::chain {

namespace {

// A SCALE compact length: one, two or four bytes for lengths below 2^30 (a junction's name is
// never longer; longer ones are refused rather than encoded in the big-integer mode).
void append_compact_length(std::vector<std::uint8_t> &out, std::size_t length) {
  if (length < (1u << 6)) {
    out.push_back(static_cast<std::uint8_t>(length << 2));
  } else if (length < (1u << 14)) {
    const auto value = static_cast<std::uint32_t>(length << 2 | 1);
    out.push_back(static_cast<std::uint8_t>(value));
    out.push_back(static_cast<std::uint8_t>(value >> 8));
  } else if (length < (1u << 30)) {
    const auto value = static_cast<std::uint32_t>(length << 2 | 2);
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  } else {
    throw Error(sqlstate::kInvalidParameterValue,
                "derivation path: a junction longer than 2^30 - 1 bytes");
  }
}

// sp-core's DeriveJunction::soft(encoded): the encoding itself when it fits the chain code
// (zero-padded), else its BLAKE2b-256.
DeriveJunction from_encoding(const std::uint8_t *encoded, std::size_t size, bool hard) {
  DeriveJunction junction;
  junction.hard = hard;
  if (size > kChainCodeSize) {
    ensure_sodium();
    crypto_generichash(junction.chain_code.data(), kChainCodeSize, encoded, size, nullptr, 0);
  } else {
    std::memcpy(junction.chain_code.data(), encoded, size);
  }
  return junction;
}

// The decimal value of a name made only of ASCII digits, when it fits a u64. polkadot-js and
// py-substrate-interface take digits only, as here; Rust's u64 parser, which Substrate uses,
// would also take a leading '+', which is read as part of a name here.
bool parse_index(std::string_view name, std::uint64_t &index) {
  if (name.empty())
    return false;
  std::uint64_t value = 0;
  for (const char c : name) {
    if (c < '0' || c > '9')
      return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
      return false; // too large for a u64: a name, as in Substrate
    value = value * 10 + digit;
  }
  index = value;
  return true;
}

} // namespace

DeriveJunction DeriveJunction::from_index(std::uint64_t index, bool hard) {
  std::uint8_t encoded[8];
  for (int i = 0; i < 8; ++i)
    encoded[i] = static_cast<std::uint8_t>(index >> (8 * i));
  return from_encoding(encoded, sizeof encoded, hard);
}

DeriveJunction DeriveJunction::from_name(std::string_view name, bool hard) {
  std::vector<std::uint8_t> encoded;
  encoded.reserve(name.size() + 4); // no reallocation: no unzeroed copy of the name
  append_compact_length(encoded, name.size());
  encoded.insert(encoded.end(), name.begin(), name.end());
  DeriveJunction junction = from_encoding(encoded.data(), encoded.size(), hard);
  // A hard junction's name is part of a secret URI.
  sodium_memzero(encoded.data(), encoded.size());
  return junction;
}

DeriveJunction DeriveJunction::parse(std::string_view text) {
  const bool hard = !text.empty() && text.front() == '/';
  const std::string_view name = hard ? text.substr(1) : text;
  if (name.empty())
    throw Error(sqlstate::kInvalidParameterValue, "derivation path: an empty junction");
  std::uint64_t index = 0;
  if (parse_index(name, index))
    return from_index(index, hard);
  return from_name(name, hard);
}

} // namespace mycelium::chain
