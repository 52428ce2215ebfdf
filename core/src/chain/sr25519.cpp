#include "mycelium/chain/sr25519.hpp"

#include "mycelium/chain/merlin.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <cstring>
#include <string>

namespace mycelium::chain::sr25519 {

namespace {

// The order l = 2^252 + 27742317777372353535851937790883648493 of ristretto255, little-endian.
constexpr std::uint8_t kGroupOrder[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

// Whether the little-endian 256-bit number is below l: the borrow out of scalar - l, computed
// over all 32 bytes whatever their values.
bool is_canonical_scalar(const std::uint8_t *scalar) {
  unsigned borrow = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned difference = unsigned{scalar[i]} - kGroupOrder[i] - borrow;
    borrow = (difference >> 8) & 1;
  }
  return borrow == 1;
}

// schnorrkel keeps its scalar "divided by the cofactor 8" relative to the Ed25519-style clamped
// bytes: clamping makes the bytes a multiple of 8, and ristretto255 has no cofactor to clear,
// so the clean representation mod l is the clamped value / 8. These are the byte-wise shifts
// schnorrkel uses, without branches.
void divide_by_cofactor(std::uint8_t *scalar) {
  std::uint8_t carried = 0;
  for (int i = 31; i >= 0; --i) {
    const auto remainder = static_cast<std::uint8_t>(scalar[i] & 0x07);
    scalar[i] = static_cast<std::uint8_t>((scalar[i] >> 3) + carried);
    carried = static_cast<std::uint8_t>(remainder << 5);
  }
}

void multiply_by_cofactor(std::uint8_t *scalar) {
  std::uint8_t carried = 0;
  for (int i = 0; i < 32; ++i) {
    const auto high = static_cast<std::uint8_t>(scalar[i] & 0xe0);
    scalar[i] = static_cast<std::uint8_t>((scalar[i] << 3) + carried);
    carried = static_cast<std::uint8_t>(high >> 5);
  }
}

[[noreturn]] void invalid(const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue, what);
}

// schnorrkel's signing_context(b"substrate").bytes(message): the transcript every signature
// and every verification starts from.
Transcript signing_transcript(const std::uint8_t *message, std::size_t size) {
  Transcript transcript("SigningContext");
  transcript.append_message("", kSigningContext);
  transcript.append_message("sign-bytes", message, size);
  return transcript;
}

// Commits R and draws the challenge k = H(context, message, public key, R): 64 bytes reduced
// mod l.
void commit_and_challenge(Transcript &transcript, const std::uint8_t *commitment,
                          std::uint8_t (&k)[32]) {
  transcript.append_message("sign:R", commitment, 32);
  std::uint8_t wide[64];
  transcript.challenge_bytes("sign:c", wide, sizeof wide);
  crypto_core_ristretto255_scalar_reduce(k, wide);
}

// The start of schnorrkel's sign and verify after the context: the protocol name and the key.
void commit_protocol_and_key(Transcript &transcript, const PublicKey &public_key) {
  transcript.append_message("proto-name", "Schnorr-sig");
  transcript.append_message("sign:pk", public_key.data(), public_key.size());
}

bool is_identity(const std::uint8_t *point) {
  // The identity's only canonical encoding is 32 zero bytes.
  return sodium_is_zero(point, 32) == 1;
}

// Why the signature is refused, or nullptr when it verifies. Everything verification reads is
// public, so it may return early and need not take constant time.
const char *refusal(const Signature &signature, const std::uint8_t *message, std::size_t size,
                    const PublicKey &public_key) {
  // schnorrkel sets this bit in every signature so that an sr25519 signature can never be taken
  // for an Ed25519 one (whose s is below 2^253, so the bit is always clear there) and refuses
  // signatures without it. Signatures from schnorrkel before 0.8 lack it too.
  if ((signature[63] & 0x80) == 0)
    return "sr25519 signature: marker bit (0x80 in byte 63) not set: not a schnorrkel "
           "signature";
  std::uint8_t s[32];
  std::memcpy(s, signature.data() + 32, 32);
  s[31] &= 0x7f;
  // A non-canonical s (s + l for a valid s) would make a second valid encoding of one
  // signature: malleability, refused as schnorrkel refuses it.
  if (!is_canonical_scalar(s))
    return "sr25519 signature: s (bytes 32..63 without the marker bit) is not canonical: not "
           "below the group order l";
  if (!is_canonical_point(public_key.data()))
    return "sr25519 public key: not a canonical ristretto255 encoding";
  // With the identity as public key, s * B = R holds for any R = r * B and s = r: anyone could
  // sign for it. schnorrkel accepts it; @scure/sr25519 (polkadot-js) refuses it, as we do.
  if (is_identity(public_key.data()))
    return "sr25519 public key: the identity point, for which anyone can sign";
  const std::uint8_t *commitment = signature.data();
  if (!is_canonical_point(commitment))
    return "sr25519 signature: R (bytes 0..31) is not a canonical ristretto255 encoding";

  Transcript transcript = signing_transcript(message, size);
  commit_protocol_and_key(transcript, public_key);
  std::uint8_t k[32];
  commit_and_challenge(transcript, commitment, k);

  // R' = s * B - k * A. Both multiplications return -1 only when their result is the identity
  // (s = 0, or k = 0): the output is then the identity's encoding, which is what the
  // subtraction needs, so the return values are not errors here.
  std::uint8_t s_times_base[32];
  std::uint8_t k_times_key[32];
  std::uint8_t expected[32];
  const int identity_s = crypto_scalarmult_ristretto255_base(s_times_base, s);
  const int identity_k = crypto_scalarmult_ristretto255(k_times_key, k, public_key.data());
  (void)identity_s;
  (void)identity_k;
  if (crypto_core_ristretto255_sub(expected, s_times_base, k_times_key) != 0)
    return "sr25519 signature: internal error subtracting points";
  if (sodium_memcmp(expected, commitment, 32) != 0)
    return "sr25519 signature does not verify: signed by another key, or of another message";
  return nullptr;
}

} // namespace

