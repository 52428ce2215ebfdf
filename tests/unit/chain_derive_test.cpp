// Derivation paths and secret URIs (core/include/mycelium/chain/derive_junction.hpp,
// secret_uri.hpp, sr25519_derive.hpp, sr25519_uri.hpp) against Substrate's published values:
// sp-core's derive_hard_known_pair and derive_soft_known_pair tests, and the development
// accounts `subkey inspect` shows (//Alice, //Bob, //Alice//stash with their secret seeds).
#include "mycelium/chain/derive_junction.hpp"
#include "mycelium/chain/secret_uri.hpp"
#include "mycelium/chain/sr25519_derive.hpp"
#include "mycelium/chain/sr25519_uri.hpp"

#include "chain_test_util.hpp"

#include <sodium.h>

namespace {

using namespace mycelium::chain;
using namespace mycelium::chain::sr25519;
using chain_test::array;
using chain_test::expect_error;
using chain_test::hex;
using chain_test::text;

std::string public_of(std::string_view uri) {
  return hex(key_from_secret_uri(uri).secret_key.public_key());
}

std::string seed_of(std::string_view uri) {
  const UriKey key = key_from_secret_uri(uri);
  if (!key.mini_secret)
    return "none";
  return hex(key.mini_secret->data(), key.mini_secret->size());
}

const std::string kAlice = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

TEST(DeriveJunction, ChainCodes) {
  // Indices: the u64's 8 little-endian bytes, zero-padded.
  EXPECT_EQ(hex(DeriveJunction::from_index(1, false).chain_code),
            "0100000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(hex(DeriveJunction::parse("258").chain_code),
            "0201000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(hex(DeriveJunction::parse("18446744073709551615").chain_code),
            "ffffffffffffffff000000000000000000000000000000000000000000000000");
  // Names: SCALE compact length (len << 2), then the bytes.
  EXPECT_EQ(hex(DeriveJunction::parse("Alice").chain_code),
            "14416c6963650000000000000000000000000000000000000000000000000000");
  // One past u64's range, and a leading '+', are names.
  EXPECT_EQ(hex(DeriveJunction::parse("18446744073709551616").chain_code),
            "5031383434363734343037333730393535313631360000000000000000000000");
  EXPECT_EQ(hex(DeriveJunction::parse("+1").chain_code),
            "082b310000000000000000000000000000000000000000000000000000000000");
  // 31 bytes encode to 32 and fit; 32 bytes encode to 33: BLAKE2b-256 of the encoding.
  const std::string name31(31, 'x');
  std::string expected31 = "7c";
  for (int i = 0; i < 31; ++i)
    expected31 += "78";
  EXPECT_EQ(hex(DeriveJunction::parse(name31).chain_code), expected31);
  const std::string name32(32, 'x');
  std::string encoded = "\x80" + name32;
  std::uint8_t expected[32];
  crypto_generichash(expected, 32, reinterpret_cast<const std::uint8_t *>(encoded.data()),
                     encoded.size(), nullptr, 0);
  EXPECT_EQ(hex(DeriveJunction::parse(name32).chain_code), hex(expected, 32));
  // A name of 64 bytes or more takes a two-byte compact length.
  const std::string name64(64, 'y');
  encoded = std::string("\x01\x01", 2) + name64;
  crypto_generichash(expected, 32, reinterpret_cast<const std::uint8_t *>(encoded.data()),
                     encoded.size(), nullptr, 0);
  EXPECT_EQ(hex(DeriveJunction::parse(name64).chain_code), hex(expected, 32));
  // Hard or soft by the leading '/'.
  EXPECT_TRUE(DeriveJunction::parse("/Alice").hard);
  EXPECT_FALSE(DeriveJunction::parse("Alice").hard);
  EXPECT_EQ(DeriveJunction::parse("/Alice").chain_code, DeriveJunction::parse("Alice").chain_code);
  expect_error([] { DeriveJunction::parse("/"); }, "22023", "empty junction");
}

TEST(SecretUri, Parts) {
  const SecretUri dev = parse_secret_uri("//Alice/foo//0///pass/word");
  EXPECT_EQ(dev.phrase, kDevPhrase);
  ASSERT_EQ(dev.junctions.size(), 3u);
  EXPECT_TRUE(dev.junctions[0].hard);
  EXPECT_FALSE(dev.junctions[1].hard);
  EXPECT_TRUE(dev.junctions[2].hard);
  EXPECT_EQ(dev.junctions[2].chain_code, DeriveJunction::from_index(0, true).chain_code);
  ASSERT_TRUE(dev.password);
  EXPECT_EQ(*dev.password, "pass/word");

  const SecretUri phrase = parse_secret_uri("a phrase here");
  EXPECT_EQ(phrase.phrase, "a phrase here");
  EXPECT_TRUE(phrase.junctions.empty());
  EXPECT_FALSE(phrase.password);

  EXPECT_EQ(*parse_secret_uri("0xab///").password, "");
  EXPECT_EQ(*parse_secret_uri("////").password, "/");
  EXPECT_EQ(parse_secret_uri("").phrase, kDevPhrase);
}

TEST(SecretUri, MalformedRefusedWithoutRepeatingThem) {
  expect_error([] { parse_secret_uri("secret-words"); }, "22023", "character 7 is not allowed");
  expect_error([] { parse_secret_uri("//Alice//"); }, "22023", "empty junction at character 8");
  expect_error([] { parse_secret_uri("//Alice/"); }, "22023", "empty junction");
  try {
    parse_secret_uri("hunter2!//x");
    ADD_FAILURE() << "accepted";
  } catch (const mycelium::Error &e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

TEST(Sr25519Derive, DevelopmentAccounts) {
  // sp-core: derive_hard_known_pair_should_work, derive_soft_known_pair_should_work,
  // default_phrase_should_be_used.
  EXPECT_EQ(public_of("//Alice"), kAlice);
  EXPECT_EQ(public_of(std::string(kDevPhrase) + "//Alice"), kAlice);
  EXPECT_EQ(public_of("/Alice"),
            "d6c71059dbbe9ad2b0ed3f289738b800836eb425544ce694825285b958ca755e");
  EXPECT_EQ(public_of("//Bob"), "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48");
  EXPECT_EQ(public_of("//Alice//stash"),
            "be5ddb1579b72e84524fc29e78609e3caf42e85aa118ebfe0b0ad404b5bdd25f");
  // Their secret seeds, and the development phrase's own.
  EXPECT_EQ(seed_of("//Alice"), "e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a");
  EXPECT_EQ(seed_of("//Bob"), "398f0c28f98885e046333d4a41c19cee4c37368a9832c6502f6cfd182e2aef89");
  EXPECT_EQ(seed_of(""), "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e");
  EXPECT_EQ(public_of(""), "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a");
  // A soft junction leaves no seed; a hard one after it gives one again.
  EXPECT_EQ(seed_of("//Alice/soft"), "none");
  EXPECT_NE(seed_of("//Alice/soft//hard"), "none");
}

TEST(Sr25519Derive, HexSeedsAndPasswords) {
  // //Alice's seed as the phrase gives Alice.
  EXPECT_EQ(public_of("0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a"),
            kAlice);
  EXPECT_EQ(public_of("0xE5BE9A5092B81BCA64BE81D212E7F2F9EBA183BB7A90954F7B76361F6EDB5C0A"),
            kAlice);
  // A password changes the mnemonic's key; "///" with nothing after is no password.
  EXPECT_NE(public_of("//Alice///password"), kAlice);
  EXPECT_EQ(public_of("//Alice///"), kAlice);
  expect_error(
      [] {
        key_from_secret_uri("0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b7636"
                            "1f6edb5c0a///pw");
      },
      "22023", "not to a 0x seed");
  expect_error([] { key_from_secret_uri("0xe5be"); }, "22023", "exactly 64 hex digits");
  expect_error(
      [] {
        key_from_secret_uri("0xz5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b7636"
                            "1f6edb5c0a");
      },
      "22023", "exactly 64 hex digits");
  expect_error([] { key_from_secret_uri("not a mnemonic//Alice"); }, "22023", "mnemonic");
}

TEST(Sr25519Derive, SoftDerivationOfPublicAndSecretAgree) {
  const SecretKey root = key_from_secret_uri("//Alice").secret_key;
  const ChainCode chain_code = DeriveJunction::parse("foo").chain_code;
  const SecretKey child = derive_soft(root, chain_code);
  EXPECT_EQ(derive_soft(root.public_key(), chain_code), child.public_key());
  EXPECT_EQ(hex(child.public_key()), public_of("//Alice/foo"));
  // Deterministic apart from the nonce seed: with the same randomness, the same key bytes.
  std::uint8_t random[kRandomSize] = {};
  const auto first = derive_soft(root, chain_code, random).to_bytes();
  const auto second = derive_soft(root, chain_code, random).to_bytes();
  EXPECT_EQ(hex(first.data(), 64), hex(second.data(), 64));
  const auto other = derive_soft(root, chain_code).to_bytes();
  EXPECT_EQ(hex(other.data(), 32), hex(first.data(), 32));
  EXPECT_NE(hex(other.data() + 32, 32), hex(first.data() + 32, 32));
  // Derived keys sign.
  const Signature signature = child.sign(text("derived"));
  EXPECT_TRUE(verify(signature, text("derived"), child.public_key()));
  // Hard derivation of a public key is impossible by construction; of a secret, deterministic.
  EXPECT_EQ(derive_hard(root, chain_code).public_key(), derive_hard(root, chain_code).public_key());
  EXPECT_NE(derive_hard(root, chain_code).public_key(), child.public_key());
}

TEST(Sr25519Derive, PathFunctionMatchesTheUri) {
  const SecretKey root = key_from_secret_uri("").secret_key;
  const SecretUri uri = parse_secret_uri("//Alice/foo//0");
  EXPECT_EQ(hex(derive(root, uri.junctions).public_key()), public_of("//Alice/foo//0"));
  EXPECT_EQ(derive(root, {}).public_key(), root.public_key());
}

} // namespace
