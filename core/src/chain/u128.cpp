#include "mycelium/chain/u128.hpp"

#include <algorithm>

namespace mycelium::chain {

std::string to_string(const U128 &value) {
  // Long division by 10 over 32-bit limbs, most significant first: each step's remainder
  // (below 10) times 2^32 plus the next limb fits in 64 bits.
  std::uint32_t limbs[4] = {
      static_cast<std::uint32_t>(value.high >> 32), static_cast<std::uint32_t>(value.high),
      static_cast<std::uint32_t>(value.low >> 32), static_cast<std::uint32_t>(value.low)};
  std::string digits;
  do {
    std::uint64_t remainder = 0;
    for (std::uint32_t &limb : limbs) {
      const std::uint64_t current = remainder << 32 | limb;
      limb = static_cast<std::uint32_t>(current / 10);
      remainder = current % 10;
    }
    digits += static_cast<char>('0' + remainder);
  } while (limbs[0] | limbs[1] | limbs[2] | limbs[3]);
  std::reverse(digits.begin(), digits.end());
  return digits;
}

} // namespace mycelium::chain
