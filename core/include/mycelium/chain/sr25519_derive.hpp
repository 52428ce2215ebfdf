// Hierarchical deterministic key derivation for sr25519 as Substrate does it (sp-core's
// sr25519::Pair::derive, on schnorrkel's derive.rs): a hard junction derives a new mini secret
// key from the secret scalar, a soft junction adds a public tweak to the scalar, so that the
// public key can be derived without the secret.
#pragma once

#include "mycelium/chain/derive_junction.hpp"
#include "mycelium/chain/sr25519.hpp"

#include <vector>

namespace mycelium::chain::sr25519 {

// schnorrkel's SecretKey::hard_derive_mini_secret_key(Some(chain_code), b""): Merlin transcript
// "SchnorrRistrettoHDKD", append "sign-bytes" = "", "chain-code", "secret-key" = the scalar,
// challenge "HDKD-hard", 32 bytes.
MiniSecretKey derive_hard_mini_secret(const SecretKey &parent, const ChainCode &chain_code);
// The key that mini secret expands to (Ed25519 mode), as sp-core's derive does.
SecretKey derive_hard(const SecretKey &parent, const ChainCode &chain_code);

// schnorrkel's derived_key_simple(chain_code, b""): Merlin transcript "SchnorrRistrettoHDKD",
// append "sign-bytes" = "", "chain-code", "public-key"; challenge "HDKD-scalar" (64 bytes, mod
// l) is added to the scalar. The new nonce seed is witness bytes ("HDKD-nonce", keyed with the
// parent's nonce seed and its key || nonce) with 32 bytes of OS randomness: only the public key
// and scalar are deterministic.
SecretKey derive_soft(const SecretKey &parent, const ChainCode &chain_code);
// The same with the 32 random bytes given, for comparing with another implementation.
SecretKey derive_soft(const SecretKey &parent, const ChainCode &chain_code,
                      const std::uint8_t (&random)[kRandomSize]);
// The public key of derive_soft(parent, chain_code) from the parent's public key alone.
PublicKey derive_soft(const PublicKey &parent, const ChainCode &chain_code);

// The junctions applied in order.
SecretKey derive(const SecretKey &root, const std::vector<DeriveJunction> &path);

} // namespace mycelium::chain::sr25519
