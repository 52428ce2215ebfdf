// A fixed-size secret (a hotkey's 32-byte sr25519 mini secret) that zeroes itself when
// destroyed or moved from, and is never copied by accident.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace mycelium::chain {

template <std::size_t N> class SecretBytes {
public:
  SecretBytes() = default;
  ~SecretBytes() { sodium_memzero(bytes_.data(), N); }
  SecretBytes(const SecretBytes &) = delete;
  SecretBytes &operator=(const SecretBytes &) = delete;
  SecretBytes(SecretBytes &&other) noexcept : bytes_(other.bytes_) {
    sodium_memzero(other.bytes_.data(), N);
  }
  SecretBytes &operator=(SecretBytes &&other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      sodium_memzero(other.bytes_.data(), N);
    }
    return *this;
  }

  static constexpr std::size_t size() { return N; }
  std::uint8_t *data() { return bytes_.data(); }
  const std::uint8_t *data() const { return bytes_.data(); }

private:
  std::array<std::uint8_t, N> bytes_{};
};

// An sr25519 mini secret: the 32-byte seed schnorrkel expands into a secret key (Bittensor's
// secretSeed, Substrate's "seed").
using MiniSecret = SecretBytes<32>;

} // namespace mycelium::chain
