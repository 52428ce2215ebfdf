// The peer handshake (schemas/PROTOCOL.md, "Handshake and secure channel"): the state machine,
// negotiation, and what an attacker on the path can and cannot do.
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/protocol/handshake_wire.hpp"
#include "mycelium/protocol/secure_channel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;
using Reason = HandshakeError::Reason;
using handshake::Bytes32;

SecretKey test_key(std::uint8_t fill) {
  std::uint8_t seed[kSeedSize];
  for (std::size_t i = 0; i < kSeedSize; ++i)
    seed[i] = static_cast<std::uint8_t>(fill + i);
  return SecretKey::from_seed(seed);
}

// Byte k of the stream is start + k: the first 32 bytes a side draws are its ephemeral secret,
// which lets a test play the part of a dishonest peer that knows its own secret.
class CountingRandom final : public RandomSource {
public:
  explicit CountingRandom(std::uint8_t start) : next_(start) {}
  void fill(std::uint8_t *out, std::size_t size) override {
    for (std::size_t i = 0; i < size; ++i)
      out[i] = next_++;
  }
  static Bytes32 ephemeral_secret(std::uint8_t start) {
    Bytes32 secret;
    for (std::size_t i = 0; i < secret.size(); ++i)
      secret[i] = static_cast<std::uint8_t>(start + i);
    return secret;
  }

private:
  std::uint8_t next_;
};

const SecretKey &alice_key() {
  static const SecretKey key = test_key(1);
  return key;
}
const SecretKey &bob_key() {
  static const SecretKey key = test_key(2);
  return key;
}
const SecretKey &mallory_key() {
  static const SecretKey key = test_key(3);
  return key;
}

const std::vector<std::string> kFeatures = {"gossip", "raft"};

Initiator alice(Version version = {1, 0}, std::vector<std::string> features = kFeatures,
                Admit admit = nullptr, RandomSource *random = nullptr) {
  return Initiator(alice_key(), "alice", version, std::move(features), std::move(admit), random);
}
Responder bob(Version version = {1, 0}, std::vector<std::string> features = kFeatures,
              Admit admit = nullptr, RandomSource *random = nullptr) {
  return Responder(bob_key(), "bob", version, std::move(features), std::move(admit), random);
}

struct Recorded {
  Bytes msg1, msg2, msg3;
};
Recorded complete(Initiator &i, Responder &r) {
  Recorded rec;
  rec.msg1 = i.start();
  rec.msg2 = r.on_hello(rec.msg1);
  rec.msg3 = i.on_response(rec.msg2);
  r.on_finish(rec.msg3);
  return rec;
}

// Runs `call` and returns the HandshakeError it throws; fails the test if it throws none.
HandshakeError expect_failure(const std::function<void()> &call) {
  try {
    call();
  } catch (const HandshakeError &e) {
    return e;
  }
  ADD_FAILURE() << "the handshake step succeeded";
  return HandshakeError(Reason::Malformed, "none");
}

bool contains(const Bytes &haystack, const std::uint8_t *needle, std::size_t size) {
  return std::search(haystack.begin(), haystack.end(), needle, needle + size) != haystack.end();
}

TEST(Handshake, BothSidesAgreeOnSessionIdentitiesAndKeys) {
  Initiator i = alice();
  Responder r = bob();
  complete(i, r);
  ASSERT_TRUE(i.done());
  ASSERT_TRUE(r.done());
  const Session &a = i.session();
  const Session &b = r.session();
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.keys.tx, b.keys.rx);
  EXPECT_EQ(a.keys.rx, b.keys.tx);
  EXPECT_NE(a.keys.tx, a.keys.rx);
  EXPECT_EQ(a.peer_node_id, "bob");
  EXPECT_EQ(a.peer_key, bob_key().public_key());
  EXPECT_EQ(b.peer_node_id, "alice");
  EXPECT_EQ(b.peer_key, alice_key().public_key());
  EXPECT_EQ(a.role, Role::Initiator);
  EXPECT_EQ(b.role, Role::Responder);

  // A second handshake between the same nodes is a different session.
  Initiator i2 = alice();
  Responder r2 = bob();
  complete(i2, r2);
  EXPECT_NE(i2.session().session_id, a.session_id);
  EXPECT_NE(i2.session().keys.tx, a.keys.tx);
}

