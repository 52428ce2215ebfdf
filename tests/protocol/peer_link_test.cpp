// protocol::PeerLink, the one link state machine of the agent, the transport benchmark and the
// forger: two links joined in memory, the handshake, messages both ways in both wire forms, and
// each way a link ends or drops a message.
#include "mycelium/protocol/peer_link.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;

struct Node {
  SecretKey key = SecretKey::generate();
  std::string id;
  LinkIdentity identity() const {
    return LinkIdentity{&key, id, {kProtocolMajor, kProtocolMinor}, {"db-sync"}};
  }
};

// A dialler and a listener joined in memory: frames handed across until nothing is left to say.
// Returns the events of every frame each side received.
struct Pair {
  Node a{SecretKey::generate(), "node-a"}, b{SecretKey::generate(), "node-b"};
  PeerLink dialler, listener;
  ReplayGuard guard_a, guard_b;
  std::vector<LinkEvents> at_dialler, at_listener;

  explicit Pair(bool json = false, LinkAdmission listener_admits = nullptr)
      : dialler(Role::Initiator, json, a.identity(), {}, nullptr),
        listener(Role::Responder, json, b.identity(), {}, std::move(listener_admits)) {}

  void handshake() {
    std::vector<Bytes> to_listener{dialler.hello(now_ms()).bytes}, to_dialler;
    for (int round = 0; round < 4 && !(to_listener.empty() && to_dialler.empty()); ++round) {
      for (const Bytes &f : to_listener) {
        at_listener.push_back(listener.receive(f, guard_b, now_ms()));
        for (OutgoingFrame &r : at_listener.back().replies)
          to_dialler.push_back(std::move(r.bytes));
      }
      to_listener.clear();
      for (const Bytes &f : to_dialler) {
        at_dialler.push_back(dialler.receive(f, guard_a, now_ms()));
        for (OutgoingFrame &r : at_dialler.back().replies)
          to_listener.push_back(std::move(r.bytes));
      }
      to_dialler.clear();
    }
  }
};

TEST(PeerLink, AHandshakeGivesBothSidesASessionWithEachOthersIdentity) {
  for (const bool json : {false, true}) {
    Pair pair(json);
    pair.handshake();
    ASSERT_TRUE(pair.dialler.established()) << json;
    ASSERT_TRUE(pair.listener.established()) << json;
    EXPECT_EQ(pair.dialler.peer_id(), "node-b");
    EXPECT_EQ(pair.listener.peer_id(), "node-a");
    EXPECT_EQ(pair.dialler.session().session_id, pair.listener.session().session_id);
    // The dialler's handshake ends with its own msg3: only a frame from the listener on the
    // session shows that the listener accepted it.
    EXPECT_FALSE(pair.dialler.accepted_by_peer());
    const OutgoingFrame ping = pair.listener.seal(Ping{7, 1}, now_ms());
    EXPECT_EQ(ping.type, "Ping");
    const LinkEvents got = pair.dialler.receive(ping.bytes, pair.guard_a, now_ms());
    EXPECT_TRUE(got.accepted_by_peer);
    ASSERT_TRUE(got.message.has_value());
    EXPECT_EQ(std::get<Ping>(got.message->payload).seq, 7u);
    EXPECT_EQ(got.message->sender_id, "node-b");
    EXPECT_TRUE(pair.dialler.accepted_by_peer());
  }
}

TEST(PeerLink, ARefusedDiallerIsToldWhyInPlaceOfTheFirstSessionFrame) {
  Pair pair(false, [](const std::string &node_id, const PublicKey &) {
    return "node " + node_id + " is banned by node-b";
  });
  pair.handshake();
  // The listener refused at msg3 and said why; the dialler believed the session was up.
  ASSERT_FALSE(pair.at_listener.empty());
  const LinkEvents &refusing = pair.at_listener.back();
  ASSERT_TRUE(refusing.handshake_failed.has_value());
  EXPECT_EQ(refusing.handshake_failed->reason(), HandshakeError::Reason::Refused);
  EXPECT_TRUE(refusing.refusal_sent);
  EXPECT_TRUE(refusing.close);
  ASSERT_FALSE(pair.at_dialler.empty());
  const LinkEvents &refused = pair.at_dialler.back();
  ASSERT_TRUE(refused.peer_refused.has_value());
  EXPECT_NE(refused.peer_refused->find("node node-a is banned by node-b"), std::string::npos)
      << *refused.peer_refused;
  EXPECT_TRUE(refused.close);
  EXPECT_FALSE(refused.broken);
}

TEST(PeerLink, AFrameThatFailsToOpenBreaksTheSession) {
  Pair pair;
  pair.handshake();
  OutgoingFrame frame = pair.dialler.seal(Ping{1, 1}, now_ms());
  frame.bytes[frame.bytes.size() / 2] ^= 1;
  const LinkEvents got = pair.listener.receive(frame.bytes, pair.guard_b, now_ms());
  EXPECT_TRUE(got.broken);
  EXPECT_TRUE(got.close);
  EXPECT_FALSE(got.message.has_value());
}

TEST(PeerLink, AHandshakeMessageOnASessionIsAProtocolViolation) {
  Pair pair;
  pair.handshake();
  const OutgoingFrame again = pair.dialler.seal(HandshakeMsg{Bytes(10, 1)}, now_ms());
  const LinkEvents got = pair.listener.receive(again.bytes, pair.guard_b, now_ms());
  ASSERT_TRUE(got.rejected.has_value());
  EXPECT_EQ(got.rejected->reason, RejectReason::ProtocolViolation);
  EXPECT_FALSE(got.close) << "scored, not closed";
}

TEST(PeerLink, AStaleMessageOnASessionIsRejected) {
  Pair pair;
  pair.handshake();
  const OutgoingFrame old = pair.dialler.seal(Ping{1, 1}, now_ms() - 10 * 60 * 1000);
  const LinkEvents got = pair.listener.receive(old.bytes, pair.guard_b, now_ms());
  ASSERT_TRUE(got.rejected.has_value());
  EXPECT_EQ(got.rejected->reason, RejectReason::Stale);
}

TEST(PeerLink, GarbageInsteadOfAHandshakeClosesTheLink) {
  Pair pair;
  const LinkEvents got = pair.listener.receive(Bytes(64, 0xab), pair.guard_b, now_ms());
  ASSERT_TRUE(got.rejected.has_value());
  EXPECT_EQ(got.rejected->reason, RejectReason::Malformed);
  EXPECT_TRUE(got.close);
}

TEST(PeerLink, SealingBeforeTheSessionAndASecondHelloAreErrors) {
  Pair pair;
  EXPECT_THROW(pair.dialler.seal(Ping{1, 1}, now_ms()), Error);
  EXPECT_THROW(pair.listener.hello(now_ms()), Error);
  pair.dialler.hello(now_ms());
  EXPECT_THROW(pair.dialler.hello(now_ms()), Error);
}

} // namespace
