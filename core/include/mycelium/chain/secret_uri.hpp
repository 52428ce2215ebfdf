// Substrate's secret URI (sp-core's SecretUri / AddressUri, read by subkey, polkadot-js's keyring
// and Bittensor's btcli):
//
//   [phrase] ( "/" soft | "//" hard )* [ "///" password ]
//
// where the phrase, made of ASCII letters, digits and spaces, is a BIP39 mnemonic or a 0x-hex
// mini secret key, and defaults to the development phrase when absent ("//Alice").
#pragma once

#include "mycelium/chain/derive_junction.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace mycelium::chain {

// sp-core's DEV_PHRASE: the mnemonic of the well-known development accounts (//Alice, //Bob...).
inline constexpr std::string_view kDevPhrase =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

// The parts of a secret URI. The views point into the URI given to parse_secret_uri, which must
// outlive this: the secret is never copied. Junction chain codes are zeroed on destruction.
struct SecretUri {
  std::string_view phrase; // kDevPhrase when the URI has none
  std::vector<DeriveJunction> junctions;
  std::optional<std::string_view> password; // what follows "///", possibly empty

  SecretUri() = default;
  SecretUri(const SecretUri &) = delete;
  SecretUri &operator=(const SecretUri &) = delete;
  SecretUri(SecretUri &&) = default;
  SecretUri &operator=(SecretUri &&) = default;
  ~SecretUri();
};

// Splits a URI as Substrate's parser does (the regular expression
// ^([a-zA-Z0-9 ]+)?((//?[^/]+)*)(///(.*))?$). Throws Error 22023 naming the position of the
// first character that does not fit (never the secret text around it).
SecretUri parse_secret_uri(std::string_view uri);

} // namespace mycelium::chain