TEST(Handshake, KeysCarryASecureChannelBothWays) {
  Initiator i = alice();
  Responder r = bob();
  complete(i, r);
  SecureChannel a(i.session().keys);
  SecureChannel b(r.session().keys);
  const Bytes ping = {'p', 'i', 'n', 'g'};
  EXPECT_EQ(b.open(a.seal(ping)), ping);
  EXPECT_EQ(a.open(b.seal(ping)), ping);
}

TEST(Handshake, SameRandomnessGivesSameBytes) {
  // Ed25519 is deterministic and all randomness comes from the RandomSource: reproducible
  // transcripts, the basis for test vectors.
  Recorded runs[2];
  for (Recorded &run : runs) {
    CountingRandom ra(10), rb(100);
    Initiator i = alice({1, 0}, kFeatures, nullptr, &ra);
    Responder r = bob({1, 0}, kFeatures, nullptr, &rb);
    run = complete(i, r);
  }
  EXPECT_EQ(runs[0].msg1, runs[1].msg1);
  EXPECT_EQ(runs[0].msg2, runs[1].msg2);
  EXPECT_EQ(runs[0].msg3, runs[1].msg3);
}

TEST(Handshake, NegotiatesSmallerMinorAndFeatureIntersection) {
  Initiator i = alice({1, 4}, {"raft", "gossip", "zstd", "gossip"});
  Responder r = bob({1, 2}, {"snapshots", "gossip", "zstd"});
  complete(i, r);
  for (const Session *s : {&i.session(), &r.session()}) {
    EXPECT_EQ(s->version.major, 1);
    EXPECT_EQ(s->version.minor, 2);
    EXPECT_EQ(s->features, (std::vector<std::string>{"gossip", "zstd"}));
  }

  Initiator i2 = alice({1, 0}, {"raft"});
  Responder r2 = bob({1, 0}, {"gossip"});
  complete(i2, r2);
  EXPECT_TRUE(i2.session().features.empty());
  EXPECT_TRUE(r2.session().features.empty());
}

TEST(Handshake, IncompatibleMajorIsRefusedWithBothVersions) {
  Initiator i = alice({2, 1});
  Responder r = bob({1, 3});
  const Bytes msg1 = i.start();
  const HandshakeError at_responder = expect_failure([&] { r.on_hello(msg1); });
  EXPECT_EQ(at_responder.reason(), Reason::IncompatibleVersion);
  EXPECT_STREQ(at_responder.sqlstate(), "08P01");
  const std::string text = at_responder.what();
  EXPECT_NE(text.find("initiator speaks 2.1"), std::string::npos) << text;
  EXPECT_NE(text.find("responder speaks 1.3"), std::string::npos) << text;

  // The responder tells the initiator why, instead of just hanging up.
  const HandshakeError at_initiator = expect_failure([&] { i.on_response(refusal(at_responder)); });
  EXPECT_EQ(at_initiator.reason(), Reason::IncompatibleVersion);
  EXPECT_NE(std::string(at_initiator.what()).find("initiator speaks 2.1"), std::string::npos);
}

TEST(Handshake, NegotiateChecksMajorFromEitherSide) {
  const handshake::Offer v1{{1, 0}, {}};
  const handshake::Offer v3{{3, 0}, {}};
  for (const Role role : {Role::Initiator, Role::Responder}) {
    const HandshakeError e = expect_failure([&] { handshake::negotiate(v1, v3, role); });
    EXPECT_EQ(e.reason(), Reason::IncompatibleVersion);
  }
  const std::string text =
      expect_failure([&] { handshake::negotiate(v1, v3, Role::Responder); }).what();
  EXPECT_NE(text.find("initiator speaks 3.0, the responder speaks 1.0"), std::string::npos);
}

TEST(Handshake, AdmitCallbackDecidesInsideTheHandshake) {
  std::string seen_id;
  PublicKey seen_key{};
  Responder r = bob({1, 0}, kFeatures, [&](const std::string &id, const PublicKey &key) {
    seen_id = id;
    seen_key = key;
    return false;
  });
  Initiator i = alice();
  const Bytes msg3 = i.on_response(r.on_hello(i.start()));
  const HandshakeError e = expect_failure([&] { r.on_finish(msg3); });
  EXPECT_EQ(e.reason(), Reason::Refused);
  EXPECT_STREQ(e.sqlstate(), "28000");
  EXPECT_EQ(seen_id, "alice");
  EXPECT_EQ(seen_key, alice_key().public_key());
  EXPECT_FALSE(r.done());

  // The initiator refuses an unregistered responder before revealing who it is.
  Initiator picky = alice({1, 0}, kFeatures,
                          [](const std::string &id, const PublicKey &) { return id == "carol"; });
  Responder r2 = bob();
  const Bytes msg2 = r2.on_hello(picky.start());
  EXPECT_EQ(expect_failure([&] { picky.on_response(msg2); }).reason(), Reason::Refused);
}

