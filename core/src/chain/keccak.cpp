#include "mycelium/chain/keccak.hpp"

#include <sodium.h>

namespace mycelium::chain {

namespace {

// Iota's round constants (FIPS 202, 3.2.5), one per round.
constexpr std::uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// Rho and pi together, as one walk over the 24 lanes other than (0, 0): starting from lane 1,
// lane kPiLane[i] receives the previous lane rotated by kRhoOffset[i]. The offsets are the
// triangular numbers (i + 1)(i + 2) / 2 mod 64 of FIPS 202, 3.2.2.
constexpr int kRhoOffset[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPiLane[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                             15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

// Every offset above is between 1 and 63, so neither shift is by 64.
inline std::uint64_t rotate_left(std::uint64_t value, int bits) {
  return (value << bits) | (value >> (64 - bits));
}

} // namespace

void keccak_f1600(std::uint8_t (&state)[kKeccakStateSize]) {
  std::uint64_t lane[25];
  for (int i = 0; i < 25; ++i) {
    std::uint64_t value = 0;
    for (int b = 7; b >= 0; --b)
      value = (value << 8) | state[8 * i + b];
    lane[i] = value;
  }

  std::uint64_t column[5];
  for (const std::uint64_t round_constant : kRoundConstants) {
    // Theta: every lane takes the parities of two neighbouring columns.
    for (int x = 0; x < 5; ++x)
      column[x] = lane[x] ^ lane[x + 5] ^ lane[x + 10] ^ lane[x + 15] ^ lane[x + 20];
    for (int x = 0; x < 5; ++x) {
      const std::uint64_t d = column[(x + 4) % 5] ^ rotate_left(column[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5)
        lane[y + x] ^= d;
    }
    // Rho and pi.
    std::uint64_t carried = lane[1];
    for (int i = 0; i < 24; ++i) {
      const int target = kPiLane[i];
      const std::uint64_t next = lane[target];
      lane[target] = rotate_left(carried, kRhoOffset[i]);
      carried = next;
    }
    // Chi: the only non-linear step, row by row.
    for (int y = 0; y < 25; y += 5) {
      for (int x = 0; x < 5; ++x)
        column[x] = lane[y + x];
      for (int x = 0; x < 5; ++x)
        lane[y + x] ^= ~column[(x + 1) % 5] & column[(x + 2) % 5];
    }
    // Iota.
    lane[0] ^= round_constant;
  }

  for (int i = 0; i < 25; ++i)
    for (int b = 0; b < 8; ++b)
      state[8 * i + b] = static_cast<std::uint8_t>(lane[i] >> (8 * b));
  // A keyed STROBE state is secret: no copy of it stays on the stack.
  sodium_memzero(lane, sizeof lane);
  sodium_memzero(column, sizeof column);
}

} // namespace mycelium::chain
