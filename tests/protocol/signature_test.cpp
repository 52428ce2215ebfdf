// Envelope, gossip and blacklist signatures (schemas/PROTOCOL.md, "Signing bytes", "Gossip
// signatures").
#include "samples.hpp"

#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;
using namespace mycelium::protocol::testing;

void append(Bytes &out, std::initializer_list<int> bytes) {
  for (const int b : bytes)
    out.push_back(static_cast<std::uint8_t>(b));
}

void append(Bytes &out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

TEST(EnvelopeSignature, PingSigningBytesByteByByte) {
  Envelope env;
  env.version_minor = 0; // the worked example is version 1.0
  env.sender_id = "n1";
  env.timestamp_ms = 1700000000000; // 0x18BCFE56800
  env.nonce = filled<16>(0);
  env.payload = Ping{7, -1};
  Bytes expected;
  append(expected, {0, 0, 0, 20});
  append(expected, "mycelium/v1/envelope");
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1});                // version_major
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0});                // version_minor
  append(expected, {0, 0, 0, 4, 'P', 'i', 'n', 'g'});                    // type name
  append(expected, {0, 0, 0, 2, 'n', '1'});                              // sender_id
  append(expected, {0, 0, 0, 8, 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0}); // timestamp_ms
  append(expected, {0, 0, 0, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}); // nonce
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7});                                // seq
  append(expected, {0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); // sent_ms = -1
  EXPECT_EQ(signing_bytes(env), expected);
  // The worked example in PROTOCOL.md.
  EXPECT_EQ(to_hex(signing_bytes(env)),
            "000000146d7963656c69756d2f76312f656e76656c6f70650000000800000000000000010000000800"
            "000000000000000000000450696e67000000026e31000000080000018bcfe56800000000100001020304"
            "05060708090a0b0c0d0e0f00000008000000000000000700000008ffffffffffffffff");
}

TEST(EnvelopeSignature, DBSyncReqSigningBytesByteByByte) {
  Envelope env;
  env.sender_id = "n";
  env.timestamp_ms = 1;
  env.nonce = filled<16>(0);
  env.payload = DBSyncReq{9, {{"s", "o", 3}}, 500};
  Bytes expected;
  append(expected, {0, 0, 0, 20});
  append(expected, "mycelium/v1/envelope");
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1});              // version_major
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, kProtocolMinor}); // version_minor
  append(expected, {0, 0, 0, 9});
  append(expected, "DBSyncReq");
  append(expected, {0, 0, 0, 1, 'n'});
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1});
  append(expected, {0, 0, 0, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9});       // request_id
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1});       // number of cursors
  append(expected, {0, 0, 0, 1, 's', 0, 0, 0, 1, 'o'});         // shard_id, origin
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 3});       // last_seq
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x01, 0xf4}); // page_size
  EXPECT_EQ(signing_bytes(env), expected);
}

// Parameter: a type name from sample_names().
class EnvelopeSignatureEveryType : public ::testing::TestWithParam<std::string> {};

TEST_P(EnvelopeSignatureEveryType, VerifiesAfterBinaryAndJsonRoundTrips) {
  const SecretKey key = key_from(1);
  Envelope env = envelope_with(sample(GetParam()));
  sign(env, key);
  EXPECT_TRUE(verify_signature(env, key.public_key()));
  const DecodeResult binary = decode(encode(env));
  ASSERT_TRUE(binary.ok());
  EXPECT_TRUE(verify_signature(binary.envelope(), key.public_key()));
  const DecodeResult json = decode_json(to_json(encode(env)));
  ASSERT_TRUE(json.ok()) << json.detail();
  EXPECT_TRUE(verify_signature(json.envelope(), key.public_key()));
  EXPECT_FALSE(verify_signature(env, key_from(2).public_key())) << "another node's key";
}

INSTANTIATE_TEST_SUITE_P(EveryType, EnvelopeSignatureEveryType, ::testing::ValuesIn(sample_names()),
                         [](const auto &info) { return info.param; });