TEST(Handshake, CallsInTheWrongStateAreUnexpected) {
  const auto unexpected = [](const std::function<void()> &call) {
    return expect_failure(call).reason() == Reason::UnexpectedMessage;
  };
  {
    Initiator i = alice();
    EXPECT_TRUE(unexpected([&] { i.session(); }));
    EXPECT_TRUE(unexpected([&] { i.on_response({}); }));
    EXPECT_TRUE(unexpected([&] { i.start(); })) << "a failed handshake stays failed";
  }
  {
    Initiator i = alice();
    i.start();
    EXPECT_TRUE(unexpected([&] { i.start(); }));
  }
  {
    Responder r = bob();
    EXPECT_TRUE(unexpected([&] { r.on_finish({}); }));
    EXPECT_TRUE(unexpected([&] { r.on_hello(alice().start()); }));
  }
  {
    Responder r = bob();
    const Bytes msg1 = alice().start();
    r.on_hello(msg1);
    EXPECT_TRUE(unexpected([&] { r.on_hello(msg1); }));
    EXPECT_TRUE(unexpected([&] { r.session(); }));
  }
  {
    // A stray call after completion is refused but leaves the session intact.
    Initiator i = alice();
    Responder r = bob();
    const Recorded rec = complete(i, r);
    EXPECT_TRUE(unexpected([&] { i.on_response(rec.msg2); }));
    EXPECT_TRUE(unexpected([&] { r.on_finish(rec.msg3); }));
    EXPECT_TRUE(i.done());
    EXPECT_EQ(i.session().session_id, r.session().session_id);
  }
  {
    // After a failure the genuine message is no longer accepted: no retrying against an oracle.
    Initiator i = alice();
    Responder r = bob();
    Bytes msg2 = r.on_hello(i.start());
    Bytes bad = msg2;
    bad.back() ^= 1;
    EXPECT_EQ(expect_failure([&] { i.on_response(bad); }).reason(), Reason::DecryptFailed);
    EXPECT_TRUE(unexpected([&] { i.on_response(msg2); }));
  }
  {
    Initiator i = alice();
    Initiator moved = std::move(i);
    EXPECT_TRUE(unexpected([&] { i.start(); }));
    EXPECT_FALSE(moved.start().empty());
  }
}

TEST(Handshake, LocalSettingsAreChecked) {
  const auto rejected = [](const std::function<void()> &call) {
    try {
      call();
    } catch (const HandshakeError &) {
      return false;
    } catch (const Error &e) {
      return std::string(e.sqlstate()) == "22023";
    }
    return false;
  };
  EXPECT_TRUE(rejected([] { alice({1, 0}, {"Gossip"}); }));
  EXPECT_TRUE(rejected([] { alice({1, 0}, {""}); }));
  EXPECT_TRUE(rejected([] { alice({1, 0}, {std::string(33, 'a')}); }));
  EXPECT_TRUE(rejected([] { alice({0, 1}); }));
  EXPECT_TRUE(rejected([] { Responder(bob_key(), "", {1, 0}, {}); }));
  EXPECT_TRUE(rejected([] { Responder(bob_key(), std::string(256, 'n'), {1, 0}, {}); }));
  std::vector<std::string> many;
  for (int n = 0; n < 33; ++n)
    many.push_back("f" + std::to_string(n));
  EXPECT_TRUE(rejected([&] { alice({1, 0}, many); }));
}

// --- Attacks ------------------------------------------------------------------------------------

TEST(HandshakeAttack, RecordedHandshakeReplayedToAFreshResponderFails) {
  Initiator i = alice();
  Responder r = bob();
  const Recorded rec = complete(i, r);

  // A hello proves nothing, so a fresh responder answers it, with its own fresh ephemeral key
  // and random; the recorded finish was sealed and signed for the old ones.
  Responder fresh = bob();
  fresh.on_hello(rec.msg1);
  EXPECT_EQ(expect_failure([&] { fresh.on_finish(rec.msg3); }).reason(), Reason::DecryptFailed);
  EXPECT_FALSE(fresh.done());
}

