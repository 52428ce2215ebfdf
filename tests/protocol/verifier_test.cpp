// What decode() refuses, and why (schemas/PROTOCOL.md, "Checks on receipt").
#include "samples.hpp"

#include "mycelium/error.hpp"
#include "mycelium/wire/mycelium_generated.h"

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;
using namespace mycelium::protocol::testing;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// An envelope built field by field with the generated builder, so a test can leave out or
// distort what encode() always writes correctly.
struct Raw {
  std::uint16_t major = kProtocolMajor;
  const char *sender_id = "node-1"; // nullptr: absent
  std::size_t nonce_size = kNonceSize;
  bool with_nonce = true;
  wire::Message type = wire::Message::Ping;
  bool with_table = true;
  std::size_t signature_size = kSignatureSize;
  bool with_signature = true;
  const char *file_identifier = "MYC1";
};

Bytes build(const Raw &raw) {
  FlatBufferBuilder fbb;
  const auto sender =
      raw.sender_id ? fbb.CreateString(raw.sender_id) : Offset<flatbuffers::String>();
  const auto nonce = raw.with_nonce ? fbb.CreateVector(Bytes(raw.nonce_size, 1))
                                    : Offset<flatbuffers::Vector<std::uint8_t>>();
  const auto table = raw.with_table ? wire::CreatePing(fbb, 1, 2).Union() : Offset<void>();
  const auto sig = raw.with_signature ? fbb.CreateVector(Bytes(raw.signature_size, 2))
                                      : Offset<flatbuffers::Vector<std::uint8_t>>();
  fbb.Finish(
      wire::CreateEnvelope(fbb, raw.major, 0, sender, 1700000000000, nonce, raw.type, table, sig),
      raw.file_identifier);
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

void expect_rejected(const Bytes &wire, RejectReason reason, const std::string &fragment = {},
                     const DecodeLimits &limits = {}) {
  const DecodeResult r = decode(wire, limits);
  ASSERT_FALSE(r.ok()) << "accepted; expected " << to_string(reason);
  EXPECT_EQ(r.reason(), reason) << to_string(r.reason()) << ": " << r.detail();
  EXPECT_NE(r.detail().find(fragment), std::string::npos) << r.detail();
}

TEST(EnvelopeVerifier, RawBuilderBaselineIsAccepted) {
  const DecodeResult r = decode(build(Raw{}));
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(std::get<Ping>(r.envelope().payload), (Ping{1, 2}));
}

TEST(EnvelopeVerifier, EmptyAndTinyBuffers) {
  EXPECT_EQ(decode(nullptr, 0).reason(), RejectReason::Malformed);
  expect_rejected(Bytes{}, RejectReason::Malformed, "shorter");
  expect_rejected(Bytes(7, 0), RejectReason::Malformed, "shorter");
}

TEST(EnvelopeVerifier, RandomBytesAreRejected) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 5000; ++i) {
    Bytes junk(rng() % 600);
    for (auto &b : junk)
      b = static_cast<std::uint8_t>(rng());
    // Half of them with our header, so the Verifier itself has to refuse them.
    if (i % 2 == 0 && junk.size() >= 8)
      std::memcpy(junk.data() + 4, "MYC1", 4);
    const DecodeResult r = decode(junk);
    ASSERT_FALSE(r.ok()) << "random buffer " << i << " accepted";
    EXPECT_NE(r.reason(), RejectReason::Oversized);
  }
}

// The end of a flatbuffer may be alignment padding: cutting only padding changes nothing.
// Cutting anything else must be refused.
TEST(EnvelopeVerifier, EveryTruncationIsRefusedOrCutsOnlyPadding) {
  for (const std::string &name : sample_names()) {
    const Envelope env = envelope_with(sample(name));
    const Bytes wire = encode(env);
    int refused = 0;
    for (std::size_t n = 0; n < wire.size(); ++n) {
      const Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      const DecodeResult r = decode(cut);
      if (!r.ok()) {
        ++refused;
        continue;
      }
      EXPECT_TRUE(same(r.envelope(), env)) << name << " truncated to " << n << " bytes";
      EXPECT_GE(n + 8, wire.size()) << name << ": more than padding cut off";
    }
    EXPECT_GE(refused + 8, static_cast<int>(wire.size())) << name;
  }
}

