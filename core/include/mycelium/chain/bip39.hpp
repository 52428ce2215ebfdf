// BIP39 mnemonic phrases as Substrate turns them into keys (substrate-bip39): the phrase's
// entropy, not BIP39's own seed, is stretched into the 32-byte mini secret key. English
// wordlist only (core/src/chain/bip39_english.txt), as in Substrate and polkadot-js by default.
#pragma once

#include "mycelium/chain/secret_bytes.hpp"

#include <cstddef>
#include <string_view>

namespace mycelium::chain {

inline constexpr std::size_t kMaxMnemonicEntropySize = 32;

struct MnemonicEntropy {
  SecretBytes<kMaxMnemonicEntropySize> bytes; // the first `size` bytes are the entropy
  std::size_t size = 0;                       // 16, 20, 24, 28 or 32
};

// The entropy a phrase of 12, 15, 18, 21 or 24 words encodes, its checksum verified. Words are
// separated by spaces, tabs or line breaks (any number) and must be lowercase, exactly as in
// the wordlist. Throws Error 22023 saying what is wrong (the word count, the position of a word
// not in the list, a checksum mismatch) without repeating any word of the phrase.
MnemonicEntropy mnemonic_to_entropy(std::string_view phrase);

// substrate-bip39's mini_secret_from_entropy: the first 32 bytes of
// PBKDF2-HMAC-SHA512(password = entropy, salt = "mnemonic" || password, 2048 iterations).
// The password is used as its bytes are given (no Unicode normalisation).
SecretBytes<32> mini_secret_from_mnemonic(std::string_view phrase, std::string_view password);

} // namespace mycelium::chain
