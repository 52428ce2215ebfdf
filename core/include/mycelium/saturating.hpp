// Integer arithmetic on times and deadlines that come from the wire: any int64 is possible, so
// sums clamp at the ends of the range instead of overflowing (undefined behaviour in C++).
#pragma once

#include <cstdint>
#include <limits>

namespace mycelium {

constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  if (b > 0 && a > kMax - b)
    return kMax;
  if (b < 0 && a < kMin - b)
    return kMin;
  return a + b;
}

// Stake sums: a + b, or 2^64 - 1 if that overflows.
constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  return a > kMax - b ? kMax : a + b;
}

} // namespace mycelium
