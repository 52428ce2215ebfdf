#include "mycelium/chain/storage_key.hpp"

#include "mycelium/chain/xxhash64.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <string>

namespace mycelium::chain {

namespace {

void append_blake2(Bytes &out, const Bytes &data, std::size_t size) {
  ensure_sodium();
  const std::size_t at = out.size();
  out.resize(at + size);
  crypto_generichash(out.data() + at, size, data.data(), data.size(), nullptr, 0);
}

void append_bytes(Bytes &out, const Bytes &more) {
  out.insert(out.end(), more.begin(), more.end());
}

Bytes twox_of(std::string_view text, unsigned bits) {
  return twox(reinterpret_cast<const std::uint8_t *>(text.data()), text.size(), bits);
}

} // namespace

std::string_view storage_hasher_name(StorageHasher hasher) {
  switch (hasher) {
  case StorageHasher::blake2_128:
    return "Blake2_128";
  case StorageHasher::blake2_256:
    return "Blake2_256";
  case StorageHasher::blake2_128_concat:
    return "Blake2_128Concat";
  case StorageHasher::twox_128:
    return "Twox128";
  case StorageHasher::twox_256:
    return "Twox256";
  case StorageHasher::twox_64_concat:
    return "Twox64Concat";
  case StorageHasher::identity:
    return "Identity";
  }
  return "unknown hasher";
}

Bytes twox(const std::uint8_t *data, std::size_t size, unsigned bits) {
  if (bits != 64 && bits != 128 && bits != 256)
    throw Error(sqlstate::kInternalError, "twox of " + std::to_string(bits) + " bits");
  Bytes out;
  for (unsigned seed = 0; seed < bits / 64; ++seed) {
    const std::uint64_t hash = xxhash64(data, size, seed);
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<std::uint8_t>(hash >> (8 * i)));
  }
  return out;
}

Bytes storage_prefix(std::string_view pallet_prefix, std::string_view item_name) {
  Bytes key = twox_of(pallet_prefix, 128);
  append_bytes(key, twox_of(item_name, 128));
  return key;
}

void append_hashed_key(Bytes &storage_key, StorageHasher hasher, const Bytes &encoded_key) {
  switch (hasher) {
  case StorageHasher::blake2_128:
    append_blake2(storage_key, encoded_key, 16);
    return;
  case StorageHasher::blake2_256:
    append_blake2(storage_key, encoded_key, 32);
    return;
  case StorageHasher::blake2_128_concat:
    append_blake2(storage_key, encoded_key, 16);
    append_bytes(storage_key, encoded_key);
    return;
  case StorageHasher::twox_128:
    append_bytes(storage_key, twox(encoded_key.data(), encoded_key.size(), 128));
    return;
  case StorageHasher::twox_256:
    append_bytes(storage_key, twox(encoded_key.data(), encoded_key.size(), 256));
    return;
  case StorageHasher::twox_64_concat:
    append_bytes(storage_key, twox(encoded_key.data(), encoded_key.size(), 64));
    append_bytes(storage_key, encoded_key);
    return;
  case StorageHasher::identity:
    append_bytes(storage_key, encoded_key);
    return;
  }
  throw Error(sqlstate::kInternalError, "storage hasher " +
                                            std::to_string(static_cast<int>(hasher)) +
                                            " is not one of frame-metadata's");
}

Bytes storage_map_key(std::string_view pallet_prefix, std::string_view item_name,
                      const std::vector<StorageHasher> &hashers,
                      const std::vector<Bytes> &encoded_keys) {
  if (hashers.size() != encoded_keys.size())
    throw Error(sqlstate::kInvalidParameterValue,
                "storage item " + std::string(pallet_prefix) + "." + std::string(item_name) +
                    " is a map of " + std::to_string(hashers.size()) + " key(s), given " +
                    std::to_string(encoded_keys.size()));
  Bytes key = storage_prefix(pallet_prefix, item_name);
  for (std::size_t i = 0; i < hashers.size(); ++i)
    append_hashed_key(key, hashers[i], encoded_keys[i]);
  return key;
}

} // namespace mycelium::chain
