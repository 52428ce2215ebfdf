// An unsigned 128-bit integer as two 64-bit halves: Substrate's u128 (balances, an axon's IPv6
// address) and the largest compact integer Mycelium decodes. Only what the codec needs:
// construction, comparison and decimal text; no arithmetic.
#pragma once

#include <cstdint>
#include <string>

namespace mycelium::chain {

struct U128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  constexpr U128() = default;
  // Implicit: every u64 is a u128, so `U128 x = 5;` and `x == 5` read as they should.
  constexpr U128(std::uint64_t value) : low(value) {}
  static constexpr U128 from_halves(std::uint64_t high, std::uint64_t low) {
    U128 value(low);
    value.high = high;
    return value;
  }
  static constexpr U128 max() { return from_halves(~std::uint64_t{0}, ~std::uint64_t{0}); }

  friend constexpr bool operator==(const U128 &a, const U128 &b) {
    return a.high == b.high && a.low == b.low;
  }
  friend constexpr bool operator!=(const U128 &a, const U128 &b) { return !(a == b); }
  friend constexpr bool operator<(const U128 &a, const U128 &b) {
    return a.high != b.high ? a.high < b.high : a.low < b.low;
  }
  friend constexpr bool operator>(const U128 &a, const U128 &b) { return b < a; }
  friend constexpr bool operator<=(const U128 &a, const U128 &b) { return !(b < a); }
  friend constexpr bool operator>=(const U128 &a, const U128 &b) { return !(a < b); }
};

// Decimal, without leading zeros: "0" .. "340282366920938463463374607431768211455".
std::string to_string(const U128 &value);

} // namespace mycelium::chain
