// The signed bytes (schemas/SIGNING.md, "Framing" and "Operations"), their bounds, and Ed25519.
#include "mycelium/audit.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/signing.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>

namespace {

using namespace mycelium;

void append(Bytes &out, std::initializer_list<int> bytes) {
  for (const int b : bytes)
    out.push_back(static_cast<std::uint8_t>(b));
}

void append(Bytes &out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

void expect_rejected(const std::function<void()> &call, const std::string &fragment) {
  try {
    call();
    ADD_FAILURE() << "accepted; expected an error containing '" << fragment << "'";
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), "22023");
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

SecretKey test_key(std::uint8_t fill) {
  std::uint8_t seed[kSeedSize];
  for (std::size_t i = 0; i < kSeedSize; ++i)
    seed[i] = static_cast<std::uint8_t>(fill + i);
  return SecretKey::from_seed(seed);
}

NodeRegistration test_node() {
  NodeRegistration node;
  node.node_id = "n";
  node.node_type = "miner";
  node.public_key = std::string(62, '0') + "ab";
  node.ip = "1.2.3.4";
  node.port = 258;
  node.version = "v";
  node.canonical_capabilities = "{}";
  return node;
}

TEST(Framing, PutLayoutByteByByte) {
  Bytes expected;
  append(expected, {0, 0, 0, 15});
  append(expected, "mycelium/v1/put");
  append(expected, {0, 0, 0, 1, 's'});                    // shard_id
  append(expected, {0, 0, 0, 1, 'k'});                    // key
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1}); // u64(version)
  append(expected, {0, 0, 0, 1, 'c'});                    // created_by
  append(expected, {0, 0, 0, 4, '[', '1', '2', ']'});     // canonical value
  EXPECT_EQ(put_payload("s", "k", 1, "c", "[12]"), expected);
}

TEST(Framing, DeleteLayoutByteByByte) {
  Bytes expected;
  append(expected, {0, 0, 0, 18});
  append(expected, "mycelium/v1/delete");
  append(expected, {0, 0, 0, 0});                                     // empty shard_id
  append(expected, {0, 0, 0, 2, 0xc3, 0xa9});                         // key "é": its UTF-8 bytes
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}); // 2^31-1
  append(expected, {0, 0, 0, 2, 'v', '1'});
  EXPECT_EQ(delete_payload("", "\xc3\xa9", 2147483647, "v1"), expected);
}

TEST(Framing, RegistrationLayoutByteByByte) {
  Bytes expected;
  append(expected, {0, 0, 0, 25});
  append(expected, "mycelium/v1/register-node");
  append(expected, {0, 0, 0, 1, 'n'});
  append(expected, {0, 0, 0, 5});
  append(expected, "miner");
  append(expected, {0, 0, 0, 32}); // the public key as raw bytes, not its hex
  for (int i = 0; i < 31; ++i)
    append(expected, {0});
  append(expected, {0xab});
  append(expected, {0, 0, 0, 7});
  append(expected, "1.2.3.4");
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2}); // u64(port 258)
  append(expected, {0, 0, 0, 1, 'v'});
  append(expected, {0, 0, 0, 2, '{', '}'});
  EXPECT_EQ(registration_payload(test_node()), expected);
}

