#include "mycelium/chain/mortal_era.hpp"

#include "mycelium/error.hpp"

#include <algorithm>

namespace mycelium::chain {

namespace {

// The encoding keeps 12 bits of phase: longer periods are quantised to steps of period / 4096.
std::uint64_t quantize_factor(std::uint64_t period) {
  return std::max<std::uint64_t>(period >> 12, 1);
}

int trailing_zeros(std::uint64_t value) {
  int zeros = 0;
  while (zeros < 64 && (value & 1) == 0) {
    value >>= 1;
    ++zeros;
  }
  return zeros;
}

} // namespace

MortalEra MortalEra::for_block(std::uint64_t current_block, std::uint64_t period) {
  if (period == 0)
    throw Error(sqlstate::kInvalidParameterValue,
                "era period 0: a mortal era lasts at least one block (Substrate rounds up to " +
                    std::to_string(kMinEraPeriod) + ")");
  // Rounded up to a power of two, then clamped; comparing before shifting avoids overflow.
  std::uint64_t rounded = kMinEraPeriod;
  while (rounded < period && rounded < kMaxEraPeriod)
    rounded <<= 1;
  MortalEra era;
  era.period = rounded;
  const std::uint64_t factor = quantize_factor(rounded);
  era.phase = current_block % rounded / factor * factor;
  return era;
}

std::array<std::uint8_t, 2> MortalEra::encode() const {
  const int low = std::clamp(trailing_zeros(period) - 1, 1, 15);
  const std::uint64_t encoded =
      static_cast<std::uint64_t>(low) | ((phase / quantize_factor(period)) << 4);
  return {static_cast<std::uint8_t>(encoded), static_cast<std::uint8_t>(encoded >> 8)};
}

std::uint64_t MortalEra::birth(std::uint64_t current_block) const {
  return (std::max(current_block, phase) - phase) / period * period + phase;
}

} // namespace mycelium::chain
