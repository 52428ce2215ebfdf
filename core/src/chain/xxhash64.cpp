#include "mycelium/chain/xxhash64.hpp"

namespace mycelium::chain {

namespace {

constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

std::uint64_t rotate_left(std::uint64_t value, int bits) {
  return (value << bits) | (value >> (64 - bits));
}

// Little-endian whatever the host: the specification reads lanes as little-endian.
std::uint64_t read64(const std::uint8_t *p) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | p[i];
  return value;
}

std::uint32_t read32(const std::uint8_t *p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint64_t round(std::uint64_t accumulator, std::uint64_t lane) {
  accumulator += lane * kPrime2;
  accumulator = rotate_left(accumulator, 31);
  return accumulator * kPrime1;
}

std::uint64_t merge(std::uint64_t accumulator, std::uint64_t lane_accumulator) {
  accumulator ^= round(0, lane_accumulator);
  return accumulator * kPrime1 + kPrime4;
}

} // namespace

std::uint64_t xxhash64(const std::uint8_t *data, std::size_t size, std::uint64_t seed) {
  const std::uint8_t *p = data;
  const std::uint8_t *const end = data + size;
  std::uint64_t hash;
  if (size >= 32) {
    // Four lanes over 32-byte stripes, then folded into one.
    std::uint64_t lanes[4] = {seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1};
    while (end - p >= 32) {
      for (std::uint64_t &lane : lanes) {
        lane = round(lane, read64(p));
        p += 8;
      }
    }
    hash = rotate_left(lanes[0], 1) + rotate_left(lanes[1], 7) + rotate_left(lanes[2], 12) +
           rotate_left(lanes[3], 18);
    for (std::uint64_t lane : lanes)
      hash = merge(hash, lane);
  } else {
    hash = seed + kPrime5;
  }
  hash += static_cast<std::uint64_t>(size);
  // The tail: 8 bytes at a time, then 4, then single bytes.
  for (; end - p >= 8; p += 8) {
    hash ^= round(0, read64(p));
    hash = rotate_left(hash, 27) * kPrime1 + kPrime4;
  }
  if (end - p >= 4) {
    hash ^= static_cast<std::uint64_t>(read32(p)) * kPrime1;
    hash = rotate_left(hash, 23) * kPrime2 + kPrime3;
    p += 4;
  }
  for (; p < end; ++p) {
    hash ^= static_cast<std::uint64_t>(*p) * kPrime5;
    hash = rotate_left(hash, 11) * kPrime1;
  }
  // Avalanche.
  hash ^= hash >> 33;
  hash *= kPrime2;
  hash ^= hash >> 29;
  hash *= kPrime3;
  hash ^= hash >> 32;
  return hash;
}

} // namespace mycelium::chain
