// Ed25519 through libsodium, with the length checks libsodium leaves to its callers.
#pragma once

#include "mycelium/bytes.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mycelium {

inline constexpr std::size_t kPublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;
inline constexpr std::size_t kSeedSize = 32;

using PublicKey = std::array<std::uint8_t, kPublicKeySize>;
using Signature = std::array<std::uint8_t, kSignatureSize>;

// Lowercase hex of exactly the right length, else Error 22023 naming `field`.
PublicKey parse_public_key(std::string_view hex, std::string_view field = "public_key");
Signature parse_signature(std::string_view hex, std::string_view field = "signature");

bool verify(const Signature &signature, const Bytes &payload, const PublicKey &key);

// A secret key held in memory only as long as needed; zeroed on destruction.
class SecretKey {
public:
  static SecretKey generate();
  static SecretKey from_seed(const std::uint8_t (&seed)[kSeedSize]);
  ~SecretKey();
  SecretKey(const SecretKey &) = delete;
  SecretKey &operator=(const SecretKey &) = delete;
  SecretKey(SecretKey &&other) noexcept;
  SecretKey &operator=(SecretKey &&) = delete;

  const PublicKey &public_key() const { return public_key_; }
  Signature sign(const Bytes &payload) const;
  // The 32-byte seed, for writing a key file.
  std::string seed_hex() const;

private:
  SecretKey() = default;
  std::uint8_t secret_[64] = {}; // libsodium layout: seed || public key
  PublicKey public_key_{};
};

// sodium_init() once; throws if libsodium cannot initialise.
void ensure_sodium();

} // namespace mycelium