TEST(HandshakeAttack, RecordedReplyReplayedToAFreshInitiatorFails) {
  Initiator i = alice();
  Responder r = bob();
  const Recorded rec = complete(i, r);
  Initiator fresh = alice();
  fresh.start();
  EXPECT_EQ(expect_failure([&] { fresh.on_response(rec.msg2); }).reason(), Reason::DecryptFailed);
  EXPECT_FALSE(fresh.done());
}

// What the holder of one side's ephemeral secret learns from a hello and a reply.
struct OpenedReply {
  Bytes transcript; // through the reply's signature: what the finish is sealed and signed after
  Bytes body;
  SymmetricKey finish_key{};
};
OpenedReply open_reply(const Bytes &msg1, const Bytes &msg2, const Bytes32 &own_secret,
                       bool own_is_initiator) {
  const handshake::Hello hello = handshake::decode_hello(msg1);
  const handshake::Reply reply = handshake::decode_reply(msg2);
  OpenedReply out;
  handshake::append_frame(out.transcript, handshake::kPrologue);
  out.transcript.insert(out.transcript.end(), msg1.begin(), msg1.end());
  const Bytes header = handshake::reply_header(reply.ephemeral, reply.random);
  out.transcript.insert(out.transcript.end(), header.begin(), header.end());
  const Bytes32 shared =
      handshake::dh(own_secret, own_is_initiator ? reply.ephemeral : hello.ephemeral);
  const Bytes32 h = handshake::transcript_hash(out.transcript);
  const std::optional<Bytes> body = handshake::open_once(
      handshake::derive_key(shared, h, handshake::kReplyKeyLabel), h, reply.sealed);
  EXPECT_TRUE(body.has_value());
  out.body = body.value_or(Bytes{});
  out.transcript.insert(out.transcript.end(), out.body.begin(), out.body.end());
  out.finish_key = handshake::derive_key(shared, h, handshake::kFinishKeyLabel);
  return out;
}

TEST(HandshakeAttack, RelayWithItsOwnEphemeralKeysIsDetected) {
  // Mallory sits between Alice and Bob and substitutes her own ephemeral keys so that she could
  // read both legs. She can decrypt Bob's reply, but his signature covers her key, not Alice's.
  Initiator a = alice();
  Responder b = bob();
  const Bytes32 to_bob = CountingRandom::ephemeral_secret(200);
  const Bytes32 to_alice = CountingRandom::ephemeral_secret(50);

  const Bytes msg1 = a.start();
  handshake::Hello hello = handshake::decode_hello(msg1);
  hello.ephemeral = handshake::ephemeral_public(to_bob);
  const Bytes msg1_to_bob = handshake::encode_hello(hello);
  const Bytes msg2_from_bob = b.on_hello(msg1_to_bob);

  const OpenedReply from_bob = open_reply(msg1_to_bob, msg2_from_bob, to_bob, true);
  ASSERT_FALSE(from_bob.body.empty()) << "Mallory reads Bob's reply on her own leg";

  // Re-seal Bob's body (his identity and signature) for Alice under the Alice-Mallory keys.
  const handshake::Reply bob_reply = handshake::decode_reply(msg2_from_bob);
  handshake::Reply forged;
  forged.ephemeral = handshake::ephemeral_public(to_alice);
  forged.random = bob_reply.random;
  Bytes transcript;
  handshake::append_frame(transcript, handshake::kPrologue);
  transcript.insert(transcript.end(), msg1.begin(), msg1.end());
  const Bytes header = handshake::reply_header(forged.ephemeral, forged.random);
  transcript.insert(transcript.end(), header.begin(), header.end());
  const Bytes32 h = handshake::transcript_hash(transcript);
  const Bytes32 shared = handshake::dh(to_alice, handshake::decode_hello(msg1).ephemeral);
  forged.sealed = handshake::seal_once(handshake::derive_key(shared, h, handshake::kReplyKeyLabel),
                                       h, from_bob.body);

  const HandshakeError e = expect_failure([&] { a.on_response(handshake::encode_reply(forged)); });
  EXPECT_EQ(e.reason(), Reason::BadSignature) << e.what();
  EXPECT_FALSE(a.done());
}

