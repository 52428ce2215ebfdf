// Keccak-f[1600], the permutation under SHA-3 and STROBE (FIPS 202, section 3). libsodium has no
// Keccak, and STROBE-128 (strobe.hpp) needs the bare permutation rather than a hash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mycelium::chain {

inline constexpr std::size_t kKeccakStateSize = 200;

// Permutes the 1600-bit state in place: 24 rounds of theta, rho, pi, chi and iota. Byte i of
// the array is byte i of FIPS 202's state string, so lane (x, y) is the little-endian 64-bit
// word at bytes 8 * (x + 5y). Constant time: no branch or table index depends on the state.
void keccak_f1600(std::uint8_t (&state)[kKeccakStateSize]);

} // namespace mycelium::chain
