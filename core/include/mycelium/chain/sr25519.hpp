// sr25519: Schnorr signatures on the ristretto255 group as schnorrkel (w3f/schnorrkel 0.11)
// makes them and Substrate uses them, with signing context "substrate". The group and scalar
// arithmetic is libsodium's; the Fiat-Shamir hash is our Merlin transcript (merlin.hpp).
// schemas/CHAIN.md, "sr25519", has the construction with every label, and what is refused.
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/secret_bytes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mycelium::chain::sr25519 {

inline constexpr std::size_t kMiniSecretKeySize = 32;
inline constexpr std::size_t kSecretKeySize = 64;
inline constexpr std::size_t kPublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;
inline constexpr std::size_t kRandomSize = 32;
// The signing context every Substrate signature (extrinsics, sp-core's Pair::sign) is made in.
inline constexpr std::string_view kSigningContext = "substrate";

// A compressed ristretto255 point.
using PublicKey = std::array<std::uint8_t, kPublicKeySize>;
// R (a compressed ristretto255 point) || s (a scalar, little-endian) with bit 7 of byte 63 set.
using Signature = std::array<std::uint8_t, kSignatureSize>;
// 32 secret bytes, what Ed25519 calls a seed and Substrate a "secret seed".
using MiniSecretKey = SecretBytes<kMiniSecretKeySize>;

// Whether the 32 bytes are the canonical encoding of a ristretto255 point (RFC 9496, 4.3.1).
// libsodium 1.0.18's crypto_core_ristretto255_is_valid_point ignores bit 255, taking an
// encoding with that bit set as a second spelling of the same point; this refuses it, as
// curve25519-dalek (schnorrkel's group) does.
bool is_canonical_point(const std::uint8_t *encoding);

// Exactly 32 bytes encoding a valid ristretto255 point other than the identity, else Error
// 22023 saying which.
PublicKey public_key_from_bytes(const std::uint8_t *data, std::size_t size);
// Exactly 64 bytes, else Error 22023. The contents are checked by verify.
Signature signature_from_bytes(const std::uint8_t *data, std::size_t size);

// An expanded secret key: a scalar `key` below the group order and a 32-byte `nonce` seed for
// the signing nonces, with the public key key * B. Held in memory only as long as needed and
// zeroed on destruction; not copyable.
class SecretKey {
public:
  // schnorrkel's MiniSecretKey::expand(ExpansionMode::Ed25519), what Substrate and polkadot-js
  // do with a seed: h = SHA-512(mini secret); key = clamp(h[0..32]) / 8; nonce = h[32..64].
  static SecretKey from_mini_secret(const MiniSecretKey &mini_secret);
  // key || nonce, the key canonical (below l): schnorrkel's SecretKey::to_bytes, Substrate's
  // Pair::to_raw_vec.
  static SecretKey from_bytes(const std::uint8_t *data, std::size_t size);
  // (8 * key) || nonce: schnorrkel's to_ed25519_bytes, the 64-byte secretKey of polkadot-js
  // (sr25519PairFromSeed) and of its keyring's exported pairs.
  static SecretKey from_ed25519_bytes(const std::uint8_t *data, std::size_t size);
  // From a fresh random mini secret key.
  static SecretKey generate();

  ~SecretKey();
  SecretKey(const SecretKey &) = delete;
  SecretKey &operator=(const SecretKey &) = delete;
  SecretKey(SecretKey &&other) noexcept;
  SecretKey &operator=(SecretKey &&other) noexcept;

  const PublicKey &public_key() const { return public_key_; }
  SecretBytes<kSecretKeySize> to_bytes() const;
  SecretBytes<kSecretKeySize> to_ed25519_bytes() const;

  // schnorrkel's sign(signing_context(b"substrate").bytes(message)). The nonce is drawn from
  // the transcript, the secret nonce seed and 32 bytes of OS randomness, so two signatures of
  // one message differ.
  Signature sign(const std::uint8_t *message, std::size_t size) const;
  Signature sign(const Bytes &message) const { return sign(message.data(), message.size()); }
  // The same with the 32 "random" bytes given, so that a test can compare byte for byte with
  // another implementation fed the same bytes. Repeating them is not unsafe (the nonce still
  // depends on the secret nonce seed and the message, as in Ed25519), but use sign() above.
  Signature sign(const std::uint8_t *message, std::size_t size,
                 const std::uint8_t (&random)[kRandomSize]) const;

private:
  SecretKey(const std::uint8_t *key, const std::uint8_t *nonce);

  std::uint8_t key_[32] = {};   // canonical scalar, little-endian
  std::uint8_t nonce_[32] = {}; // seed of the signing nonces
  PublicKey public_key_{};
};

// True when `signature` is schnorrkel's signature of `message` under `public_key` in the
// "substrate" context; false for anything else, malformed inputs included.
bool verify(const Signature &signature, const std::uint8_t *message, std::size_t size,
            const PublicKey &public_key);
inline bool verify(const Signature &signature, const Bytes &message, const PublicKey &public_key) {
  return verify(signature, message.data(), message.size(), public_key);
}

// The same check, throwing Error MC001 (signature invalid) that says why: the marker bit is
// not set, s is not canonical, the public key or R is not a valid point, or the equation does
// not hold.
void verify_or_throw(const Signature &signature, const std::uint8_t *message, std::size_t size,
                     const PublicKey &public_key);

} // namespace mycelium::chain::sr25519