TEST(EnvelopeVerifier, FlippedRootAndVtableOffsetsAreMalformed) {
  const Bytes wire = encode(envelope_with(sample("Gossip")));
  Bytes root = wire;
  root[3] ^= 0x80; // high byte of the root table's offset: far outside the buffer
  expect_rejected(root, RejectReason::Malformed, "Verifier");
  Bytes vtable = wire;
  const std::uint32_t table = flatbuffers::ReadScalar<std::uint32_t>(wire.data());
  vtable[table + 3] ^= 0x40; // high byte of the table's offset to its vtable
  expect_rejected(vtable, RejectReason::Malformed, "Verifier");
}

// Any single corrupted byte is refused by decode(), changes nothing, or is caught by the
// signature: a decoded envelope that differs from what was signed never verifies.
TEST(EnvelopeVerifier, EverySingleByteFlipIsRefusedOrCaughtBySignature) {
  const SecretKey key = key_from(3);
  for (const std::string &name : sample_names()) {
    Envelope env = envelope_with(sample(name));
    sign(env, key);
    const Bytes wire = encode(env);
    int refused = 0;
    for (std::size_t i = 0; i < wire.size(); ++i) {
      for (const std::uint8_t mask : {0x01, 0x80, 0xff}) {
        Bytes bad = wire;
        bad[i] ^= mask;
        const DecodeResult r = decode(bad);
        if (!r.ok()) {
          ++refused;
          continue;
        }
        if (!same(r.envelope(), env)) {
          EXPECT_FALSE(verify_signature(r.envelope(), key.public_key()))
              << name << ": byte " << i << " ^ " << int(mask) << " went unnoticed";
        }
      }
    }
    EXPECT_GT(refused, 0) << name;
  }
}

TEST(EnvelopeVerifier, WrongFileIdentifier) {
  Raw raw;
  raw.file_identifier = "ABCD";
  expect_rejected(build(raw), RejectReason::Malformed, "file identifier");
  raw.file_identifier = "MYC2"; // another major version's identifier
  expect_rejected(build(raw), RejectReason::WrongVersion, "MYC2");
}

TEST(EnvelopeVerifier, Oversized) {
  const Bytes wire = encode(envelope_with(Ping{}));
  DecodeLimits limits;
  limits.max_bytes = wire.size() - 1;
  expect_rejected(wire, RejectReason::Oversized, "limit", limits);
  limits.max_bytes = wire.size();
  EXPECT_TRUE(decode(wire, limits).ok());

  Gossip big;
  big.origin = "o";
  big.topic = "t";
  big.body.assign((1 << 20) + 1, 0x55); // the default limit is 1 MiB
  expect_rejected(encode(envelope_with(big)), RejectReason::Oversized);
}

TEST(EnvelopeVerifier, TableLimit) {
  DBSyncResp resp;
  for (int i = 0; i < 60; ++i)
    resp.entries.push_back(sample_entry(i + 1));
  const Bytes wire = encode(envelope_with(resp));
  DecodeLimits limits;
  limits.max_tables = 50;
  expect_rejected(wire, RejectReason::Malformed, "Verifier", limits);
  EXPECT_TRUE(decode(wire).ok());
}

TEST(EnvelopeVerifier, WrongMajorVersion) {
  Raw raw;
  raw.major = 2;
  expect_rejected(build(raw), RejectReason::WrongVersion, "version 2.0");
  raw.major = 0; // also what an envelope without the field reads
  expect_rejected(build(raw), RejectReason::WrongVersion, "version 0.0");
}

TEST(EnvelopeVerifier, MissingEnvelopeFields) {
  Raw raw;
  raw.sender_id = nullptr;
  expect_rejected(build(raw), RejectReason::MissingField, "sender_id");
  raw = Raw{};
  raw.sender_id = "";
  expect_rejected(build(raw), RejectReason::MissingField, "sender_id");
  raw = Raw{};
  raw.with_nonce = false;
  expect_rejected(build(raw), RejectReason::MissingField, "nonce");
  raw = Raw{};
  raw.with_signature = false;
  expect_rejected(build(raw), RejectReason::MissingField, "signature");
  raw = Raw{};
  raw.type = wire::Message::NONE;
  raw.with_table = false;
  expect_rejected(build(raw), RejectReason::MissingField, "payload");
  raw.with_table = true; // a table without its type: passes the flatbuffers Verifier
  expect_rejected(build(raw), RejectReason::MissingField, "payload");
  EXPECT_THROW(to_json(build(raw)), Error) << "must not reach flatbuffers' printer";
  raw = Raw{};
  raw.with_table = false; // a type without its table
  expect_rejected(build(raw), RejectReason::MissingField, "payload");
}

