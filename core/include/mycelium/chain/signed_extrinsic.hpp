// Signed extrinsics in transaction format version 4, signed by an sr25519 key: the bytes a node's
// author_submitExtrinsic takes.
//
//   extrinsic = Compact(length of the rest) ‖ 0x84 (signed, version 4)
//             ‖ MultiAddress::Id(0x00) ‖ AccountId32 ‖ MultiSignature::Sr25519(0x01) ‖ signature
//             ‖ extra (each signed extension's, in order) ‖ call
//   signed    = call ‖ extra ‖ additional signed   (hashed with BLAKE2b-256 first when longer
//                                                   than 256 bytes)
//
// The variant indices (0x00, 0x01) are read from the runtime's metadata and checked, not assumed.
// schemas/CHAIN.md, "Weights".
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/account_id.hpp"
#include "mycelium/chain/runtime_metadata.hpp"
#include "mycelium/chain/signed_extensions.hpp"
#include "mycelium/chain/sr25519.hpp"

#include <cstdint>

namespace mycelium::chain {

inline constexpr std::uint8_t kExtrinsicFormatVersion = 4;
inline constexpr std::uint8_t kSignedExtrinsicBit = 0x80;
// Payloads longer than this are signed through their BLAKE2b-256 hash (sp_runtime's
// SignedPayload::using_encoded).
inline constexpr std::size_t kMaxUnhashedPayload = 256;

// The bytes an sr25519 key signs for `payload`: the payload itself up to 256 bytes, else its
// BLAKE2b-256 hash.
Bytes signing_message(const Bytes &payload);

// How this runtime's signed extrinsics are laid out, checked once against its metadata.
class ExtrinsicFormat {
public:
  // Throws Error 22023 unless the metadata's extrinsic version is 4, its address type is an
  // enum with a variant Id(AccountId32) and its signature type an enum with a variant
  // Sr25519([u8; 64]) (Substrate's MultiAddress and MultiSignature), and every signed extension
  // is one SignedExtensions accepts; each message names what differs.
  static ExtrinsicFormat from_metadata(const RuntimeMetadata &metadata);

  const SignedExtensions &signed_extensions() const { return extensions_; }
  std::uint8_t address_id_index() const { return address_id_index_; }
  std::uint8_t sr25519_signature_index() const { return sr25519_signature_index_; }

  // call ‖ extra ‖ additional signed: what is signed (through signing_message).
  Bytes signing_payload(const Bytes &call, const TransactionParameters &parameters) const;
  // The extrinsic carrying `signature`, made by `signer` over signing_message(signing_payload(
  // call, parameters)).
  Bytes signed_extrinsic(const AccountId &signer, const sr25519::Signature &signature,
                         const Bytes &call, const TransactionParameters &parameters) const;
  // Both: signs the payload with `key` and returns the extrinsic.
  Bytes sign(const sr25519::SecretKey &key, const Bytes &call,
             const TransactionParameters &parameters) const;

private:
  SignedExtensions extensions_;
  std::uint8_t address_id_index_ = 0;
  std::uint8_t sr25519_signature_index_ = 0;
};

} // namespace mycelium::chain
