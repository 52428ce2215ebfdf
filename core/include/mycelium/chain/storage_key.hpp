// Substrate storage keys: where a pallet's storage item lives in the chain's state, for
// state_getStorage. A plain value's key is twox128(pallet prefix) ‖ twox128(item name); a map's
// appends each key of the map (SCALE-encoded) through the hasher the metadata declares for it.
// schemas/CHAIN.md, "Weights".
#pragma once

#include "mycelium/bytes.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace mycelium::chain {

// frame-metadata's StorageHasher, with its SCALE variant index.
enum class StorageHasher : std::uint8_t {
  blake2_128 = 0,
  blake2_256 = 1,
  blake2_128_concat = 2,
  twox_128 = 3,
  twox_256 = 4,
  twox_64_concat = 5,
  identity = 6,
};
inline constexpr std::uint8_t kStorageHasherCount = 7;

// "Blake2_128Concat" and so on, as Rust spells them.
std::string_view storage_hasher_name(StorageHasher hasher);

// twox of `bits` = 64, 128 or 256: XXH64 with seeds 0, 1, 2, 3 (as many as the width needs), each
// little-endian, one after the other.
Bytes twox(const std::uint8_t *data, std::size_t size, unsigned bits);

// twox128(pallet_prefix) ‖ twox128(item_name): the key of a plain item, the start of every key of
// a map.
Bytes storage_prefix(std::string_view pallet_prefix, std::string_view item_name);

// Appends `hasher`(encoded_key) to `storage_key`: the hash alone for Blake2_128, Blake2_256,
// Twox128 and Twox256; the hash then the key itself for the "Concat" hashers; the key alone for
// Identity.
void append_hashed_key(Bytes &storage_key, StorageHasher hasher, const Bytes &encoded_key);

// A map's key: the prefix, then each encoded key through its hasher, in order. Throws Error
// 22023 naming the item unless there is one encoded key per hasher.
Bytes storage_map_key(std::string_view pallet_prefix, std::string_view item_name,
                      const std::vector<StorageHasher> &hashers,
                      const std::vector<Bytes> &encoded_keys);

} // namespace mycelium::chain
