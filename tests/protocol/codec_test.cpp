// Binary round trips of every message type (schemas/PROTOCOL.md, "Envelope", "Messages").
#include "samples.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;
using namespace mycelium::protocol::testing;

// Parameter: a type name from sample_names().
class EnvelopeCodec : public ::testing::TestWithParam<std::string> {};

TEST_P(EnvelopeCodec, BinaryRoundTrip) {
  const Envelope env = envelope_with(sample(GetParam()));
  const Bytes wire = encode(env);
  const DecodeResult r = decode(wire);
  ASSERT_TRUE(r.ok()) << to_string(r.reason()) << ": " << r.detail();
  EXPECT_TRUE(same(r.envelope(), env));
  EXPECT_EQ(type_name(r.envelope().payload), GetParam());
}

TEST_P(EnvelopeCodec, EncodingIsDeterministic) {
  const Bytes wire = encode(envelope_with(sample(GetParam())));
  const DecodeResult r = decode(wire);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(encode(r.envelope()), wire);
}

TEST_P(EnvelopeCodec, CarriesTheFileIdentifier) {
  const Bytes wire = encode(envelope_with(sample(GetParam())));
  ASSERT_GE(wire.size(), 8u);
  EXPECT_EQ(std::memcmp(wire.data() + 4, "MYC1", 4), 0);
}

INSTANTIATE_TEST_SUITE_P(EveryType, EnvelopeCodec, ::testing::ValuesIn(sample_names()),
                         [](const auto &info) { return info.param; });

TEST(EnvelopeCodecEdges, EmptyOptionalFieldsAndZeroScalars) {
  Gossip g;
  g.origin = "o";
  g.topic = "t"; // body empty, ttl 0, timestamp 0
  for (const Payload &p : {Payload(Ping{}), Payload(Pong{}), Payload(g), Payload(DBSyncReq{}),
                           Payload(DBSyncResp{}), Payload(BlacklistSync{}),
                           Payload(AddressRequest{}), Payload(AddressReply{})}) {
    const Envelope env = envelope_with(p);
    const DecodeResult r = decode(encode(env));
    ASSERT_TRUE(r.ok()) << type_name(p) << ": " << r.detail();
    EXPECT_TRUE(same(r.envelope(), env)) << type_name(p);
  }
}

TEST(EnvelopeCodecEdges, NewerMinorVersionIsAccepted) {
  Envelope env = envelope_with(Ping{1, 2});
  env.version_minor = 65535;
  const DecodeResult r = decode(encode(env));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.envelope().version_minor, 65535);
}

TEST(EnvelopeCodecEdges, UnalignedInputDecodes) {
  const Bytes wire = encode(envelope_with(sample("DBSyncResp"))); // DBSyncResp
  Bytes shifted(wire.size() + 1);
  std::memcpy(shifted.data() + 1, wire.data(), wire.size());
  const DecodeResult r = decode(shifted.data() + 1, wire.size());
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_TRUE(same(r.envelope(), envelope_with(sample("DBSyncResp"))));
}

TEST(EnvelopeCodecEdges, TypeNamesAreTheSchemaNames) {
  for (const auto &[name, payload] : sample_payloads())
    EXPECT_EQ(type_name(payload), name);
}

// The status message's table is Status; its member of the union, and so its name on the wire
// (the JSON form's payload_type, the signing bytes' type frame), is Sync, type number 6.
TEST(EnvelopeCodecEdges, StatusTravelsAsSync) {
  const Payload status = Status{};
  EXPECT_EQ(type_name(status), "Sync");
  EXPECT_EQ(status.index() + 1, 6u);
}

TEST(EnvelopeCodecEdges, RandomNoncesDiffer) {
  EXPECT_NE(random_nonce(), random_nonce());
}

TEST(EnvelopeCodecEdges, RejectReasonNames) {
  EXPECT_STREQ(to_string(RejectReason::Oversized), "oversized");
  EXPECT_STREQ(to_string(RejectReason::Malformed), "malformed");
  EXPECT_STREQ(to_string(RejectReason::WrongVersion), "wrong-version");
  EXPECT_STREQ(to_string(RejectReason::MissingField), "missing-field");
  EXPECT_STREQ(to_string(RejectReason::UnknownMessage), "unknown-message");
  EXPECT_STREQ(to_string(RejectReason::Stale), "stale");
  EXPECT_STREQ(to_string(RejectReason::Replayed), "replayed");
  EXPECT_STREQ(to_string(RejectReason::Overloaded), "overloaded");
  EXPECT_STREQ(to_string(RejectReason::BadSignature), "bad-signature");
}

} // namespace
