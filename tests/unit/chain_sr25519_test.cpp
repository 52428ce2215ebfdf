// sr25519 keys, signatures and verification (core/include/mycelium/chain/sr25519.hpp) against
// published values: sp-core's sr25519 tests (public keys of fixed seeds, signatures of
// schnorrkel 0.1.1 that must no longer verify), schnorrkel's from_ed25519_bytes example, and
// Substrate's development account; then every refusal.
#include "mycelium/chain/sr25519.hpp"

#include "chain_test_util.hpp"

#include <cstring>

namespace {

using namespace mycelium::chain;
using namespace mycelium::chain::sr25519;
using chain_test::array;
using chain_test::bytes;
using chain_test::expect_error;
using chain_test::hex;
using chain_test::text;

SecretKey key_from_seed_hex(std::string_view seed_hex) {
  const auto seed = array<32>(seed_hex);
  return SecretKey::from_mini_secret(MiniSecretKey(seed.data()));
}

const mycelium::Bytes kMessage = text("this is a message");

// The group order l, little-endian.
constexpr std::uint8_t kGroupOrder[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

TEST(Sr25519, PublicKeysOfPublishedSeeds) {
  // sp-core sr25519 tests: sr_test_vector_should_work and seeded_pair_should_work.
  EXPECT_EQ(
      hex(key_from_seed_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
              .public_key()),
      "44a996beb1eef7bdcab976ab6d2ca26104834164ecf28fb375600576fcc6eb0f");
  const std::string ascii_seed = "12345678901234567890123456789012";
  const SecretKey ascii = SecretKey::from_mini_secret(
      MiniSecretKey(reinterpret_cast<const std::uint8_t *>(ascii_seed.data())));
  EXPECT_EQ(hex(ascii.public_key()),
            "741c08a06f41c596608f6774259bd9043304adfa5d3eea62760bd9be97634d63");
  // Substrate's DEV_PHRASE: its secret seed and DEV_ADDRESS's public key.
  EXPECT_EQ(
      hex(key_from_seed_hex("fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e")
              .public_key()),
      "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a");
}

TEST(Sr25519, Ed25519BytesOfSchnorrkelsExample) {
  // schnorrkel's SecretKey::from_ed25519_bytes example: these 64 bytes and that public key. They
  // are the development phrase's key in polkadot-js's form (8 * key || nonce).
  const mycelium::Bytes secret =
      bytes("28b0ae221c6bb06856b287f60d7ea0d98552ea5a16db16956849aa371db3eb51"
            "fd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34");
  const SecretKey key = SecretKey::from_ed25519_bytes(secret.data(), secret.size());
  EXPECT_EQ(hex(key.public_key()),
            "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a");
  const auto ed25519_bytes = key.to_ed25519_bytes();
  EXPECT_EQ(hex(ed25519_bytes.data(), 64), hex(secret.data(), 64));
  const SecretKey from_seed =
      key_from_seed_hex("fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e");
  const auto seed_ed25519 = from_seed.to_ed25519_bytes();
  EXPECT_EQ(hex(seed_ed25519.data(), 64), hex(secret.data(), 64));
}

TEST(Sr25519, CanonicalBytesRoundTrip) {
  const SecretKey key = SecretKey::generate();
  const auto raw = key.to_bytes();
  // key / 8 of the ed25519 form: the scalar is below 2^253.
  EXPECT_EQ(raw.data()[31] & 0xe0, 0);
  const SecretKey again = SecretKey::from_bytes(raw.data(), raw.size());
  EXPECT_EQ(again.public_key(), key.public_key());
  const auto ed = key.to_ed25519_bytes();
  const SecretKey from_ed = SecretKey::from_ed25519_bytes(ed.data(), ed.size());
  EXPECT_EQ(from_ed.public_key(), key.public_key());
  EXPECT_EQ(hex(from_ed.to_bytes().data(), 64), hex(raw.data(), 64));
}

TEST(Sr25519, SignaturesVerifyAndCarryTheMarker) {
  const SecretKey key = SecretKey::generate();
  for (int i = 0; i < 8; ++i) {
    const mycelium::Bytes message = text(std::string(static_cast<std::size_t>(i) * 50, 'm'));
    const Signature signature = key.sign(message);
    EXPECT_EQ(signature[63] & 0x80, 0x80);
    EXPECT_TRUE(verify(signature, message, key.public_key()));
    EXPECT_NO_THROW(verify_or_throw(signature, message.data(), message.size(), key.public_key()));
  }
  // Randomised: two signatures of one message differ, and both verify.
  const Signature first = key.sign(kMessage);
  const Signature second = key.sign(kMessage);
  EXPECT_NE(first, second);
  EXPECT_TRUE(verify(second, kMessage, key.public_key()));
}

TEST(Sr25519, GivenRandomnessMakesSignaturesRepeatable) {
  const SecretKey key =
      key_from_seed_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  std::uint8_t random[kRandomSize];
  std::memset(random, 7, sizeof random);
  const Signature first = key.sign(kMessage.data(), kMessage.size(), random);
  const Signature second = key.sign(kMessage.data(), kMessage.size(), random);
  EXPECT_EQ(first, second);
  random[0] ^= 1;
  EXPECT_NE(first, key.sign(kMessage.data(), kMessage.size(), random));
  EXPECT_TRUE(verify(first, kMessage, key.public_key()));
}

void expect_refused(const Signature &signature, const mycelium::Bytes &message,
                    const PublicKey &public_key, const std::string &fragment) {
  SCOPED_TRACE(fragment);
  EXPECT_FALSE(verify(signature, message, public_key));
  expect_error([&] { verify_or_throw(signature, message.data(), message.size(), public_key); },
               "MC001", fragment);
}

TEST(Sr25519, WrongMessageOrKeyRefused) {
  const SecretKey key = SecretKey::generate();
  const SecretKey other = SecretKey::generate();
  const Signature signature = key.sign(kMessage);
  expect_refused(signature, text("this is a messagf"), key.public_key(), "does not verify");
  expect_refused(signature, {}, key.public_key(), "does not verify");
  expect_refused(signature, kMessage, other.public_key(), "does not verify");
  // A flipped bit of R (a still-valid point is unlikely, so either refusal) or of s.
  Signature tampered_s = signature;
  tampered_s[40] ^= 0x01;
  expect_refused(tampered_s, kMessage, key.public_key(), "does not verify");
  // An Ed25519 signature of the same message by a key with the same seed bytes is not one.
  const Signature swapped = [&] {
    Signature s{};
    std::memcpy(s.data(), signature.data() + 32, 32);
    std::memcpy(s.data() + 32, signature.data(), 32);
    s[63] |= 0x80;
    return s;
  }();
  EXPECT_FALSE(verify(swapped, kMessage, key.public_key()));
}

TEST(Sr25519, MarkerBitRequired) {
  const SecretKey key = SecretKey::generate();
  Signature signature = key.sign(kMessage);
  signature[63] &= 0x7f;
  expect_refused(signature, kMessage, key.public_key(), "marker bit (0x80 in byte 63) not set");
}

TEST(Sr25519, SchnorrkelPreAuditSignaturesRefused) {
  // sp-core's verify_known_old_message_should_work and verify_from_old_wasm_works: signatures by
  // schnorrkel 0.1.1 (other transcript labels, no marker), which Pair::verify refuses.
  const PublicKey old_key =
      array<32>("b4bfa1f7a5166695eb75299fd1c4c03ea212871c342f2c5dfea0902b2c246918");
  const Signature old_signature =
      array<64>("5a9755f069939f45d96aaf125cf5ce7ba1db998686f87f2fb3cbdea922078741"
                "a73891ba265f70c31436e18a9acd14d189d73c12317ab6c313285cd938453202");
  expect_refused(old_signature,
                 text("Verifying that I am the owner of 5G9hQLdsKQswNPgB499DeA5PkFBbgkLPJWkkS6FA"
                      "M6xGQ8xD. Hash: 221455a3\n"),
                 old_key, "marker bit");
  const SecretKey zero_seed = key_from_seed_hex(std::string(64, '0'));
  const Signature js_signature =
      array<64>("28a854d54903e056f89581c691c1f7d2ff39f8f896c9e9c22475e60902cc2b35"
                "47199e0e91fa32902028f2ca2355e8cdd16cfe19ba5e8b658c94aa80f3b81a00");
  expect_refused(js_signature, text("SUBSTRATE"), zero_seed.public_key(), "marker bit");
  // With the marker forced on, the old signature still fails the current equation.
  Signature marked = old_signature;
  marked[63] |= 0x80;
  EXPECT_FALSE(verify(marked,
                      text("Verifying that I am the owner of 5G9hQLdsKQswNPgB499DeA5Pk"
                           "FBbgkLPJWkkS6FAM6xGQ8xD. Hash: 221455a3\n"),
                      old_key));
}

// s + l: the same signature in a second, non-canonical encoding.
Signature with_s_plus_l(const Signature &signature) {
  Signature out = signature;
  out[63] &= 0x7f;
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned sum = unsigned{out[32 + i]} + kGroupOrder[i] + carry;
    out[32 + i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
  }
  out[63] |= 0x80; // s + l < 2^254, so this bit was clear
  return out;
}

TEST(Sr25519, NonCanonicalScalarRefused) {
  const SecretKey key = SecretKey::generate();
  const Signature signature = key.sign(kMessage);
  expect_refused(with_s_plus_l(signature), kMessage, key.public_key(), "not canonical");
  // s = l exactly, and s with every bit below the marker set.
  Signature s_equals_l = signature;
  std::memcpy(s_equals_l.data() + 32, kGroupOrder, 32);
  s_equals_l[63] |= 0x80;
  expect_refused(s_equals_l, kMessage, key.public_key(), "not canonical");
  Signature all_ones = signature;
  std::memset(all_ones.data() + 32, 0xff, 32);
  expect_refused(all_ones, kMessage, key.public_key(), "not canonical");
  // l - 1 is canonical: refused by the equation, not by the format.
  Signature l_minus_one = signature;
  std::memcpy(l_minus_one.data() + 32, kGroupOrder, 32);
  l_minus_one[32] -= 1;
  l_minus_one[63] |= 0x80;
  expect_refused(l_minus_one, kMessage, key.public_key(), "does not verify");
}

TEST(Sr25519, InvalidPointsRefused) {
  const SecretKey key = SecretKey::generate();
  const Signature signature = key.sign(kMessage);
  // R: 1 is not a valid encoding (ristretto255's "bad encodings" include every odd value), nor
  // is p itself (2^255 - 19: not canonical).
  Signature bad_r = signature;
  std::memset(bad_r.data(), 0, 32);
  bad_r[0] = 1;
  expect_refused(bad_r, kMessage, key.public_key(), "R (bytes 0..31) is not a canonical");
  Signature r_is_p = signature;
  std::memset(r_is_p.data(), 0xff, 32);
  r_is_p[0] = 0xed;
  r_is_p[31] = 0x7f;
  expect_refused(r_is_p, kMessage, key.public_key(), "R (bytes 0..31) is not a canonical");
  // The valid R with bit 255 set: a second spelling of the same point, which libsodium 1.0.18
  // alone would take.
  Signature r_high_bit = signature;
  r_high_bit[31] |= 0x80;
  expect_refused(r_high_bit, kMessage, key.public_key(), "R (bytes 0..31) is not a canonical");
  // Public key: not a valid encoding, a high bit set, and the identity.
  PublicKey bad_key = key.public_key();
  bad_key[0] |= 1; // a negative field element: never a canonical encoding
  expect_refused(signature, kMessage, bad_key, "public key: not a canonical ristretto255");
  PublicKey high_bit = key.public_key();
  high_bit[31] |= 0x80;
  expect_refused(signature, kMessage, high_bit, "public key: not a canonical ristretto255");
  EXPECT_FALSE(is_canonical_point(high_bit.data()));
  EXPECT_TRUE(is_canonical_point(key.public_key().data()));
  PublicKey identity{};
  expect_refused(signature, kMessage, identity, "identity point");
  // With the identity as key, s * B = R holds for s = r: that forgery is refused.
  const SecretKey forger = SecretKey::generate();
  const auto forger_bytes = forger.to_bytes();
  Signature forged{};
  std::memcpy(forged.data(), forger.public_key().data(), 32);
  std::memcpy(forged.data() + 32, forger_bytes.data(), 32);
  forged[63] |= 0x80;
  expect_refused(forged, kMessage, identity, "identity point");
}

TEST(Sr25519, ParsingChecksLengthsAndPoints) {
  const SecretKey key = SecretKey::generate();
  const PublicKey parsed = public_key_from_bytes(key.public_key().data(), 32);
  EXPECT_EQ(parsed, key.public_key());
  expect_error([&] { public_key_from_bytes(key.public_key().data(), 31); }, "22023",
               "must be 32 bytes, got 31");
  expect_error([&] { public_key_from_bytes(key.public_key().data(), 33); }, "22023",
               "must be 32 bytes, got 33");
  std::uint8_t zeros[32] = {};
  expect_error([&] { public_key_from_bytes(zeros, 32); }, "22023", "identity point");
  std::uint8_t odd[32] = {1};
  expect_error([&] { public_key_from_bytes(odd, 32); }, "22023", "not a canonical");
  PublicKey high_bit = key.public_key();
  high_bit[31] |= 0x80;
  expect_error([&] { public_key_from_bytes(high_bit.data(), 32); }, "22023", "not a canonical");

  const Signature signature = key.sign(kMessage);
  EXPECT_EQ(signature_from_bytes(signature.data(), 64), signature);
  expect_error([&] { signature_from_bytes(signature.data(), 63); }, "22023",
               "must be 64 bytes, got 63");
  expect_error([&] { signature_from_bytes(signature.data(), 0); }, "22023",
               "must be 64 bytes, got 0");

  const auto raw = key.to_bytes();
  expect_error([&] { SecretKey::from_bytes(raw.data(), 32); }, "22023", "must be 64 bytes");
  expect_error([&] { SecretKey::from_ed25519_bytes(raw.data(), 65); }, "22023", "must be 64 bytes");
  std::uint8_t non_canonical[64];
  std::memset(non_canonical, 0xff, sizeof non_canonical);
  expect_error([&] { SecretKey::from_bytes(non_canonical, 64); }, "22023",
               "not below the group order");
  std::uint8_t zero_key[64] = {};
  expect_error([&] { SecretKey::from_bytes(zero_key, 64); }, "22023", "scalar is zero");
}

TEST(Sr25519, ErrorsNeverShowSecrets) {
  std::uint8_t non_canonical[64];
  std::memset(non_canonical, 0xff, sizeof non_canonical);
  try {
    SecretKey::from_bytes(non_canonical, 64);
    ADD_FAILURE() << "accepted";
  } catch (const mycelium::Error &e) {
    EXPECT_EQ(std::string(e.what()).find("ff"), std::string::npos) << e.what();
  }
}

} // namespace
