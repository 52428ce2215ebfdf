#include "mycelium/chain/sr25519_uri.hpp"

#include "mycelium/chain/bip39.hpp"
#include "mycelium/chain/secret_uri.hpp"
#include "mycelium/chain/sr25519_derive.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <string>

namespace mycelium::chain::sr25519 {

namespace {

[[noreturn]] void fail(const char *what) {
  throw Error(sqlstate::kInvalidParameterValue, std::string("secret URI: ") + what);
}

// 0x and 64 hex digits of either case, as Substrate and polkadot-js accept; libsodium's decoder
// takes the same time whatever the digits.
MiniSecretKey mini_secret_from_hex(std::string_view phrase) {
  const std::string_view digits = phrase.substr(2);
  if (digits.size() != 2 * kMiniSecretKeySize)
    fail("a 0x seed must have exactly 64 hex digits");
  ensure_sodium();
  MiniSecretKey mini_secret;
  std::size_t decoded = 0;
  const char *end = nullptr;
  if (sodium_hex2bin(mini_secret.data(), mini_secret.size(), digits.data(), digits.size(), nullptr,
                     &decoded, &end) != 0 ||
      decoded != kMiniSecretKeySize || end != digits.data() + digits.size())
    fail("a 0x seed must have exactly 64 hex digits");
  return mini_secret;
}

} // namespace

UriKey key_from_secret_uri(std::string_view uri) {
  const SecretUri parsed = parse_secret_uri(uri);
  const bool is_hex_seed = parsed.phrase.substr(0, 2) == "0x";
  if (is_hex_seed && parsed.password)
    fail("a ///password applies to a mnemonic phrase, not to a 0x seed");
  MiniSecretKey root_seed =
      is_hex_seed ? mini_secret_from_hex(parsed.phrase)
                  : mini_secret_from_mnemonic(parsed.phrase, parsed.password.value_or(""));

  UriKey result{SecretKey::from_mini_secret(root_seed), std::nullopt};
  result.mini_secret = std::move(root_seed);
  for (const DeriveJunction &junction : parsed.junctions) {
    if (junction.hard) {
      MiniSecretKey seed = derive_hard_mini_secret(result.secret_key, junction.chain_code);
      result.secret_key = SecretKey::from_mini_secret(seed);
      result.mini_secret = std::move(seed);
    } else {
      result.secret_key = derive_soft(result.secret_key, junction.chain_code);
      result.mini_secret.reset();
    }
  }
  return result;
}

} // namespace mycelium::chain::sr25519
