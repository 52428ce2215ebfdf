// The JSON form (schemas/PROTOCOL.md, "JSON form"): flatbuffers' parser and printer, then the
// same checks as the binary form.
#include "samples.hpp"

#include "mycelium/error.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;
using namespace mycelium::protocol::testing;

// Parameter: a type name from sample_names().
class ProtocolJson : public ::testing::TestWithParam<std::string> {};

TEST_P(ProtocolJson, RoundTrip) {
  const Envelope env = envelope_with(sample(GetParam()));
  const std::string json = to_json(encode(env));
  const DecodeResult r = decode_json(json);
  ASSERT_TRUE(r.ok()) << to_string(r.reason()) << ": " << r.detail() << "\n" << json;
  EXPECT_TRUE(same(r.envelope(), env)) << json;
  EXPECT_NE(json.find("\"payload_type\": \"" + GetParam() + "\""), std::string::npos) << json;
  // Printing the parsed buffer again gives the same text.
  EXPECT_EQ(to_json(from_json(json)), json);
}

INSTANTIATE_TEST_SUITE_P(EveryType, ProtocolJson, ::testing::ValuesIn(sample_names()),
                         [](const auto &info) { return info.param; });

// What a client in another language writes by hand (PROTOCOL.md's example).
constexpr const char *kHandWritten = R"({
  "version_major": 1, "version_minor": 0,
  "sender_id": "node-1",
  "timestamp_ms": 1700000000000,
  "nonce": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  "payload_type": "Ping",
  "payload": { "seq": 7, "sent_ms": 1700000000000 },
  "signature": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
})";

TEST(ProtocolJsonForm, HandWrittenMessageDecodes) {
  const DecodeResult r = decode_json(kHandWritten);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r.envelope().sender_id, "node-1");
  EXPECT_EQ(r.envelope().nonce, filled<16>(0));
  EXPECT_EQ(std::get<Ping>(r.envelope().payload), (Ping{7, 1700000000000}));
}

TEST(ProtocolJsonForm, OutputIsOneLineOfStrictJsonWithEveryScalar) {
  const std::string json = to_json(encode(envelope_with(Ping{})));
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(json.front(), '{');
  EXPECT_NE(json.find("\"seq\": 0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"version_minor\": " + std::to_string(kProtocolMinor)), std::string::npos)
      << json;
}

// Every ASCII character but NUL, and the edges of each UTF-8 sequence length.
TEST(ProtocolJsonForm, EveryCharacterSurvives) {
  std::string text;
  for (int c = 1; c < 128; ++c)
    text += static_cast<char>(c);
  text += "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf";
  text += "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
  Gossip g;
  g.origin = text;
  g.topic = text;
  const Envelope env = envelope_with(g, text);
  ASSERT_TRUE(decode(encode(env)).ok());
  const std::string json = to_json(encode(env));
  const DecodeResult r = decode_json(json);
  ASSERT_TRUE(r.ok()) << r.detail() << "\n" << json;
  EXPECT_TRUE(same(r.envelope(), env)) << json;
}

void expect_rejected(std::string_view json, RejectReason reason, const std::string &fragment,
                     const DecodeLimits &limits = {}) {
  const DecodeResult r = decode_json(json, limits);
  ASSERT_FALSE(r.ok()) << "accepted: " << json;
  EXPECT_EQ(r.reason(), reason) << to_string(r.reason()) << ": " << r.detail();
  EXPECT_NE(r.detail().find(fragment), std::string::npos) << r.detail();
}

std::string replaced(std::string text, const std::string &from, const std::string &to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(ProtocolJsonForm, SameChecksAsBinary) {
  const std::string good = kHandWritten;
  expect_rejected("{", RejectReason::Malformed, "JSON message");
  expect_rejected("[1, 2]", RejectReason::Malformed, "JSON message");
  expect_rejected(replaced(good, "\"seq\"", "\"sequence\""), RejectReason::Malformed,
                  "unknown field");
  expect_rejected(replaced(good, "\"version_major\": 1", "\"version_major\": 2"),
                  RejectReason::WrongVersion, "version 2.0");
  expect_rejected(replaced(good, "\"sender_id\": \"node-1\",", ""), RejectReason::MissingField,
                  "sender_id");
  expect_rejected(replaced(good, "13, 14, 15]", "13, 14]"), RejectReason::Malformed, "nonce");
  expect_rejected(replaced(good, "\"Ping\"", "\"Pingg\""), RejectReason::Malformed, "JSON message");
  expect_rejected(replaced(good, "\"seq\": 7", "\"seq\": -7"), RejectReason::Malformed,
                  "JSON message");
  expect_rejected(std::string("{\"sender_id\": \"a\0b\"}", 20), RejectReason::Malformed, "NUL");
}

TEST(ProtocolJsonForm, Oversized) {
  DecodeLimits limits;
  limits.max_json_bytes = std::string(kHandWritten).size() - 1;
  expect_rejected(kHandWritten, RejectReason::Oversized, "bytes of JSON", limits);
  limits = DecodeLimits{};
  limits.max_bytes = 64; // the JSON is small enough, the flatbuffer it makes is not
  expect_rejected(kHandWritten, RejectReason::Oversized, "limit", limits);
}

TEST(ProtocolJsonForm, ToJsonRefusesInvalidBuffers) {
  EXPECT_THROW(to_json(Bytes{1, 2, 3}), Error);
  Bytes wire = encode(envelope_with(Ping{}));
  wire[0] ^= 0x80;
  EXPECT_THROW(to_json(wire), Error);
  EXPECT_THROW(from_json("{\"nope\": 1}"), Error);
}

} // namespace
