// Checks the core against schemas/test-vectors/vectors.json, written by an independent Python
// implementation of schemas/SIGNING.md (generate.py). A mismatch means one of the two misreads the
// specification: the vectors are the contract clients rely on, so do not just regenerate them.
#include "mycelium/audit.hpp"
#include "mycelium/replica_signing.hpp"
#include "mycelium/canonical_json.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/signing.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <map>
#include <string>

namespace {

using namespace mycelium;

// The file is JSON; yaml-cpp reads it because YAML 1.2 is a superset of JSON. generate.py
// writes no surrogate-pair escapes, which yaml-cpp would refuse.
const YAML::Node &vectors() {
  static const YAML::Node root = YAML::LoadFile(MYCELIUM_VECTORS);
  return root;
}

std::string str(const YAML::Node &case_, const char *name) {
  const YAML::Node node = case_[name];
  if (!node.IsScalar())
    throw std::runtime_error(std::string("vector field missing: ") + name);
  return node.as<std::string>();
}

Bytes unhex(const std::string &text) {
  return from_hex(text, text.size() / 2, "test vector");
}

std::string hex(const Bytes &bytes) {
  return to_hex(bytes);
}

template <std::size_t N> std::string hex(const std::array<std::uint8_t, N> &bytes) {
  return to_hex(bytes.data(), bytes.size());
}

// The vectors' keys by name, rebuilt from their seeds.
const std::map<std::string, std::string> &seeds() {
  static const std::map<std::string, std::string> by_name = [] {
    std::map<std::string, std::string> m;
    for (const auto &key : vectors()["keys"])
      m[str(key, "name")] = str(key, "seed");
    return m;
  }();
  return by_name;
}

SecretKey key_from_seed_hex(const std::string &seed_hex) {
  const Bytes seed = from_hex(seed_hex, kSeedSize, "seed");
  std::uint8_t raw[kSeedSize];
  std::memcpy(raw, seed.data(), kSeedSize);
  return SecretKey::from_seed(raw);
}

std::string public_key_of(const std::string &name) {
  for (const auto &key : vectors()["keys"])
    if (str(key, "name") == name)
      return str(key, "public_key");
  ADD_FAILURE() << "no key named " << name;
  return {};
}

// The checks every signed case shares: the signature verifies, and signing the same payload
// with the same seed gives the same bytes (Ed25519 is deterministic, RFC 8032).
void check_signature(const Bytes &payload, const std::string &public_hex,
                     const std::string &signature_hex, const std::string &signer) {
  const PublicKey public_key = parse_public_key(public_hex);
  const Signature signature = parse_signature(signature_hex);
  EXPECT_TRUE(verify(signature, payload, public_key));
  ASSERT_EQ(seeds().count(signer), 1u) << "unknown signer " << signer;
  const SecretKey key = key_from_seed_hex(seeds().at(signer));
  EXPECT_EQ(hex(key.public_key()), public_hex);
  EXPECT_EQ(hex(key.sign(payload)), signature_hex);
}

TEST(Vectors, HaveEverySection) {
  for (const char *section : {"keys", "put", "delete", "register_node", "audit", "audit_v2",
                              "replica_control", "canonical_reject"}) {
    ASSERT_TRUE(vectors()[section].IsSequence()) << section;
    EXPECT_GT(vectors()[section].size(), 0u) << section;
  }
}

TEST(Vectors, KeysFromSeeds) {
  for (const auto &key : vectors()["keys"]) {
    SCOPED_TRACE(str(key, "name"));
    EXPECT_EQ(hex(key_from_seed_hex(str(key, "seed")).public_key()), str(key, "public_key"));
  }
}

TEST(Vectors, Put) {
  for (const auto &c : vectors()["put"]) {
    SCOPED_TRACE(str(c, "shard_id") + "/" + str(c, "key") + " v" + str(c, "version"));
    const std::string canonical = canonical_json(str(c, "value"));
    EXPECT_EQ(canonical, str(c, "canonical_value"));
    // Canonical text is a fixed point: the database recanonicalises what it stored.
    EXPECT_EQ(canonical_json(canonical), canonical);
    const Bytes payload =
        put_payload(str(c, "shard_id"), str(c, "key"), c["version"].as<std::int64_t>(),
                    str(c, "created_by"), canonical);
    EXPECT_EQ(hex(payload), str(c, "payload_hex"));
    check_signature(payload, str(c, "public_key"), str(c, "signature"), str(c, "signer"));
  }
}

TEST(Vectors, Delete) {
  for (const auto &c : vectors()["delete"]) {
    SCOPED_TRACE(str(c, "shard_id") + "/" + str(c, "key") + " v" + str(c, "version"));
    const Bytes payload = delete_payload(str(c, "shard_id"), str(c, "key"),
                                         c["version"].as<std::int64_t>(), str(c, "created_by"));
    EXPECT_EQ(hex(payload), str(c, "payload_hex"));
    check_signature(payload, str(c, "public_key"), str(c, "signature"), str(c, "signer"));
  }
}

TEST(Vectors, RegisterNode) {
  for (const auto &c : vectors()["register_node"]) {
    SCOPED_TRACE(str(c, "node_id"));
    NodeRegistration node;
    node.node_id = str(c, "node_id");
    node.node_type = str(c, "node_type");
    node.public_key = str(c, "public_key");
    node.ip = str(c, "ip");
    node.port = c["port"].as<std::int64_t>();
    node.version = str(c, "version");
    node.canonical_capabilities = canonical_json(str(c, "capabilities"), "capabilities");
    EXPECT_EQ(node.canonical_capabilities, str(c, "canonical_capabilities"));
    const Bytes payload = registration_payload(node);
    EXPECT_EQ(hex(payload), str(c, "payload_hex"));
    // Proof of possession: the node signs with the key it registers.
    check_signature(payload, node.public_key, str(c, "signature"), node.node_id);
  }
}

TEST(Vectors, AuditChain) {
  Hash prev{}; // the first entry links to 32 zero bytes
  std::uint64_t expected_seq = 1;
  for (const auto &c : vectors()["audit"]) {
    SCOPED_TRACE("seq " + str(c, "seq"));
    EXPECT_EQ(c["seq"].as<std::uint64_t>(), expected_seq++);
    EXPECT_EQ(str(c, "prev_hash"), hex(prev));
    const Hash hash =
        audit_entry_hash(prev, c["seq"].as<std::uint64_t>(), unhex(str(c, "payload_hex")),
                         parse_signature(str(c, "signature")), str(c, "origin_node"),
                         c["created_at_us"].as<std::uint64_t>());
    EXPECT_EQ(hex(hash), str(c, "entry_hash"));
    // The primary's signature of the link (SIGNING.md, "Chain links").
    // A fixed primary's entries are term 0: the v1 link.
    const Bytes link = link_payload(str(c, "shard_id"), c["seq"].as<std::uint64_t>(), hash,
                                    str(c, "origin_node"), 0);
    EXPECT_EQ(hex(link), str(c, "link_payload_hex"));
    check_signature(link, public_key_of(str(c, "origin_node")), str(c, "link_signature"),
                    str(c, "origin_node"));
    prev = hash;
  }
}

// An elected shard's chain: every link a v2 link, carrying the entry's term, signed by that
// term's primary.
TEST(Vectors, AuditChainV2) {
  Hash prev{};
  std::uint64_t expected_seq = 1;
  for (const auto &c : vectors()["audit_v2"]) {
    SCOPED_TRACE("seq " + str(c, "seq"));
    EXPECT_EQ(c["seq"].as<std::uint64_t>(), expected_seq++);
    EXPECT_EQ(str(c, "prev_hash"), hex(prev));
    const std::uint64_t term = c["term"].as<std::uint64_t>();
    ASSERT_GE(term, 1u);
    const Hash hash =
        audit_entry_hash(prev, c["seq"].as<std::uint64_t>(), unhex(str(c, "payload_hex")),
                         parse_signature(str(c, "signature")), str(c, "origin_node"),
                         c["created_at_us"].as<std::uint64_t>());
    EXPECT_EQ(hex(hash), str(c, "entry_hash"));
    const Bytes link = link_payload(str(c, "shard_id"), c["seq"].as<std::uint64_t>(), hash,
                                    str(c, "origin_node"), term);
    EXPECT_EQ(hex(link), str(c, "link_payload_hex"));
    check_signature(link, public_key_of(str(c, "origin_node")), str(c, "link_signature"),
                    str(c, "origin_node"));
    // The same link under another term, or as a v1 link, is other bytes: the signature does not
    // carry over.
    const PublicKey key = parse_public_key(public_key_of(str(c, "origin_node")));
    const Signature signature = parse_signature(str(c, "link_signature"));
    EXPECT_FALSE(verify(signature,
                        link_payload(str(c, "shard_id"), c["seq"].as<std::uint64_t>(), hash,
                                     str(c, "origin_node"), term + 1),
                        key));
    EXPECT_FALSE(verify(signature,
                        link_payload(str(c, "shard_id"), c["seq"].as<std::uint64_t>(), hash,
                                     str(c, "origin_node"), 0),
                        key));
    prev = hash;
  }
}

TEST(Vectors, ReplicaControl) {
  for (const auto &c : vectors()["replica_control"]) {
    SCOPED_TRACE(str(c, "op") + " " + str(c, "validators"));
    const Bytes payload = replica_control_payload(
        str(c, "op"), str(c, "shard_id"), str(c, "primary_node"), str(c, "target_node"),
        c["issued_at_us"].as<std::int64_t>(), canonical_json(str(c, "validators")));
    EXPECT_EQ(hex(payload), str(c, "payload_hex"));
    check_signature(payload, public_key_of(str(c, "primary_node")), str(c, "signature"),
                    str(c, "primary_node"));
  }
}

TEST(Vectors, CanonicalRejects) {
  for (const auto &c : vectors()["canonical_reject"]) {
    const std::string value = str(c, "value");
    SCOPED_TRACE(str(c, "reason") + ": " + value.substr(0, 60));
    try {
      const std::string accepted = canonical_json(value);
      ADD_FAILURE() << "accepted, canonical form " << accepted.substr(0, 60);
    } catch (const Error &e) {
      EXPECT_STREQ(e.sqlstate(), "22023");
      EXPECT_EQ(std::string(e.what()).rfind("value: ", 0), 0u) << e.what();
    }
  }
}

} // namespace
