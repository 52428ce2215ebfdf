// A Substrate runtime's metadata, version 14 (frame-metadata's RuntimeMetadataV14, what
// state_getMetadata answers): the type registry, the pallets with their index, calls and storage
// items, and how a signed extrinsic is made (its version and signed extensions). Enough of it to
// build and sign a call and to find a storage item's key; constants, events and errors are read
// past, not kept. schemas/CHAIN.md, "Weights".
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/portable_registry.hpp"
#include "mycelium/chain/storage_key.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::chain {

// "meta", the first four bytes of every RuntimeMetadataPrefixed.
inline constexpr std::uint32_t kMetadataMagic = 0x6174656d;
inline constexpr std::uint8_t kMetadataVersion = 14;

struct CallArgument {
  std::string name;
  std::uint32_t type = 0;
  std::string type_name; // as written in the pallet's source ("Vec<u16>"), or empty
};

// One call of one pallet: its bytes start with pallet_index, call_index.
struct PalletCall {
  std::string pallet;
  std::uint8_t pallet_index = 0;
  std::string name;
  std::uint8_t call_index = 0;
  std::vector<CallArgument> arguments;
};

// OptionQuery (no value: none) or ValueQuery (no value: the default).
enum class StorageModifier : std::uint8_t { optional = 0, default_value = 1 };

struct StorageEntry {
  std::string name;
  StorageModifier modifier = StorageModifier::optional;
  bool is_map = false;
  std::vector<StorageHasher> hashers; // maps: one per key
  std::uint32_t key_type = 0;         // maps: the key, or a tuple of the keys when several
  std::uint32_t value_type = 0;
  Bytes default_value; // what a ValueQuery reads when the key has no value
};

struct PalletStorage {
  std::string prefix; // the first half of every key's prefix, normally the pallet's name
  std::vector<StorageEntry> entries;
};

struct PalletMetadata {
  std::string name;
  std::uint8_t index = 0;
  std::optional<std::uint32_t> calls_type; // the enum of the pallet's calls
  std::optional<PalletStorage> storage;
};

// One signed extension: what it adds to the extrinsic (`extra_type`, the extension's own type)
// and to the signed payload only (`additional_signed_type`).
struct SignedExtensionMetadata {
  std::string identifier;
  std::uint32_t extra_type = 0;
  std::uint32_t additional_signed_type = 0;
};

struct ExtrinsicMetadata {
  std::uint32_t type = 0; // the runtime's UncheckedExtrinsic
  std::uint8_t version = 0;
  std::vector<SignedExtensionMetadata> signed_extensions; // in the order they are encoded
};

class RuntimeMetadata {
public:
  // The bytes state_getMetadata answers: "meta", the version byte, then RuntimeMetadataV14.
  // Throws Error 22023 for another magic number, a version other than 14 (saying which), and
  // any malformed or truncated content, naming the field ("pallets[7].storage.entries[3]...")
  // and the byte offset; bytes left over are refused too.
  static RuntimeMetadata decode(const Bytes &bytes);

  const PortableRegistry &types() const { return types_; }
  const std::vector<PalletMetadata> &pallets() const { return pallets_; }
  const ExtrinsicMetadata &extrinsic() const { return extrinsic_; }

  // By name; Error 42704 naming what is missing (the pallet, the call, the storage item).
  const PalletMetadata &pallet(std::string_view name) const;
  PalletCall call(std::string_view pallet_name, std::string_view call_name) const;
  // The item and its pallet's storage prefix.
  struct StorageItem {
    std::string pallet_prefix;
    StorageEntry entry;
  };
  StorageItem storage_item(std::string_view pallet_name, std::string_view item_name) const;

private:
  PortableRegistry types_;
  std::vector<PalletMetadata> pallets_;
  ExtrinsicMetadata extrinsic_;
};

} // namespace mycelium::chain