TEST(HandshakeAttack, ARelayedSignatureDoesNotLetMalloryPassAsAlice) {
  // Mallory is a registered node: Alice handshakes with her honestly, so Mallory holds Alice's
  // signed finish. She then tries to log in to Bob as Alice with that signature.
  CountingRandom mallory_random(77);
  Responder m(mallory_key(), "mallory", {1, 0}, kFeatures, nullptr, &mallory_random);
  Initiator a = alice();
  const Bytes msg1 = a.start();
  const Bytes msg2 = m.on_hello(msg1);
  const Bytes msg3 = a.on_response(msg2);
  m.on_finish(msg3);
  const OpenedReply with_alice =
      open_reply(msg1, msg2, CountingRandom::ephemeral_secret(77), false);
  const std::optional<Bytes> alice_body =
      handshake::open_once(with_alice.finish_key, handshake::transcript_hash(with_alice.transcript),
                           handshake::decode_finish(msg3));
  ASSERT_TRUE(alice_body.has_value());
  EXPECT_EQ(handshake::decode_finish_body(*alice_body).claim.node_id, "alice");

  // Mallory to Bob: a hello of her own, then Alice's finish body sealed under the right keys.
  CountingRandom mallory_random2(150);
  Initiator as_initiator(mallory_key(), "mallory", {1, 0}, kFeatures, nullptr, &mallory_random2);
  Responder b = bob();
  const Bytes hello = as_initiator.start();
  const Bytes reply = b.on_hello(hello);
  const OpenedReply with_bob =
      open_reply(hello, reply, CountingRandom::ephemeral_secret(150), true);
  const Bytes forged = handshake::encode_finish(handshake::seal_once(
      with_bob.finish_key, handshake::transcript_hash(with_bob.transcript), *alice_body));
  const HandshakeError e = expect_failure([&] { b.on_finish(forged); });
  EXPECT_EQ(e.reason(), Reason::BadSignature) << e.what();
  EXPECT_FALSE(b.done());
}

TEST(HandshakeAttack, TamperingWithAnyByteFails) {
  Initiator ri = alice();
  Responder rr = bob();
  const Recorded reference = complete(ri, rr);
  const std::size_t sizes[3] = {reference.msg1.size(), reference.msg2.size(),
                                reference.msg3.size()};

  // mutate(message index, bytes) is applied to one message of a fresh handshake.
  const auto fails = [](int target, const std::function<void(Bytes &)> &mutate) {
    Initiator i = alice();
    Responder r = bob();
    try {
      Bytes m1 = i.start();
      if (target == 0)
        mutate(m1);
      Bytes m2 = r.on_hello(m1);
      if (target == 1)
        mutate(m2);
      Bytes m3 = i.on_response(m2);
      if (target == 2)
        mutate(m3);
      r.on_finish(m3);
    } catch (const HandshakeError &) {
      return !i.done() || !r.done();
    }
    return false;
  };

  for (int target = 0; target < 3; ++target) {
    for (std::size_t pos = 0; pos < sizes[target]; ++pos) {
      for (const std::uint8_t mask : {0x01, 0x80})
        EXPECT_TRUE(fails(target, [&](Bytes &m) { m[pos] ^= mask; }))
            << "message " << target + 1 << " byte " << pos << " mask " << int(mask);
      EXPECT_TRUE(fails(target, [&](Bytes &m) { m.resize(pos); }))
          << "message " << target + 1 << " truncated to " << pos;
    }
    EXPECT_TRUE(fails(target, [](Bytes &m) { m.push_back(0); }))
        << "message " << target + 1 << " with a trailing byte";
  }
}

TEST(HandshakeAttack, IdentitiesAreNotSentInTheClear) {
  Initiator i = alice();
  Responder r = bob();
  const Recorded rec = complete(i, r);
  for (const Bytes *m : {&rec.msg1, &rec.msg2, &rec.msg3}) {
    EXPECT_FALSE(contains(*m, alice_key().public_key().data(), kPublicKeySize));
    EXPECT_FALSE(contains(*m, bob_key().public_key().data(), kPublicKeySize));
    EXPECT_FALSE(contains(*m, reinterpret_cast<const std::uint8_t *>("alice"), 5));
    EXPECT_FALSE(contains(*m, reinterpret_cast<const std::uint8_t *>("bob"), 3));
  }
}