TEST(EnvelopeVerifier, WrongFieldLengths) {
  Raw raw;
  raw.nonce_size = 15;
  expect_rejected(build(raw), RejectReason::Malformed, "nonce must be 16 bytes, got 15");
  raw = Raw{};
  raw.signature_size = 65;
  expect_rejected(build(raw), RejectReason::Malformed, "signature must be 64 bytes, got 65");
}

// Minor version 3's RaftMessage: its data is required (the consensus library decodes it later,
// strictly); an absent or empty vector is a missing field, not an empty Raft message.
TEST(EnvelopeVerifier, RaftMessageNeedsData) {
  for (const bool absent : {true, false}) {
    FlatBufferBuilder fbb;
    const auto sender = fbb.CreateString("node-1");
    const auto nonce = fbb.CreateVector(Bytes(kNonceSize, 1));
    const auto data =
        absent ? Offset<flatbuffers::Vector<std::uint8_t>>() : fbb.CreateVector(Bytes{});
    const auto table = wire::CreateRaftMessage(fbb, data).Union();
    const auto sig = fbb.CreateVector(Bytes(kSignatureSize, 2));
    fbb.Finish(wire::CreateEnvelope(fbb, kProtocolMajor, 3, sender, 1700000000000, nonce,
                                    wire::Message::RaftMessage, table, sig),
               "MYC1");
    expect_rejected(Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()),
                    RejectReason::MissingField, "data is missing or empty");
  }
}

TEST(EnvelopeVerifier, UnknownPayloadTypeIsNotHeldAgainstTheSender) {
  Raw raw;
  raw.type = static_cast<wire::Message>(42);
  expect_rejected(build(raw), RejectReason::UnknownMessage, "payload type 42");
}

TEST(EnvelopeVerifier, TextMustBeUtf8WithoutNul) {
  for (const std::string &bad : {std::string("a\xff"), std::string("\xc0\x80"), // overlong NUL
                                 std::string("\xed\xa0\x80"),                   // a surrogate
                                 std::string("\xf4\x90\x80\x80"),               // above U+10FFFF
                                 std::string("a\0b", 3), std::string("\xe2\x82")}) {
    expect_rejected(encode(envelope_with(Ping{}, bad)), RejectReason::Malformed, "sender_id");
  }
  EXPECT_TRUE(decode(encode(envelope_with(Ping{}, "\xe2\x82\xac\xf0\x9f\x8d\x84"))).ok());
}

TEST(EnvelopeVerifier, MessageFieldChecks) {
  Gossip g = std::get<Gossip>(sample("Gossip"));
  g.topic.clear();
  expect_rejected(encode(envelope_with(g)), RejectReason::MissingField, "Gossip.topic");

  DBSyncResp resp;
  resp.entries = {sample_entry(1)};
  resp.entries[0].created_by.clear();
  expect_rejected(encode(envelope_with(resp)), RejectReason::MissingField, "AuditEntry.created_by");

  // The status message: its sample goes by its wire name, Sync.
  Status status = std::get<Status>(sample("Sync"));
  expect_rejected(encode(envelope_with(status, "someone-else")), RejectReason::Malformed,
                  "Status.node_id differs from sender_id");

  expect_rejected(encode(envelope_with(HandshakeMsg{})), RejectReason::MissingField, "data");
}

TEST(EnvelopeVerifier, ShortGossipIdIsMalformed) {
  FlatBufferBuilder fbb;
  const auto id = fbb.CreateVector(Bytes(31, 1));
  const auto sig = fbb.CreateVector(Bytes(64, 1));
  const auto gossip =
      wire::CreateGossip(fbb, id, fbb.CreateString("o"), 1, fbb.CreateString("t"), 0, 0, sig);
  fbb.Finish(wire::CreateEnvelope(fbb, 1, 0, fbb.CreateString("s"), 1,
                                  fbb.CreateVector(Bytes(16, 1)), wire::Message::Gossip,
                                  gossip.Union(), fbb.CreateVector(Bytes(64, 1))),
             "MYC1");
  const Bytes wire(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  expect_rejected(wire, RejectReason::Malformed, "Gossip.message_id must be 32 bytes");
}

} // namespace