bool is_canonical_point(const std::uint8_t *encoding) {
  ensure_sodium();
  return (encoding[31] & 0x80) == 0 && crypto_core_ristretto255_is_valid_point(encoding) == 1;
}

PublicKey public_key_from_bytes(const std::uint8_t *data, std::size_t size) {
  if (size != kPublicKeySize)
    invalid("sr25519 public key must be 32 bytes, got " + std::to_string(size));
  ensure_sodium();
  if (!is_canonical_point(data))
    invalid("sr25519 public key: not a canonical ristretto255 encoding");
  if (is_identity(data))
    invalid("sr25519 public key: the identity point, for which anyone can sign");
  PublicKey key;
  std::memcpy(key.data(), data, key.size());
  return key;
}

Signature signature_from_bytes(const std::uint8_t *data, std::size_t size) {
  if (size != kSignatureSize)
    invalid("sr25519 signature must be 64 bytes, got " + std::to_string(size));
  Signature signature;
  std::memcpy(signature.data(), data, signature.size());
  return signature;
}

SecretKey::SecretKey(const std::uint8_t *key, const std::uint8_t *nonce) {
  ensure_sodium();
  std::memcpy(key_, key, sizeof key_);
  std::memcpy(nonce_, nonce, sizeof nonce_);
  // Fails only for the zero scalar, whose public key would be the identity.
  if (crypto_scalarmult_ristretto255_base(public_key_.data(), key_) != 0) {
    sodium_memzero(key_, sizeof key_);
    sodium_memzero(nonce_, sizeof nonce_);
    invalid("sr25519 secret key: the scalar is zero");
  }
}

SecretKey::SecretKey(SecretKey &&other) noexcept : public_key_(other.public_key_) {
  std::memcpy(key_, other.key_, sizeof key_);
  std::memcpy(nonce_, other.nonce_, sizeof nonce_);
  sodium_memzero(other.key_, sizeof other.key_);
  sodium_memzero(other.nonce_, sizeof other.nonce_);
}

SecretKey &SecretKey::operator=(SecretKey &&other) noexcept {
  if (this != &other) {
    std::memcpy(key_, other.key_, sizeof key_);
    std::memcpy(nonce_, other.nonce_, sizeof nonce_);
    public_key_ = other.public_key_;
    sodium_memzero(other.key_, sizeof other.key_);
    sodium_memzero(other.nonce_, sizeof other.nonce_);
  }
  return *this;
}

SecretKey::~SecretKey() {
  sodium_memzero(key_, sizeof key_);
  sodium_memzero(nonce_, sizeof nonce_);
}

SecretKey SecretKey::from_mini_secret(const MiniSecretKey &mini_secret) {
  ensure_sodium();
  std::uint8_t hash[crypto_hash_sha512_BYTES];
  crypto_hash_sha512(hash, mini_secret.data(), mini_secret.size());
  // Ed25519's clamping (RFC 8032, 5.1.5): not needed in a prime-order group, kept by schnorrkel
  // for compatibility with Ed25519 key handling; the division by 8 then gives a scalar in
  // [2^251, 2^252), below l, so no reduction is needed.
  hash[0] &= 248;
  hash[31] &= 63;
  hash[31] |= 64;
  divide_by_cofactor(hash);
  try {
    SecretKey key(hash, hash + 32);
    sodium_memzero(hash, sizeof hash);
    return key;
  } catch (...) {
    sodium_memzero(hash, sizeof hash);
    throw;
  }
}