TEST(HandshakeAttack, LowOrderEphemeralKeysAreRefused) {
  Initiator i = alice();
  handshake::Hello hello = handshake::decode_hello(i.start());
  hello.ephemeral = {}; // the identity point: every "shared secret" would be zero
  Responder r = bob();
  EXPECT_EQ(expect_failure([&] { r.on_hello(handshake::encode_hello(hello)); }).reason(),
            Reason::Malformed);

  Initiator i2 = alice();
  Responder r2 = bob();
  handshake::Reply reply = handshake::decode_reply(r2.on_hello(i2.start()));
  reply.ephemeral = {};
  EXPECT_EQ(expect_failure([&] { i2.on_response(handshake::encode_reply(reply)); }).reason(),
            Reason::Malformed);
}

// --- Wire format --------------------------------------------------------------------------------

void append(Bytes &out, std::initializer_list<int> bytes) {
  for (const int b : bytes)
    out.push_back(static_cast<std::uint8_t>(b));
}

void append(Bytes &out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

TEST(HandshakeWire, HelloLayoutByteByByte) {
  handshake::Hello hello;
  hello.offer = {{1, 2}, {"ab"}};
  hello.ephemeral.fill(0xee);
  hello.random.fill(0x55);
  Bytes expected;
  append(expected, {0, 0, 0, 27});
  append(expected, "mycelium/v1/handshake/hello");
  append(expected, {0, 0, 0, 2, 0, 1});     // major
  append(expected, {0, 0, 0, 2, 0, 2});     // minor
  append(expected, {0, 0, 0, 2, 0, 1});     // feature count
  append(expected, {0, 0, 0, 2, 'a', 'b'}); // feature
  append(expected, {0, 0, 0, 32});
  expected.insert(expected.end(), 32, 0xee);
  append(expected, {0, 0, 0, 32});
  expected.insert(expected.end(), 32, 0x55);
  EXPECT_EQ(handshake::encode_hello(hello), expected);
  const handshake::Hello back = handshake::decode_hello(expected);
  EXPECT_EQ(back.offer.features, hello.offer.features);
  EXPECT_EQ(back.offer.version.minor, 2);
}

TEST(HandshakeWire, DecodersAreStrict) {
  const auto malformed = [](const std::function<void()> &call) {
    return expect_failure(call).reason() == Reason::Malformed;
  };
  handshake::Hello hello;
  hello.offer = {{1, 0}, {"b", "a"}};
  EXPECT_TRUE(malformed([&] { handshake::decode_hello(handshake::encode_hello(hello)); }));
  hello.offer.features = {"a", "a"};
  EXPECT_TRUE(malformed([&] { handshake::decode_hello(handshake::encode_hello(hello)); }));
  hello.offer.features = {"A"};
  EXPECT_TRUE(malformed([&] { handshake::decode_hello(handshake::encode_hello(hello)); }));
  hello.offer.features = {};
  Bytes long_hello = handshake::encode_hello(hello);
  long_hello.resize(handshake::kMaxMessageSize + 1);
  EXPECT_TRUE(malformed([&] { handshake::decode_hello(long_hello); }));
  // A reply where a hello belongs, and the other way round.
  EXPECT_TRUE(malformed([&] { handshake::decode_reply(handshake::encode_hello(hello)); }));
  EXPECT_TRUE(malformed([&] { handshake::decode_hello(handshake::encode_reply({})); }));

  Bytes claim;
  handshake::append_claim(claim, {std::string(256, 'n'), {}});
  handshake::FrameReader in(claim);
  EXPECT_TRUE(malformed([&] { handshake::read_claim(in); }));
}

TEST(HandshakeWire, RefusalTextIsBoundedAndSanitised) {
  const HandshakeError e(Reason::Refused, "no\x01way\n" + std::string(500, 'x'));
  const Bytes message = refusal(e);
  const HandshakeError seen = expect_failure([&] { handshake::throw_if_refusal(message); });
  EXPECT_EQ(seen.reason(), Reason::PeerRefused);
  const std::string text = seen.what();
  EXPECT_NE(text.find("(refused): no?way?xxx"), std::string::npos) << text;
  EXPECT_LT(text.size(), 300u);
  // Anything else is not a refusal.
  handshake::throw_if_refusal(handshake::encode_finish({}));
}

} // namespace
