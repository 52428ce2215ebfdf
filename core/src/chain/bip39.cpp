#include "mycelium/chain/bip39.hpp"

#include "mycelium/chain/pbkdf2.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <cstring>
#include <string>

namespace mycelium::chain {

namespace {

constexpr std::size_t kWordCount = 2048;
constexpr std::size_t kMaxWordLength = 8;
constexpr std::size_t kMaxWords = 24;
constexpr std::uint32_t kIterations = 2048;

// Zero-padded to the longest word, so that every comparison reads the same number of bytes.
constexpr char kWords[kWordCount][kMaxWordLength + 1] = {
#include "mycelium/chain/bip39_english.inc"
};

[[noreturn]] void fail(const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue, "mnemonic: " + what);
}

bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The word's index in the list, found by comparing it with all 2048 words: a binary search
// would branch on the secret word, and its timing would tell where in the list the word lies.
// Returns false when the word is not in the list.
bool word_index(std::string_view word, std::uint32_t &index) {
  if (word.size() > kMaxWordLength)
    return false;
  char padded[kMaxWordLength] = {};
  for (std::size_t i = 0; i < word.size(); ++i)
    padded[i] = word[i];
  std::uint32_t found = 0;
  std::uint32_t result = 0;
  for (std::uint32_t i = 0; i < kWordCount; ++i) {
    std::uint32_t difference = 0;
    for (std::size_t b = 0; b < kMaxWordLength; ++b)
      difference |= static_cast<std::uint8_t>(kWords[i][b] ^ padded[b]);
    // 1 when difference is 0, else 0, without a branch.
    const std::uint32_t equal = ((difference - 1) >> 8) & 1;
    result |= i & (0u - equal);
    found |= equal;
  }
  sodium_memzero(padded, sizeof padded);
  index = result;
  return found == 1;
}

} // namespace

MnemonicEntropy mnemonic_to_entropy(std::string_view phrase) {
  std::uint32_t indices[kMaxWords] = {};
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < phrase.size()) {
    if (is_separator(phrase[pos])) {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < phrase.size() && !is_separator(phrase[end]))
      ++end;
    if (count == kMaxWords)
      fail("more than 24 words; a BIP39 phrase has 12, 15, 18, 21 or 24");
    if (!word_index(phrase.substr(pos, end - pos), indices[count])) {
      sodium_memzero(indices, sizeof indices);
      fail("word " + std::to_string(count + 1) + " is not in the BIP39 English wordlist");
    }
    ++count;
    pos = end;
  }
  if (count % 3 != 0 || count < 12) {
    sodium_memzero(indices, sizeof indices);
    fail(std::to_string(count) + " words; a BIP39 phrase has 12, 15, 18, 21 or 24");
  }

  // The words are 11-bit big-endian groups of entropy || checksum, where the checksum is the
  // first (entropy bits / 32) bits of SHA-256(entropy).
  std::uint8_t bits[kMaxWords * 11 / 8] = {};
  for (std::size_t w = 0; w < count; ++w)
    for (std::size_t b = 0; b < 11; ++b) {
      const std::size_t bit = w * 11 + b;
      const auto value = static_cast<std::uint8_t>((indices[w] >> (10 - b)) & 1);
      bits[bit / 8] = static_cast<std::uint8_t>(bits[bit / 8] | value << (7 - bit % 8));
    }
  sodium_memzero(indices, sizeof indices);

  MnemonicEntropy entropy;
  entropy.size = count * 4 / 3;
  const std::size_t checksum_bits = entropy.size / 4;
  std::memcpy(entropy.bytes.data(), bits, entropy.size);
  std::uint8_t hash[crypto_hash_sha256_BYTES];
  ensure_sodium();
  crypto_hash_sha256(hash, entropy.bytes.data(), entropy.size);
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - checksum_bits));
  const bool checksum_matches = ((hash[0] ^ bits[entropy.size]) & mask) == 0;
  sodium_memzero(bits, sizeof bits);
  sodium_memzero(hash, sizeof hash);
  if (!checksum_matches)
    fail("checksum does not match: a word is mistyped, missing or out of order");
  return entropy;
}

SecretBytes<32> mini_secret_from_mnemonic(std::string_view phrase, std::string_view password) {
  const MnemonicEntropy entropy = mnemonic_to_entropy(phrase);
  std::string salt;
  salt.reserve(8 + password.size()); // no reallocation: no unzeroed copy of the password
  salt += "mnemonic";
  salt += password;
  std::uint8_t seed[64];
  pbkdf2_hmac_sha512(entropy.bytes.data(), entropy.size,
                     reinterpret_cast<const std::uint8_t *>(salt.data()), salt.size(), kIterations,
                     seed, sizeof seed);
  sodium_memzero(salt.data(), salt.size());
  SecretBytes<32> mini_secret(seed);
  sodium_memzero(seed, sizeof seed);
  return mini_secret;
}

} // namespace mycelium::chain
