#include "mycelium/chain/sr25519_derive.hpp"

#include "mycelium/chain/merlin.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <cstring>

namespace mycelium::chain::sr25519 {

namespace {

constexpr std::string_view kDerivationLabel = "SchnorrRistrettoHDKD";

// Both kinds of junction start alike: derived_key_simple and hard_derive_mini_secret_key with an
// empty index "i", then the chain code.
Transcript derivation_transcript(const ChainCode &chain_code) {
  Transcript transcript(kDerivationLabel);
  transcript.append_message("sign-bytes", nullptr, 0);
  transcript.append_message("chain-code", chain_code.data(), chain_code.size());
  return transcript;
}

// PublicKey::derive_scalar_and_chaincode: the tweak added to the scalar (and, times B, to the
// public key). The new chain code is drawn too, because drawing it changes the transcript the
// nonce witness is then taken from; Substrate does not use it.
void soft_tweak(Transcript &transcript, const PublicKey &parent, std::uint8_t (&scalar)[32]) {
  transcript.append_message("public-key", parent.data(), parent.size());
  std::uint8_t wide[64];
  transcript.challenge_bytes("HDKD-scalar", wide, sizeof wide);
  crypto_core_ristretto255_scalar_reduce(scalar, wide);
  ChainCode next_chain_code;
  transcript.challenge_bytes("HDKD-chaincode", next_chain_code.data(), next_chain_code.size());
}

} // namespace

MiniSecretKey derive_hard_mini_secret(const SecretKey &parent, const ChainCode &chain_code) {
  const SecretBytes<kSecretKeySize> parent_bytes = parent.to_bytes(); // key || nonce
  Transcript transcript = derivation_transcript(chain_code);
  transcript.append_message("secret-key", parent_bytes.data(), 32);
  MiniSecretKey mini_secret;
  transcript.challenge_bytes("HDKD-hard", mini_secret.data(), mini_secret.size());
  return mini_secret;
}

SecretKey derive_hard(const SecretKey &parent, const ChainCode &chain_code) {
  return SecretKey::from_mini_secret(derive_hard_mini_secret(parent, chain_code));
}

SecretKey derive_soft(const SecretKey &parent, const ChainCode &chain_code) {
  ensure_sodium();
  std::uint8_t random[kRandomSize];
  randombytes_buf(random, sizeof random);
  SecretKey child = derive_soft(parent, chain_code, random);
  sodium_memzero(random, sizeof random);
  return child;
}

SecretKey derive_soft(const SecretKey &parent, const ChainCode &chain_code,
                      const std::uint8_t (&random)[kRandomSize]) {
  const SecretBytes<kSecretKeySize> parent_bytes = parent.to_bytes(); // key || nonce
  Transcript transcript = derivation_transcript(chain_code);
  std::uint8_t tweak[32];
  soft_tweak(transcript, parent.public_key(), tweak);

  SecretBytes<kSecretKeySize> child; // key || nonce
  crypto_core_ristretto255_scalar_add(child.data(), parent_bytes.data(), tweak);
  sodium_memzero(tweak, sizeof tweak);
  // The nonce seed needs no standard (it only guards against a bad RNG when signing) but must be
  // independent of the tweak and the chain code; schnorrkel takes it as transcript witness.
  TranscriptRng rng = transcript.build_rng();
  rng.rekey_with_witness_bytes("HDKD-nonce", parent_bytes.data() + 32, 32)
      .rekey_with_witness_bytes("HDKD-nonce", parent_bytes.data(), kSecretKeySize)
      .finalize(random);
  rng.fill_bytes(child.data() + 32, 32);
  return SecretKey::from_bytes(child.data(), child.size());
}

PublicKey derive_soft(const PublicKey &parent, const ChainCode &chain_code) {
  if (!is_canonical_point(parent.data()))
    throw Error(sqlstate::kInvalidParameterValue,
                "sr25519 public key: not a canonical ristretto255 encoding");
  Transcript transcript = derivation_transcript(chain_code);
  std::uint8_t tweak[32];
  soft_tweak(transcript, parent, tweak);
  std::uint8_t tweak_point[32];
  PublicKey child;
  // Either step fails only when the result is the identity (probability 2^-252).
  if (crypto_scalarmult_ristretto255_base(tweak_point, tweak) != 0 ||
      crypto_core_ristretto255_add(child.data(), parent.data(), tweak_point) != 0 ||
      sodium_is_zero(child.data(), child.size()) == 1)
    throw Error(sqlstate::kInternalError, "sr25519 soft derivation gave the identity");
  return child;
}

SecretKey derive(const SecretKey &root, const std::vector<DeriveJunction> &path) {
  // Starts from a copy of the root, since each step makes a new key.
  const SecretBytes<kSecretKeySize> root_bytes = root.to_bytes();
  SecretKey current = SecretKey::from_bytes(root_bytes.data(), root_bytes.size());
  for (const DeriveJunction &junction : path)
    current = junction.hard ? derive_hard(current, junction.chain_code)
                            : derive_soft(current, junction.chain_code);
  return current;
}

} // namespace mycelium::chain::sr25519
