// PBKDF2-HMAC-SHA512 and BIP39 phrases as substrate-bip39 reads them
// (core/include/mycelium/chain/pbkdf2.hpp, bip39.hpp). The PBKDF2 and entropy vectors are the
// published ones (the PBKDF2-HMAC-SHA512 answers also used by Python's hashlib tests; Trezor's
// BIP39 vectors.json); the mini secret of Substrate's development phrase is the "secret seed"
// `subkey inspect` prints for it.
#include "mycelium/chain/bip39.hpp"
#include "mycelium/chain/pbkdf2.hpp"

#include "chain_test_util.hpp"

#include <string>

namespace {

using namespace mycelium::chain;
using chain_test::expect_error;
using chain_test::hex;

// Substrate's DEV_PHRASE.
constexpr std::string_view kDevelopmentPhrase =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

std::string pbkdf2(std::string_view password, std::string_view salt, std::uint32_t iterations,
                   std::size_t size) {
  std::string out(size, '\0');
  pbkdf2_hmac_sha512(reinterpret_cast<const std::uint8_t *>(password.data()), password.size(),
                     reinterpret_cast<const std::uint8_t *>(salt.data()), salt.size(), iterations,
                     reinterpret_cast<std::uint8_t *>(out.data()), size);
  return hex(reinterpret_cast<const std::uint8_t *>(out.data()), size);
}

std::string entropy_hex(std::string_view phrase) {
  const MnemonicEntropy entropy = mnemonic_to_entropy(phrase);
  return hex(entropy.bytes.data(), entropy.size);
}

TEST(Pbkdf2HmacSha512, PublishedVectors) {
  EXPECT_EQ(pbkdf2("password", "salt", 1, 64),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
            "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce");
  EXPECT_EQ(pbkdf2("password", "salt", 2, 64),
            "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c"
            "f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e");
  EXPECT_EQ(pbkdf2("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 64),
            "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71"
            "115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b8");
}

TEST(Pbkdf2HmacSha512, OutputsLongerAndShorterThanABlock) {
  // Two blocks: the first is the 64-byte answer, the second starts a new block index.
  const std::string two_blocks = pbkdf2("password", "salt", 1, 100);
  EXPECT_EQ(two_blocks.substr(0, 128), pbkdf2("password", "salt", 1, 64));
  EXPECT_EQ(two_blocks.substr(128),
            "7b532e206c2967d4c7d2ffa460539fc4d4e5eec70125d74c6c7cf86d25284f29"
            "7907fcea");
  EXPECT_EQ(pbkdf2("password", "salt", 1, 16), pbkdf2("password", "salt", 1, 64).substr(0, 32));
}

TEST(Pbkdf2HmacSha512, StandardBip39Seed) {
  // BIP39's own seed stretches the phrase (not the entropy): Trezor's vector 0 with "TREZOR".
  EXPECT_EQ(pbkdf2("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                   "abandon abandon about",
                   "mnemonicTREZOR", 2048, 64),
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e5349553"
            "1f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04");
}

TEST(Pbkdf2HmacSha512, ZeroIterationsRefused) {
  std::uint8_t out[8];
  expect_error([&] { pbkdf2_hmac_sha512(nullptr, 0, nullptr, 0, 0, out, sizeof out); }, "22023",
               "at least 1");
}

TEST(Bip39, EntropyOfTrezorVectors) {
  EXPECT_EQ(entropy_hex("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                        "abandon abandon about"),
            "00000000000000000000000000000000");
  EXPECT_EQ(entropy_hex("legal winner thank year wave sausage worth useful legal winner thank "
                        "yellow"),
            "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f");
  EXPECT_EQ(entropy_hex("letter advice cage absurd amount doctor acoustic avoid letter advice "
                        "cage above"),
            "80808080808080808080808080808080");
  EXPECT_EQ(entropy_hex("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"),
            "ffffffffffffffffffffffffffffffff");
  EXPECT_EQ(entropy_hex("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                        "abandon abandon abandon abandon abandon abandon abandon abandon agent"),
            "000000000000000000000000000000000000000000000000");
  EXPECT_EQ(entropy_hex("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                        "abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                        "abandon abandon abandon abandon abandon art"),
            "0000000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(entropy_hex("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
                        "zoo zoo zoo zoo zoo vote"),
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  EXPECT_EQ(entropy_hex("scheme spot photo card baby mountain device kick cradle pact join "
                        "borrow"),
            "c0ba5a8e914111210f2bd131f3d5e08d");
}

TEST(Bip39, SeparatorsAreAnyRunOfWhitespace) {
  EXPECT_EQ(entropy_hex("  legal winner\tthank year wave sausage worth useful legal winner  "
                        "thank\nyellow\n"),
            "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f");
}

TEST(Bip39, SubstrateMiniSecretOfTheDevelopmentPhrase) {
  // `subkey inspect "bottom drive ... walk"`: secret seed 0xfac7959d...
  const SecretBytes<32> mini = mini_secret_from_mnemonic(kDevelopmentPhrase, "");
  EXPECT_EQ(hex(mini.data(), mini.size()),
            "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e");
  // The password is part of the salt.
  const SecretBytes<32> with_password = mini_secret_from_mnemonic(kDevelopmentPhrase, "password");
  EXPECT_NE(hex(with_password.data(), 32), hex(mini.data(), 32));
}

TEST(Bip39, MalformedPhrasesRefusedWithoutRepeatingThem) {
  expect_error([] { mnemonic_to_entropy(""); }, "22023", "0 words");
  expect_error([] { mnemonic_to_entropy("abandon abandon abandon"); }, "22023", "3 words");
  expect_error([] { mnemonic_to_entropy(std::string(13 * 8, 'a')); }, "22023", "word 1");
  std::string thirteen;
  for (int i = 0; i < 13; ++i)
    thirteen += "abandon ";
  expect_error([&] { mnemonic_to_entropy(thirteen); }, "22023", "13 words");
  std::string twenty_five;
  for (int i = 0; i < 25; ++i)
    twenty_five += "abandon ";
  expect_error([&] { mnemonic_to_entropy(twenty_five); }, "22023", "more than 24 words");
  // "abandonx" is not a word; the message gives its position only.
  try {
    mnemonic_to_entropy("abandon abandon abandonx abandon abandon abandon abandon abandon abandon "
                        "abandon abandon about");
    ADD_FAILURE() << "accepted";
  } catch (const mycelium::Error &e) {
    EXPECT_NE(std::string(e.what()).find("word 3 is not in the BIP39 English wordlist"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("abandonx"), std::string::npos) << e.what();
  }
  // Upper case is not in the list (Substrate and polkadot-js refuse it too).
  expect_error(
      [] {
        mnemonic_to_entropy("Abandon abandon abandon abandon abandon abandon abandon abandon "
                            "abandon abandon abandon about");
      },
      "22023", "word 1");
  // Valid words, wrong checksum (the last word of vector 0 swapped).
  expect_error(
      [] {
        mnemonic_to_entropy("abandon abandon abandon abandon abandon abandon abandon abandon "
                            "abandon abandon abandon abandon");
      },
      "22023", "checksum does not match");
  expect_error(
      [] {
        mini_secret_from_mnemonic("bottom drive obey lake curtain smoke basket hold "
                                  "race lonely walk fit",
                                  "");
      },
      "22023", "checksum");
}

} // namespace
