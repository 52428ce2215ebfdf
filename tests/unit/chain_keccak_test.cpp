// Keccak-f[1600] (core/include/mycelium/chain/keccak.hpp) against published known answers: the
// Keccak team's permutation of the zero state, and FIPS 202 hashes built here on the bare
// permutation (SHA3-256, SHA3-512, and Keccak-256 as Ethereum uses it).
#include "mycelium/chain/keccak.hpp"

#include "chain_test_util.hpp"

#include <cstring>

namespace {

using namespace mycelium::chain;
using chain_test::hex;

// A sponge on the permutation: rate bytes per block, the domain byte (0x06 for SHA-3, 0x01 for
// original Keccak) and pad10*1.
std::string sponge(std::size_t rate, std::uint8_t domain, const std::string &message,
                   std::size_t out_size) {
  std::uint8_t state[kKeccakStateSize] = {};
  std::size_t pos = 0;
  for (const char c : message) {
    state[pos++] ^= static_cast<std::uint8_t>(c);
    if (pos == rate) {
      keccak_f1600(state);
      pos = 0;
    }
  }
  state[pos] ^= domain;
  state[rate - 1] ^= 0x80;
  keccak_f1600(state);
  return hex(state, out_size); // out_size <= rate here
}

TEST(Keccak, PermutationOfTheZeroState) {
  // KeccakF-1600-IntermediateValues.txt: the first lanes after one permutation of zeros.
  std::uint8_t state[kKeccakStateSize] = {};
  keccak_f1600(state);
  EXPECT_EQ(hex(state, 16), "e7dde140798f25f18a47c033f9ccd584");
}

TEST(Keccak, Sha3_256) {
  EXPECT_EQ(sponge(136, 0x06, "", 32),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  EXPECT_EQ(sponge(136, 0x06, "abc", 32),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
  // 1600 bits of 0xa3 (the NIST example spanning two blocks).
  EXPECT_EQ(sponge(136, 0x06, std::string(200, '\xa3'), 32),
            "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787");
}

TEST(Keccak, Sha3_512) {
  EXPECT_EQ(sponge(72, 0x06, "abc", 64),
            "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
            "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
}

TEST(Keccak, Keccak256) {
  EXPECT_EQ(sponge(136, 0x01, "", 32),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

} // namespace
