#include "mycelium/chain/signed_extrinsic.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <string>

namespace mycelium::chain {

namespace {

[[noreturn]] void refuse(const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue,
              "metadata: " + what +
                  "; Mycelium builds only Substrate's signed extrinsics of "
                  "version 4 with a MultiAddress and an sr25519 MultiSignature");
}

// The extrinsic type's parameter `name` (UncheckedExtrinsic<Address, Call, Signature, Extra>).
std::uint32_t extrinsic_parameter(const RuntimeMetadata &metadata, const std::string &name) {
  const PortableRegistry &types = metadata.types();
  const std::uint32_t extrinsic = metadata.extrinsic().type;
  for (const TypeParameter &param : types.at(extrinsic).params)
    if (param.name == name && param.type)
      return *param.type;
  refuse("the extrinsic type " + types.describe(extrinsic) + " has no type parameter " + name);
}

// The index of the variant `variant_name` of enum `type`, whose one field must be a byte array
// of `size` bytes.
std::uint8_t variant_holding_bytes(const PortableRegistry &types, std::uint32_t type,
                                   const std::string &role, const std::string &variant_name,
                                   std::uint32_t size) {
  const TypeInfo &info = types.at(type);
  if (info.kind == TypeKind::variant)
    for (const TypeVariant &variant : info.variants)
      if (variant.name == variant_name && variant.fields.size() == 1 &&
          types.byte_array_length(variant.fields[0].type) == size)
        return variant.index;
  refuse("the " + role + " type " + types.describe(type) + " has no variant " + variant_name +
         " holding " + std::to_string(size) + " bytes");
}

} // namespace

Bytes signing_message(const Bytes &payload) {
  if (payload.size() <= kMaxUnhashedPayload)
    return payload;
  ensure_sodium();
  Bytes hash(32);
  crypto_generichash(hash.data(), hash.size(), payload.data(), payload.size(), nullptr, 0);
  return hash;
}

ExtrinsicFormat ExtrinsicFormat::from_metadata(const RuntimeMetadata &metadata) {
  if (metadata.extrinsic().version != kExtrinsicFormatVersion)
    refuse("the runtime's extrinsics are version " + std::to_string(metadata.extrinsic().version));
  ExtrinsicFormat format;
  format.address_id_index_ =
      variant_holding_bytes(metadata.types(), extrinsic_parameter(metadata, "Address"), "address",
                            "Id", static_cast<std::uint32_t>(kAccountIdSize));
  format.sr25519_signature_index_ = variant_holding_bytes(
      metadata.types(), extrinsic_parameter(metadata, "Signature"), "signature", "Sr25519",
      static_cast<std::uint32_t>(sr25519::kSignatureSize));
  format.extensions_ = SignedExtensions::from_metadata(metadata);
  return format;
}

Bytes ExtrinsicFormat::signing_payload(const Bytes &call,
                                       const TransactionParameters &parameters) const {
  Bytes payload = call;
  ScaleEncoder out(payload);
  extensions_.encode_extra(out, parameters);
  extensions_.encode_additional_signed(out, parameters);
  return payload;
}

Bytes ExtrinsicFormat::signed_extrinsic(const AccountId &signer,
                                        const sr25519::Signature &signature, const Bytes &call,
                                        const TransactionParameters &parameters) const {
  Bytes body;
  ScaleEncoder out(body);
  out.u8(kSignedExtrinsicBit | kExtrinsicFormatVersion);
  out.variant(address_id_index_);
  out.account_id(signer);
  out.variant(sr25519_signature_index_);
  out.raw(signature.data(), signature.size());
  extensions_.encode_extra(out, parameters);
  out.raw(call.data(), call.size());
  // The extrinsic is a Vec<u8> on the wire: its length first.
  Bytes extrinsic;
  ScaleEncoder(extrinsic).bytes(body);
  return extrinsic;
}

Bytes ExtrinsicFormat::sign(const sr25519::SecretKey &key, const Bytes &call,
                            const TransactionParameters &parameters) const {
  const Bytes message = signing_message(signing_payload(call, parameters));
  return signed_extrinsic(key.public_key(), key.sign(message), call, parameters);
}

} // namespace mycelium::chain