TEST(Framing, WriterIsBigEndian) {
  const Bytes out = PayloadWriter("").frame_u64(0x0102030405060708ULL).take();
  const Bytes expected{0, 0, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(out, expected);
  // A length that needs three bytes: 0x010203.
  const Bytes long_frame = PayloadWriter(std::string(0x010203, 'x')).take();
  ASSERT_EQ(long_frame.size(), 4u + 0x010203);
  EXPECT_EQ(Bytes(long_frame.begin(), long_frame.begin() + 5), (Bytes{0, 1, 2, 3, 'x'}));
}

// The length prefixes fix where each field ends: moving bytes between fields changes the payload.
TEST(Framing, FieldBoundariesAreUnambiguous) {
  EXPECT_NE(put_payload("ab", "c", 1, "v", "1"), put_payload("a", "bc", 1, "v", "1"));
  EXPECT_NE(put_payload("a", "b", 1, "cv", "1"), put_payload("a", "b", 1, "c", "v1"));
  EXPECT_NE(delete_payload("a", "", 1, "b"), delete_payload("", "a", 1, "b"));
}

// A registration's ip is an IPv4 or IPv6 address: postgres_fdw reaches the node there.
TEST(Registration, IpMustBeAnAddress) {
  NodeRegistration node;
  node.node_id = "n";
  node.node_type = "miner";
  node.public_key = std::string(64, '1');
  node.port = 5432;
  for (const char *ok : {"127.0.0.1", "10.0.0.2", "::1", "fe80::1"}) {
    node.ip = ok;
    EXPECT_NO_THROW(registration_payload(node)) << ok;
  }
  for (const char *bad : {"", "not-an-ip", "localhost", "127.0.0.1 ", "1.2.3.4.5", "[::1]"}) {
    node.ip = bad;
    EXPECT_THROW(registration_payload(node), Error) << bad;
  }
}

// Different operations never produce the same bytes, even from equal field values.
TEST(Framing, DomainSeparation) {
  const std::string hex_key = std::string(64, '1');
  NodeRegistration node;
  node.node_id = "s";
  node.node_type = "validator";
  node.public_key = hex_key;
  node.ip = "::1";
  node.port = 1;
  node.version = "c";
  node.canonical_capabilities = "{}";
  const Bytes put = put_payload("s", "::1", 1, "c", "{}");
  const Bytes del = delete_payload("s", "::1", 1, "c");
  const Bytes reg = registration_payload(node);
  EXPECT_NE(put, del);
  EXPECT_NE(put, reg);
  EXPECT_NE(del, reg);
  // Not even a prefix of another: the tag frame differs in its first bytes.
  EXPECT_NE(Bytes(put.begin(), put.begin() + del.size()), del);
  const std::set<Bytes> tags{PayloadWriter(kPutTag).take(), PayloadWriter(kDeleteTag).take(),
                             PayloadWriter(kRegisterNodeTag).take(),
                             PayloadWriter(kAuditTag).take()};
  EXPECT_EQ(tags.size(), 4u);
}

TEST(Version, Bounds) {
  EXPECT_NO_THROW(check_version(1));
  EXPECT_NO_THROW(check_version(2147483647));
  for (const std::int64_t bad : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{2147483648},
                                 std::int64_t{-2147483648}, INT64_MAX, INT64_MIN}) {
    SCOPED_TRACE(bad);
    expect_rejected([&] { check_version(bad); }, "version must be between 1 and 2147483647");
    expect_rejected([&] { put_payload("s", "k", bad, "c", "1"); }, "version");
    expect_rejected([&] { delete_payload("s", "k", bad, "c"); }, "version");
  }
  EXPECT_NO_THROW(put_payload("s", "k", 2147483647, "c", "1"));
}

TEST(Registration, NodeType) {
  for (const char *type : {"validator", "miner"}) {
    NodeRegistration node = test_node();
    node.node_type = type;
    EXPECT_NO_THROW(registration_payload(node));
  }
  for (const char *type : {"", "Validator", "MINER", "observer", "miner ", "validator\n"}) {
    NodeRegistration node = test_node();
    node.node_type = type;
    expect_rejected([&] { registration_payload(node); }, "node_type must be");
  }
}

TEST(Registration, Port) {
  for (const std::int64_t port : {1, 80, 65535}) {
    NodeRegistration node = test_node();
    node.port = port;
    EXPECT_NO_THROW(registration_payload(node));
  }
  for (const std::int64_t port :
       {std::int64_t{0}, std::int64_t{65536}, std::int64_t{-1}, std::int64_t{-65535}, INT64_MAX}) {
    NodeRegistration node = test_node();
    node.port = port;
    expect_rejected([&] { registration_payload(node); }, "port must be between 1 and 65535");
  }
}

TEST(Registration, PublicKeyHex) {
  const std::string good = std::string(64, 'a');
  for (const std::string &bad :
       {std::string(), std::string(63, 'a'), std::string(66, 'a'), std::string(64, 'A'),
        "0x" + std::string(62, 'a'), std::string(63, 'a') + "g", std::string(64, ' ')}) {
    NodeRegistration node = test_node();
    node.public_key = bad;
    expect_rejected([&] { registration_payload(node); }, "public_key");
  }
  NodeRegistration node = test_node();
  node.public_key = good;
  EXPECT_NO_THROW(registration_payload(node));
}

TEST(Ed25519, ParseRejectsBadHex) {
  expect_rejected([] { parse_public_key(std::string(64, 'F')); }, "public_key");
  expect_rejected([] { parse_public_key(std::string(62, 'f')); }, "public_key must be 64");
  expect_rejected([] { parse_signature(std::string(128, 'F')); }, "signature");
  expect_rejected([] { parse_signature(std::string(64, 'f')); }, "signature must be 128");
  expect_rejected([] { parse_public_key("zz", "my_key"); }, "my_key");
}