// Every field is covered: changing any one of them after signing breaks the signature.
TEST(EnvelopeSignature, TamperedFieldIsBadSignature) {
  const SecretKey key = key_from(1);
  using Tamper = std::function<void(Envelope &)>;
  const std::vector<std::pair<std::string, Tamper>> tampers = {
      {"version_minor", [](Envelope &e) { e.version_minor += 1; }},
      {"sender_id", [](Envelope &e) { e.sender_id += "x"; }},
      {"timestamp_ms", [](Envelope &e) { e.timestamp_ms += 1; }},
      {"nonce", [](Envelope &e) { e.nonce[15] ^= 1; }},
      {"signature", [](Envelope &e) { e.signature[0] ^= 1; }},
      {"Ping->Pong",
       [](Envelope &e) {
         const Ping p = std::get<Ping>(e.payload);
         e.payload = Pong{p.seq, p.sent_ms};
       }},
  };
  for (const auto &[what, tamper] : tampers) {
    Envelope env = envelope_with(Ping{1, 2});
    sign(env, key);
    tamper(env);
    EXPECT_FALSE(verify_signature(env, key.public_key())) << what;
  }

  const std::vector<std::pair<std::string, Tamper>> payload_tampers = {
      {"Handshake.data", [](Envelope &e) { std::get<HandshakeMsg>(e.payload).data.push_back(0); }},
      {"Gossip.ttl", [](Envelope &e) { std::get<Gossip>(e.payload).ttl -= 1; }},
      {"Gossip.body", [](Envelope &e) { std::get<Gossip>(e.payload).body[0] ^= 1; }},
      {"Sync.active", [](Envelope &e) { std::get<Status>(e.payload).active = false; }},
      {"Sync.cpu", [](Envelope &e) { std::get<Status>(e.payload).cpu_percent_milli += 1; }},
      {"DBSyncReq.page_size", [](Envelope &e) { std::get<DBSyncReq>(e.payload).page_size += 1; }},
      {"DBSyncReq.cursor", [](Envelope &e) { std::get<DBSyncReq>(e.payload).cursors.pop_back(); }},
      {"DBSyncResp.value",
       [](Envelope &e) { std::get<DBSyncResp>(e.payload).entries[0].value_json += " "; }},
      {"DBSyncResp.more", [](Envelope &e) { std::get<DBSyncResp>(e.payload).more = false; }},
      {"DBSyncResp.hash",
       [](Envelope &e) { std::get<DBSyncResp>(e.payload).entries[2].entry_hash[31] ^= 1; }},
      {"DBSyncResp.link_signature",
       [](Envelope &e) { std::get<DBSyncResp>(e.payload).entries[2].link_signature[0] ^= 1; }},
      {"DBSyncResp.term",
       [](Envelope &e) { std::get<DBSyncResp>(e.payload).entries[2].term += 1; }},
      {"BlacklistSync.expires",
       [](Envelope &e) { std::get<BlacklistSync>(e.payload).entries[1].expires_at_ms = 3; }},
  };
  for (const auto &[what, tamper] : payload_tampers) {
    Envelope env = envelope_with(sample(what.substr(0, what.find('.'))));
    sign(env, key);
    tamper(env);
    EXPECT_FALSE(verify_signature(env, key.public_key())) << what;
  }
}

// Moving bytes between adjacent fields keeps their concatenation but not their frames.
TEST(EnvelopeSignature, FieldBoundariesAreFramed) {
  Envelope a = envelope_with(DBSyncReq{1, {{"ab", "c", 0}}, 0});
  Envelope b = envelope_with(DBSyncReq{1, {{"a", "bc", 0}}, 0});
  EXPECT_NE(signing_bytes(a), signing_bytes(b));
}

TEST(EnvelopeSignature, GossipOriginSignature) {
  const SecretKey origin = key_from(5);
  Gossip g = std::get<Gossip>(sample("Gossip"));
  sign_gossip(g, origin);
  EXPECT_EQ(g.message_id, gossip_message_id(g));
  EXPECT_TRUE(verify_gossip(g, origin.public_key()));

  Gossip relayed = g;
  relayed.ttl -= 1; // relays change the ttl only: the origin's signature still holds
  EXPECT_TRUE(verify_gossip(relayed, origin.public_key()));

  EXPECT_FALSE(verify_gossip(g, key_from(6).public_key()));
  using Tamper = std::function<void(Gossip &)>;
  for (const Tamper &tamper : std::vector<Tamper>{
           [](Gossip &x) { x.origin += "x"; }, [](Gossip &x) { x.topic += "x"; },
           [](Gossip &x) { x.body.push_back(1); }, [](Gossip &x) { x.origin_timestamp_ms++; },
           [](Gossip &x) { x.message_id[0] ^= 1; },
           [](Gossip &x) { x.origin_signature[0] ^= 1; }}) {
    Gossip bad = g;
    tamper(bad);
    EXPECT_FALSE(verify_gossip(bad, origin.public_key()));
  }
}

TEST(EnvelopeSignature, GossipSigningBytesByteByByte) {
  Gossip g;
  g.origin = "o";
  g.topic = "t";
  g.body = {0xab};
  g.origin_timestamp_ms = 2;
  Bytes expected;
  append(expected, {0, 0, 0, 18});
  append(expected, "mycelium/v1/gossip");
  append(expected, {0, 0, 0, 1, 'o', 0, 0, 0, 1, 't', 0, 0, 0, 1, 0xab});
  append(expected, {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2});
  EXPECT_EQ(gossip_signing_bytes(g), expected);
}

TEST(EnvelopeSignature, BlacklistEntrySignature) {
  const SecretKey creator = key_from(8);
  BlacklistEntry e{"bad", "spam", "validator-1", 10, 20, {}};
  sign_blacklist_entry(e, creator);
  EXPECT_TRUE(verify_blacklist_entry(e, creator.public_key()));
  BlacklistEntry longer = e;
  longer.expires_at_ms = 0;
  EXPECT_FALSE(verify_blacklist_entry(longer, creator.public_key()));
  EXPECT_FALSE(verify_blacklist_entry(e, key_from(9).public_key()));
}

} // namespace
