// A fixed-size secret (a mini secret key, an expanded secret key, BIP39 entropy) that is zeroed
// when it goes away, and never copied by accident: it can be moved, and the moved-from buffer
// is zeroed too.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mycelium::chain {

template <std::size_t N> class SecretBytes {
public:
  SecretBytes() = default;
  explicit SecretBytes(const std::uint8_t *data) { std::memcpy(bytes_, data, N); }
  ~SecretBytes() { sodium_memzero(bytes_, N); }

  SecretBytes(const SecretBytes &) = delete;
  SecretBytes &operator=(const SecretBytes &) = delete;
  SecretBytes(SecretBytes &&other) noexcept {
    std::memcpy(bytes_, other.bytes_, N);
    sodium_memzero(other.bytes_, N);
  }
  SecretBytes &operator=(SecretBytes &&other) noexcept {
    if (this != &other) {
      std::memcpy(bytes_, other.bytes_, N);
      sodium_memzero(other.bytes_, N);
    }
    return *this;
  }

  std::uint8_t *data() { return bytes_; }
  const std::uint8_t *data() const { return bytes_; }
  static constexpr std::size_t size() { return N; }

private:
  std::uint8_t bytes_[N] = {};
};

} // namespace mycelium::chain
