#include "mycelium/chain/signed_extensions.hpp"

#include "mycelium/error.hpp"

#include <limits>

namespace mycelium::chain {

namespace {

using Kind = SignedExtensions::Kind;

// The extensions whose data Mycelium fills in, by the name Substrate gives them. CheckEra is
// CheckMortality's name before Substrate renamed it.
struct KnownExtension {
  const char *identifier;
  Kind kind;
};
constexpr KnownExtension kKnown[] = {
    {"CheckSpecVersion", Kind::spec_version},
    {"CheckTxVersion", Kind::transaction_version},
    {"CheckGenesis", Kind::genesis},
    {"CheckMortality", Kind::mortality},
    {"CheckEra", Kind::mortality},
    {"CheckNonce", Kind::nonce},
    {"ChargeTransactionPayment", Kind::tip},
    {"CheckMetadataHash", Kind::metadata_hash},
};

constexpr const char *kEraPath = "sp_runtime::generic::era::Era";

// Checks one extension's types against what its name promises.
class ExtensionCheck {
public:
  ExtensionCheck(const PortableRegistry &types, const SignedExtensionMetadata &metadata,
                 std::size_t position, std::size_t count)
      : types_(types), metadata_(metadata),
        name_("signed extension " + metadata.identifier + " (" + std::to_string(position + 1) +
              " of " + std::to_string(count) + ")") {}

  std::uint32_t extra() const { return metadata_.extra_type; }
  std::uint32_t additional() const { return metadata_.additional_signed_type; }

  [[noreturn]] void refuse(const std::string &what) const {
    throw Error(sqlstate::kInvalidParameterValue,
                name_ + ": " + what +
                    "; Mycelium does not know how to fill it in and refuses to build an "
                    "extrinsic this runtime would reject");
  }

