// The sr25519 key a Substrate secret URI names (secret_uri.hpp), as sp-core's
// Pair::from_string_with_seed and polkadot-js's keyring make it: the phrase gives a mini secret
// key (a BIP39 mnemonic through substrate-bip39 with the URI's password, or 0x and 64 hex
// digits taken as is), which is expanded and then derived along the junctions.
#pragma once

#include "mycelium/chain/sr25519.hpp"

#include <optional>
#include <string_view>

namespace mycelium::chain::sr25519 {

struct UriKey {
  SecretKey secret_key;
  // The mini secret key (Substrate's "secret seed") secret_key expands from, when there is one:
  // the URI has no junction, or its last junction is hard.
  std::optional<MiniSecretKey> mini_secret;
};

// Throws Error 22023 when the URI is malformed, the mnemonic invalid, the hex seed not 32
// bytes, or a ///password comes with a hex seed (Substrate and polkadot-js would ignore the
// password there; a password the user believes protects the key is refused instead). The
// messages never repeat the secret.
UriKey key_from_secret_uri(std::string_view uri);

} // namespace mycelium::chain::sr25519
