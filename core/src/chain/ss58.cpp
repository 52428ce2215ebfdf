#include "mycelium/chain/ss58.hpp"

#include "mycelium/chain/base58.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <algorithm>

namespace mycelium::chain {

namespace {

constexpr std::size_t kChecksumSize = 2;
// Longer than any SS58 address (51 characters for a 33-byte payload under a two-byte prefix):
// refused before the quadratic base58 decode, which a megabyte of text would make slow.
constexpr std::size_t kMaxAddressLength = 64;

bool is_reserved(std::uint16_t prefix) {
  return prefix == 46 || prefix == 47;
}

[[noreturn]] void fail(std::string_view field, std::string_view address, const std::string &what) {
  // The address is shown (shortened) so that a log line says which one was refused.
  std::string shown(address.substr(0, kMaxAddressLength));
  if (address.size() > kMaxAddressLength)
    shown += "...";
  throw Error(sqlstate::kInvalidParameterValue, std::string(field) + " '" + shown + "': " + what);
}

// BLAKE2b-512 over "SS58PRE" ‖ `data`, of which SS58 keeps the first bytes.
std::array<std::uint8_t, 64> ss58_hash(const std::uint8_t *data, std::size_t size) {
  ensure_sodium();
  static constexpr char kContext[] = "SS58PRE";
  std::array<std::uint8_t, 64> hash;
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, hash.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char *>(kContext),
                            sizeof kContext - 1);
  crypto_generichash_update(&state, data, size);
  crypto_generichash_final(&state, hash.data(), hash.size());
  return hash;
}

// The prefix bytes of `prefix`: one byte below 64; else two, the 14 bits spread as Substrate
// does (low six bits of the first byte = bits 2..7, second byte = bits 0..1 then 8..13).
Bytes prefix_bytes(std::uint16_t prefix) {
  if (prefix < 64)
    return {static_cast<std::uint8_t>(prefix)};
  return {static_cast<std::uint8_t>(0x40 | ((prefix & 0xfc) >> 2)),
          static_cast<std::uint8_t>((prefix >> 8) | ((prefix & 0x03) << 6))};
}

// SS58's other payloads, for a message that says what an address is when it is not an account
// id: length of the payload for a total length, or 0. Payloads of 1, 2, 4 and 8 bytes (account
// indices) have a one-byte checksum, 32 and 33 bytes (keys) a two-byte one.
std::size_t other_payload_size(std::size_t total, std::size_t prefix_size) {
  for (const std::size_t payload : {1, 2, 4, 8})
    if (total == prefix_size + payload + 1)
      return payload;
  if (total == prefix_size + 33 + kChecksumSize)
    return 33;
  return 0;
}

} // namespace

std::string ss58_encode(const AccountId &account_id, std::uint16_t prefix) {
  if (prefix > kMaxSs58Prefix)
    throw Error(sqlstate::kInvalidParameterValue, "SS58 prefix " + std::to_string(prefix) +
                                                      " is above the largest, " +
                                                      std::to_string(kMaxSs58Prefix));
  if (is_reserved(prefix))
    throw Error(sqlstate::kInvalidParameterValue,
                "SS58 prefix " + std::to_string(prefix) + " is reserved");
  Bytes data = prefix_bytes(prefix);
  data.insert(data.end(), account_id.begin(), account_id.end());
  const auto hash = ss58_hash(data.data(), data.size());
  data.insert(data.end(), hash.begin(), hash.begin() + kChecksumSize);
  return base58_encode(data);
}

Ss58Address ss58_decode(std::string_view address, std::string_view field) {
  if (address.empty())
    throw Error(sqlstate::kInvalidParameterValue, std::string(field) + " is empty");
  if (address.size() > kMaxAddressLength)
    fail(field, address,
         std::to_string(address.size()) + " characters is too long for an SS58 address");
  const Bytes data = base58_decode(address, field);

  Ss58Address decoded;
  std::size_t prefix_size;
  if (data[0] < 64) {
    prefix_size = 1;
    decoded.prefix = data[0];
  } else if (data[0] < 128) {
    if (data.size() < 2)
      fail(field, address, "too short: decodes to 1 byte");
    prefix_size = 2;
    decoded.prefix = static_cast<std::uint16_t>(((data[0] & 0x3f) << 2) | (data[1] >> 6) |
                                                ((data[1] & 0x3f) << 8));
  } else {
    fail(field, address,
         "first byte " + std::to_string(data[0]) +
             " is not an SS58 prefix (128 and above are reserved)");
  }

  const std::size_t expected = prefix_size + kAccountIdSize + kChecksumSize;
  if (data.size() != expected) {
    std::string what = "decodes to " + std::to_string(data.size()) + " bytes; ";
    if (const std::size_t payload = other_payload_size(data.size(), prefix_size))
      what += "that is the length of a " + std::to_string(payload) + "-byte payload (" +
              (payload == 33 ? "an ECDSA public key" : "an account index") + "), ";
    fail(field, address,
         what + "an address of a 32-byte account id is " + std::to_string(expected) +
             " bytes with a " + std::to_string(prefix_size) + "-byte prefix");
  }
  if (prefix_size == 2 && decoded.prefix < 64)
    fail(field, address,
         "prefix " + std::to_string(decoded.prefix) +
             " is written in the two-byte form; below 64 it must take one byte");

  const auto hash = ss58_hash(data.data(), prefix_size + kAccountIdSize);
  if (!std::equal(hash.begin(), hash.begin() + kChecksumSize,
                  data.begin() + prefix_size + kAccountIdSize))
    fail(field, address, "bad checksum (a character is wrong, missing or swapped)");
  if (is_reserved(decoded.prefix))
    fail(field, address, "prefix " + std::to_string(decoded.prefix) + " is reserved");

  std::copy_n(data.begin() + prefix_size, kAccountIdSize, decoded.account_id.begin());
  return decoded;
}

AccountId ss58_decode_account(std::string_view address, std::uint16_t expected_prefix,
                              std::string_view field) {
  const Ss58Address decoded = ss58_decode(address, field);
  if (decoded.prefix != expected_prefix)
    fail(field, address,
         "has prefix " + std::to_string(decoded.prefix) + " (another network's), expected " +
             std::to_string(expected_prefix));
  return decoded.account_id;
}

} // namespace mycelium::chain
