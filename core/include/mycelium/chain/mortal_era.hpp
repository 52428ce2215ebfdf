// A transaction's mortal era (sp_runtime::generic::Era::Mortal): the span of blocks in which the
// chain accepts it. A signed extrinsic that is not included within `period` blocks of its
// birth is dead and can never be replayed, even after its account's nonce is reused.
// schemas/CHAIN.md, "Weights".
#pragma once

#include <array>
#include <cstdint>

namespace mycelium::chain {

inline constexpr std::uint64_t kMinEraPeriod = 4;
inline constexpr std::uint64_t kMaxEraPeriod = 65536;

struct MortalEra {
  std::uint64_t period = kMinEraPeriod; // a power of two, 4..65536
  std::uint64_t phase = 0;              // below period

  // Substrate's Era::mortal(period, current_block): the period rounded up to a power of two and
  // clamped to 4..65536; the phase current_block % period, rounded down to a multiple of
  // period / 4096 when the period is above 4096 (the encoding has 12 bits for it). Throws Error
  // 22023 for a period of 0.
  static MortalEra for_block(std::uint64_t current_block, std::uint64_t period);

  // The two bytes, little-endian u16: the low 4 bits are log2(period) - 1 (1..15), the upper 12
  // the phase divided by max(period / 4096, 1).
  std::array<std::uint8_t, 2> encode() const;

  // The block the era starts at, seen from `current_block` (Substrate's Era::birth): the last
  // block at or before it whose number is the phase modulo the period. Its hash is what the
  // CheckMortality extension signs.
  std::uint64_t birth(std::uint64_t current_block) const;
  // The first block at which the transaction is no longer valid.
  std::uint64_t death(std::uint64_t current_block) const { return birth(current_block) + period; }
};

} // namespace mycelium::chain