  void expect_nothing(std::uint32_t type, const char *part) const {
    if (!types_.encodes_to_nothing(type))
      refuse(std::string("its ") + part + " is " + types_.describe(type) + ", expected nothing");
  }
  void expect_u32(std::uint32_t type, const char *part) const {
    if (types_.primitive_of(type) != Primitive::u32)
      refuse(std::string("its ") + part + " is " + types_.describe(type) + ", expected u32");
  }
  void expect_hash(std::uint32_t type, const char *part) const {
    if (types_.byte_array_length(type) != 32u)
      refuse(std::string("its ") + part + " is " + types_.describe(type) +
             ", expected a 32-byte hash");
  }
  unsigned expect_compact_unsigned(std::uint32_t type, const char *part) const {
    const auto primitive = types_.compact_primitive(type);
    const auto bits = primitive ? unsigned_bits(*primitive) : std::nullopt;
    if (!bits || *bits > 128)
      refuse(std::string("its ") + part + " is " + types_.describe(type) +
             ", expected a Compact unsigned integer up to u128");
    return *bits;
  }
  void expect_era(std::uint32_t type) const {
    const TypeInfo &era = types_.unwrap_newtypes(type);
    if (types_.path_text(era.id) != kEraPath)
      refuse("its extra is " + types_.describe(type) + ", expected " + kEraPath);
  }
  // The index of the field-less variant `name` of the enum `type` (through newtypes).
  std::uint8_t unit_variant(std::uint32_t type, const char *part, const char *name) const {
    const TypeInfo &info = types_.unwrap_newtypes(type);
    if (info.kind == TypeKind::variant)
      for (const TypeVariant &variant : info.variants)
        if (variant.name == name && variant.fields.empty())
          return variant.index;
    refuse(std::string("its ") + part + " is " + types_.describe(type) +
           ", expected an enum with a variant " + name);
  }

private:
  const PortableRegistry &types_;
  const SignedExtensionMetadata &metadata_;
  std::string name_;
};

SignedExtensions::Extension check_extension(const PortableRegistry &types,
                                            const SignedExtensionMetadata &metadata,
                                            std::size_t position, std::size_t count) {
  const ExtensionCheck check(types, metadata, position, count);
  SignedExtensions::Extension extension;
  extension.identifier = metadata.identifier;
  extension.kind = Kind::nothing;
  for (const KnownExtension &known : kKnown)
    if (metadata.identifier == known.identifier)
      extension.kind = known.kind;
  switch (extension.kind) {
  case Kind::nothing:
    if (!types.encodes_to_nothing(check.extra()) || !types.encodes_to_nothing(check.additional()))
      check.refuse("an extension Mycelium does not know, with extra " +
                   types.describe(check.extra()) + " and additional signed data " +
                   types.describe(check.additional()));
    break;
  case Kind::spec_version:
  case Kind::transaction_version:
    check.expect_nothing(check.extra(), "extra");
    check.expect_u32(check.additional(), "additional signed data");
    break;
  case Kind::genesis:
    check.expect_nothing(check.extra(), "extra");
    check.expect_hash(check.additional(), "additional signed data");
    break;
  case Kind::mortality:
    check.expect_era(check.extra());
    check.expect_hash(check.additional(), "additional signed data");
    break;
  case Kind::nonce:
  case Kind::tip:
    extension.compact_bits = check.expect_compact_unsigned(check.extra(), "extra");
    check.expect_nothing(check.additional(), "additional signed data");
    break;
  case Kind::metadata_hash: {
    // Mode::Disabled, and then the node expects no metadata hash: Option<[u8; 32]>::None.
    extension.mode_disabled = check.unit_variant(check.extra(), "extra", "Disabled");
    const TypeInfo &option = types.at(check.additional());
    if (option.path != std::vector<std::string>{"Option"} || option.params.size() != 1 ||
        !option.params[0].type || types.byte_array_length(*option.params[0].type) != 32u)
      check.refuse("its additional signed data is " + types.describe(check.additional()) +
                   ", expected Option<[u8; 32]>");
    extension.additional_none = check.unit_variant(check.additional(), "additional", "None");
    break;
  }
  }
  return extension;
}

void compact_within(ScaleEncoder &out, const U128 &value, unsigned bits, const std::string &what,
                    const std::string &identifier) {
  const U128 max = bits >= 128  ? U128::max()
                   : bits >= 64 ? U128::from_halves((std::uint64_t{1} << (bits - 64)) - 1,
                                                    std::numeric_limits<std::uint64_t>::max())
                                : U128((std::uint64_t{1} << bits) - 1);
  if (value > max)
    throw Error(sqlstate::kInvalidParameterValue, what + " " + to_string(value) + " does not fit " +
                                                      identifier + "'s Compact<u" +
                                                      std::to_string(bits) + ">");
  out.compact(value);
}

} // namespace

SignedExtensions SignedExtensions::from_metadata(const RuntimeMetadata &metadata) {
  SignedExtensions extensions;
  const auto &listed = metadata.extrinsic().signed_extensions;
  for (std::size_t i = 0; i < listed.size(); ++i)
    extensions.extensions_.push_back(
        check_extension(metadata.types(), listed[i], i, listed.size()));
  return extensions;
}

void SignedExtensions::encode_extra(ScaleEncoder &out,
                                    const TransactionParameters &parameters) const {
  for (const Extension &extension : extensions_) {
    switch (extension.kind) {
    case Kind::mortality: {
      const auto era = parameters.era.encode();
      out.raw(era.data(), era.size());
      break;
    }
    case Kind::nonce:
      compact_within(out, parameters.nonce, extension.compact_bits, "nonce", extension.identifier);
      break;
    case Kind::tip:
      compact_within(out, parameters.tip, extension.compact_bits, "tip", extension.identifier);
      break;
    case Kind::metadata_hash:
      out.variant(extension.mode_disabled);
      break;
    case Kind::nothing:
    case Kind::spec_version:
    case Kind::transaction_version:
    case Kind::genesis:
      break;
    }
  }
}

void SignedExtensions::encode_additional_signed(ScaleEncoder &out,
                                                const TransactionParameters &parameters) const {
  for (const Extension &extension : extensions_) {
    switch (extension.kind) {
    case Kind::spec_version:
      out.u32(parameters.spec_version);
      break;
    case Kind::transaction_version:
      out.u32(parameters.transaction_version);
      break;
    case Kind::genesis:
      out.raw(parameters.genesis_hash.data(), parameters.genesis_hash.size());
      break;
    case Kind::mortality:
      out.raw(parameters.era_birth_hash.data(), parameters.era_birth_hash.size());
      break;
    case Kind::metadata_hash:
      out.variant(extension.additional_none);
      break;
    case Kind::nothing:
    case Kind::nonce:
    case Kind::tip:
      break;
    }
  }
}

} // namespace mycelium::chain