TEST(Ed25519, SignVerifyRoundTrip) {
  const SecretKey key = test_key(1);
  const Bytes payload = put_payload("s", "k", 1, "c", "{}");
  const Signature signature = key.sign(payload);
  EXPECT_TRUE(verify(signature, payload, key.public_key()));
  // Deterministic (RFC 8032): the same key and payload always give the same signature.
  EXPECT_EQ(test_key(1).sign(payload), signature);
  EXPECT_TRUE(verify(key.sign(Bytes{}), Bytes{}, key.public_key()));
  // Through the text forms used in SQL.
  EXPECT_TRUE(verify(parse_signature(to_hex(signature.data(), signature.size())), payload,
                     parse_public_key(to_hex(key.public_key().data(), kPublicKeySize))));
}

TEST(Ed25519, RfcSeedGivesRfcPublicKey) {
  // RFC 8032, section 7.1, TEST 1: the secret key is the seed.
  const Bytes seed =
      from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 32, "seed");
  std::uint8_t raw[kSeedSize];
  std::copy(seed.begin(), seed.end(), raw);
  const SecretKey key = SecretKey::from_seed(raw);
  EXPECT_EQ(to_hex(key.public_key().data(), kPublicKeySize),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(key.seed_hex(), "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const Signature signature = key.sign(Bytes{});
  EXPECT_EQ(to_hex(signature.data(), signature.size()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

// Every single-bit change of the payload, the signature or the key makes verification fail.
TEST(Ed25519, VerifyRejectsAnyFlippedBit) {
  const SecretKey key = test_key(7);
  const Bytes payload = delete_payload("shard", "key", 3, "validator-1");
  const Signature signature = key.sign(payload);
  ASSERT_TRUE(verify(signature, payload, key.public_key()));
  for (std::size_t bit = 0; bit < payload.size() * 8; ++bit) {
    Bytes p = payload;
    p[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(verify(signature, p, key.public_key())) << "payload bit " << bit;
  }
  for (std::size_t bit = 0; bit < kSignatureSize * 8; ++bit) {
    Signature s = signature;
    s[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(verify(s, payload, key.public_key())) << "signature bit " << bit;
  }
  for (std::size_t bit = 0; bit < kPublicKeySize * 8; ++bit) {
    PublicKey k = key.public_key();
    k[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(verify(signature, payload, k)) << "key bit " << bit;
  }
  // Neither a longer nor a shorter payload.
  Bytes longer = payload;
  longer.push_back(0);
  EXPECT_FALSE(verify(signature, longer, key.public_key()));
  EXPECT_FALSE(verify(signature, Bytes(payload.begin(), payload.end() - 1), key.public_key()));
  // Nor another key's signature.
  EXPECT_FALSE(verify(test_key(8).sign(payload), payload, key.public_key()));
}

TEST(Ed25519, GeneratedKeysDiffer) {
  const SecretKey a = SecretKey::generate();
  const SecretKey b = SecretKey::generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_NE(a.seed_hex(), b.seed_hex());
  const Bytes payload{1, 2, 3};
  EXPECT_TRUE(verify(a.sign(payload), payload, a.public_key()));
  EXPECT_FALSE(verify(a.sign(payload), payload, b.public_key()));
}

// Each input of an audit entry is part of its hash (the exact bytes are in the vectors).
TEST(Audit, EveryFieldChangesTheHash) {
  const Hash zero{};
  Hash other{};
  other[31] = 1;
  const Bytes payload{1, 2, 3};
  Signature signature{};
  Signature other_signature{};
  other_signature[0] = 1;
  const std::set<Hash> hashes{
      audit_entry_hash(zero, 1, payload, signature, "n", 5),
      audit_entry_hash(other, 1, payload, signature, "n", 5),
      audit_entry_hash(zero, 2, payload, signature, "n", 5),
      audit_entry_hash(zero, 1, Bytes{1, 2}, signature, "n", 5),
      audit_entry_hash(zero, 1, payload, other_signature, "n", 5),
      audit_entry_hash(zero, 1, payload, signature, "m", 5),
      audit_entry_hash(zero, 1, payload, signature, "n", 6),
  };
  EXPECT_EQ(hashes.size(), 7u);
  EXPECT_EQ(audit_entry_hash(zero, 1, payload, signature, "n", 5),
            audit_entry_hash(zero, 1, payload, signature, "n", 5));
}

} // namespace