SecretKey SecretKey::from_bytes(const std::uint8_t *data, std::size_t size) {
  if (size != kSecretKeySize)
    invalid("sr25519 secret key must be 64 bytes, got " + std::to_string(size));
  if (!is_canonical_scalar(data))
    invalid("sr25519 secret key: the scalar (bytes 0..31) is not below the group order");
  return SecretKey(data, data + 32);
}

SecretKey SecretKey::from_ed25519_bytes(const std::uint8_t *data, std::size_t size) {
  if (size != kSecretKeySize)
    invalid("sr25519 secret key must be 64 bytes, got " + std::to_string(size));
  SecretBytes<32> key(data);
  divide_by_cofactor(key.data());
  if (!is_canonical_scalar(key.data()))
    invalid("sr25519 secret key: the scalar (bytes 0..31, divided by 8) is not below the group "
            "order");
  return SecretKey(key.data(), data + 32);
}

SecretKey SecretKey::generate() {
  ensure_sodium();
  MiniSecretKey mini_secret;
  randombytes_buf(mini_secret.data(), mini_secret.size());
  return from_mini_secret(mini_secret);
}

SecretBytes<kSecretKeySize> SecretKey::to_bytes() const {
  SecretBytes<kSecretKeySize> bytes;
  std::memcpy(bytes.data(), key_, 32);
  std::memcpy(bytes.data() + 32, nonce_, 32);
  return bytes;
}

SecretBytes<kSecretKeySize> SecretKey::to_ed25519_bytes() const {
  SecretBytes<kSecretKeySize> bytes = to_bytes();
  // key < l < 2^253, so 8 * key fits in 256 bits.
  multiply_by_cofactor(bytes.data());
  return bytes;
}

Signature SecretKey::sign(const std::uint8_t *message, std::size_t size) const {
  ensure_sodium();
  std::uint8_t random[kRandomSize];
  randombytes_buf(random, sizeof random);
  Signature signature = sign(message, size, random);
  sodium_memzero(random, sizeof random);
  return signature;
}

Signature SecretKey::sign(const std::uint8_t *message, std::size_t size,
                          const std::uint8_t (&random)[kRandomSize]) const {
  Transcript transcript = signing_transcript(message, size);
  commit_protocol_and_key(transcript, public_key_);

  // The witness r: 64 bytes from the transcript RNG keyed with the nonce seed, reduced mod l.
  std::uint8_t wide[64];
  std::uint8_t r[32];
  TranscriptRng rng = transcript.build_rng();
  rng.rekey_with_witness_bytes("signing", nonce_, sizeof nonce_).finalize(random);
  rng.fill_bytes(wide, sizeof wide);
  crypto_core_ristretto255_scalar_reduce(r, wide);
  sodium_memzero(wide, sizeof wide);

  Signature signature{};
  // R = r * B. Fails only for r = 0 (probability 2^-252): no signature rather than one that
  // reveals the key (s = k * key).
  if (crypto_scalarmult_ristretto255_base(signature.data(), r) != 0) {
    sodium_memzero(r, sizeof r);
    throw Error(sqlstate::kInternalError, "sr25519 sign: the nonce scalar is zero");
  }
  std::uint8_t k[32];
  commit_and_challenge(transcript, signature.data(), k);

  // s = k * key + r mod l.
  std::uint8_t k_times_key[32];
  crypto_core_ristretto255_scalar_mul(k_times_key, k, key_);
  crypto_core_ristretto255_scalar_add(signature.data() + 32, k_times_key, r);
  sodium_memzero(k_times_key, sizeof k_times_key);
  sodium_memzero(r, sizeof r);
  signature[63] |= 0x80;
  return signature;
}

bool verify(const Signature &signature, const std::uint8_t *message, std::size_t size,
            const PublicKey &public_key) {
  ensure_sodium();
  return refusal(signature, message, size, public_key) == nullptr;
}

void verify_or_throw(const Signature &signature, const std::uint8_t *message, std::size_t size,
                     const PublicKey &public_key) {
  ensure_sodium();
  if (const char *why = refusal(signature, message, size, public_key))
    throw Error(sqlstate::kSignatureInvalid, why);
}

} // namespace mycelium::chain::sr25519
