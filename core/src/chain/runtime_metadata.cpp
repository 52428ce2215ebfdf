#include "mycelium/chain/runtime_metadata.hpp"

#include "mycelium/error.hpp"

namespace mycelium::chain {

namespace {

std::uint32_t type_id(ScaleDecoder &d, std::string_view field) {
  return d.compact_as<std::uint32_t>(field);
}

void skip_docs(ScaleDecoder &d) {
  d.vec("docs", [](ScaleDecoder &d) { return d.string().size(); });
}

// Option<PalletCallMetadata>, Option<PalletEventMetadata>, Option<PalletErrorMetadata>: each a
// struct holding one type id.
std::optional<std::uint32_t> optional_type(ScaleDecoder &d, std::string_view field) {
  return d.option(field, [](ScaleDecoder &d) { return type_id(d, "ty"); });
}

StorageEntry decode_storage_entry(ScaleDecoder &d) {
  StorageEntry entry;
  entry.name = d.string("name");
  entry.modifier = static_cast<StorageModifier>(d.variant("modifier", 2));
  d.nested("ty", [&](ScaleDecoder &d) {
    // StorageEntryType: Plain(value) or Map { hashers, key, value }.
    entry.is_map = d.variant("kind", 2) == 1;
    if (!entry.is_map) {
      entry.value_type = type_id(d, "value");
      return 0;
    }
    entry.hashers = d.vec("hashers", [](ScaleDecoder &d) {
      return static_cast<StorageHasher>(d.variant({}, kStorageHasherCount));
    });
    entry.key_type = type_id(d, "key");
    entry.value_type = type_id(d, "value");
    return 0;
  });
  entry.default_value = d.bytes("default");
  skip_docs(d);
  return entry;
}

PalletMetadata decode_pallet(ScaleDecoder &d) {
  PalletMetadata pallet;
  pallet.name = d.string("name");
  pallet.storage = d.option("storage", [](ScaleDecoder &d) {
    PalletStorage storage;
    storage.prefix = d.string("prefix");
    storage.entries = d.vec("entries", decode_storage_entry);
    return storage;
  });
  pallet.calls_type = optional_type(d, "calls");
  optional_type(d, "event");
  d.vec("constants", [](ScaleDecoder &d) {
    d.string("name");
    type_id(d, "ty");
    d.bytes("value");
    skip_docs(d);
    return 0;
  });
  optional_type(d, "error");
  pallet.index = d.u8("index");
  return pallet;
}

ExtrinsicMetadata decode_extrinsic(ScaleDecoder &d) {
  ExtrinsicMetadata extrinsic;
  extrinsic.type = type_id(d, "ty");
  extrinsic.version = d.u8("version");
  extrinsic.signed_extensions = d.vec("signed_extensions", [](ScaleDecoder &d) {
    SignedExtensionMetadata extension;
    extension.identifier = d.string("identifier");
    extension.extra_type = type_id(d, "ty");
    extension.additional_signed_type = type_id(d, "additional_signed");
    return extension;
  });
  return extrinsic;
}

[[noreturn]] void missing(const std::string &what) {
  throw Error(sqlstate::kUndefinedObject, "metadata: " + what);
}

} // namespace

RuntimeMetadata RuntimeMetadata::decode(const Bytes &bytes) {
  ScaleDecoder d(bytes, "metadata");
  const std::uint32_t magic = d.u32("magic");
  if (magic != kMetadataMagic)
    d.fail_at("magic", "does not start with \"meta\" (6d657461): not runtime metadata");
  const std::uint8_t version = d.u8("version");
  if (version != kMetadataVersion)
    d.fail_at("version", "version " + std::to_string(version) + ", but only version " +
                             std::to_string(kMetadataVersion) +
                             " (what state_getMetadata answers) is read");
  RuntimeMetadata metadata;
  metadata.types_ = PortableRegistry::decode(d);
  metadata.pallets_ = d.vec("pallets", decode_pallet);
  metadata.extrinsic_ = d.nested("extrinsic", decode_extrinsic);
  type_id(d, "ty"); // the Runtime type
  d.expect_end();
  return metadata;
}

const PalletMetadata &RuntimeMetadata::pallet(std::string_view name) const {
  for (const PalletMetadata &pallet : pallets_)
    if (pallet.name == name)
      return pallet;
  missing("the runtime has no pallet " + std::string(name));
}

PalletCall RuntimeMetadata::call(std::string_view pallet_name, std::string_view call_name) const {
  const PalletMetadata &p = pallet(pallet_name);
  const std::string full = p.name + "." + std::string(call_name);
  if (!p.calls_type)
    missing("pallet " + p.name + " has no calls, so no " + full);
  const TypeInfo &calls = types_.at(*p.calls_type);
  if (calls.kind != TypeKind::variant)
    throw Error(sqlstate::kInvalidParameterValue, "metadata: the calls of pallet " + p.name +
                                                      " are " + types_.describe(*p.calls_type) +
                                                      ", not an enum");
  for (const TypeVariant &variant : calls.variants) {
    if (variant.name != call_name)
      continue;
    PalletCall call{p.name, p.index, variant.name, variant.index, {}};
    for (const TypeField &field : variant.fields)
      call.arguments.push_back({field.name, field.type, field.type_name});
    return call;
  }
  missing("pallet " + p.name + " has no call " + std::string(call_name));
}

RuntimeMetadata::StorageItem RuntimeMetadata::storage_item(std::string_view pallet_name,
                                                           std::string_view item_name) const {
  const PalletMetadata &p = pallet(pallet_name);
  if (!p.storage)
    missing("pallet " + p.name + " has no storage, so no " + std::string(item_name));
  for (const StorageEntry &entry : p.storage->entries)
    if (entry.name == item_name)
      return {p.storage->prefix, entry};
  missing("pallet " + p.name + " has no storage item " + std::string(item_name));
}

} // namespace mycelium::chain
