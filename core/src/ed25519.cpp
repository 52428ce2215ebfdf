#include "mycelium/ed25519.hpp"

#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <sodium.h>

#include <cstring>

namespace mycelium {

void ensure_sodium() {
  // sodium_init is thread-safe and idempotent; it returns 1 when already initialised.
  if (sodium_init() < 0)
    throw Error(sqlstate::kInternalError, "libsodium could not be initialised");
}

PublicKey parse_public_key(std::string_view hex, std::string_view field) {
  const Bytes bytes = from_hex(hex, kPublicKeySize, field);
  PublicKey key;
  std::memcpy(key.data(), bytes.data(), key.size());
  return key;
}

Signature parse_signature(std::string_view hex, std::string_view field) {
  const Bytes bytes = from_hex(hex, kSignatureSize, field);
  Signature signature;
  std::memcpy(signature.data(), bytes.data(), signature.size());
  return signature;
}

bool verify(const Signature &signature, const Bytes &payload, const PublicKey &key) {
  ensure_sodium();
  // Both lengths are fixed by the types: libsodium itself would read 64/32 bytes regardless.
  return crypto_sign_verify_detached(signature.data(), payload.data(), payload.size(),
                                     key.data()) == 0;
}

SecretKey SecretKey::generate() {
  ensure_sodium();
  SecretKey key;
  crypto_sign_keypair(key.public_key_.data(), key.secret_);
  return key;
}

SecretKey SecretKey::from_seed(const std::uint8_t (&seed)[kSeedSize]) {
  ensure_sodium();
  SecretKey key;
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_, seed);
  return key;
}

SecretKey::SecretKey(SecretKey &&other) noexcept : public_key_(other.public_key_) {
  std::memcpy(secret_, other.secret_, sizeof secret_);
  sodium_memzero(other.secret_, sizeof other.secret_);
}

SecretKey::~SecretKey() {
  sodium_memzero(secret_, sizeof secret_);
}

Signature SecretKey::sign(const Bytes &payload) const {
  Signature signature;
  crypto_sign_detached(signature.data(), nullptr, payload.data(), payload.size(), secret_);
  return signature;
}

std::string SecretKey::seed_hex() const {
  return to_hex(secret_, kSeedSize);
}

} // namespace mycelium
