// Frames after the handshake: confidential, authenticated, and only ever in the order sent.
#include "mycelium/error.hpp"
#include "mycelium/protocol/handshake.hpp"
#include "mycelium/protocol/secure_channel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace {

using namespace mycelium;
using namespace mycelium::protocol;

// Two complementary key sets, as a completed handshake would give.
struct Pair {
  SessionKeys initiator, responder;
  Pair(std::uint8_t a, std::uint8_t b) {
    initiator.tx.fill(a);
    initiator.rx.fill(b);
    responder.tx = initiator.rx;
    responder.rx = initiator.tx;
  }
};

Bytes text(const std::string &s) {
  return Bytes(s.begin(), s.end());
}

TEST(SecureChannel, RoundTripsBothDirections) {
  const Pair keys(1, 2);
  SecureChannel a(keys.initiator);
  SecureChannel b(keys.responder);
  for (int n = 0; n < 5; ++n) {
    const Bytes ping = text("ping " + std::to_string(n));
    const Bytes sealed = a.seal(ping);
    EXPECT_EQ(sealed.size(), ping.size() + kFrameTagSize);
    EXPECT_EQ(std::search(sealed.begin(), sealed.end(), ping.begin(), ping.end()), sealed.end())
        << "plaintext visible in the frame";
    EXPECT_EQ(b.open(sealed), ping);
    const Bytes pong = text("pong " + std::to_string(n));
    EXPECT_EQ(a.open(b.seal(pong)), pong);
  }
  EXPECT_EQ(b.open(a.seal(Bytes{})), Bytes{}); // empty frames are frames too
  EXPECT_EQ(a.frames_sent(), 6u);
  EXPECT_EQ(b.frames_received(), 6u);
  EXPECT_FALSE(a.broken());
  EXPECT_FALSE(b.broken());
}

TEST(SecureChannel, SameMessageSealsDifferentlyEachTime) {
  const Pair keys(1, 2);
  SecureChannel a(keys.initiator);
  EXPECT_NE(a.seal(text("same")), a.seal(text("same")));
}

TEST(SecureChannel, AnyTamperedByteFailsAndBreaksTheChannel) {
  const Pair keys(1, 2);
  SecureChannel probe(keys.initiator);
  const std::size_t size = probe.seal(text("transfer 10 to bob")).size();
  for (std::size_t pos = 0; pos < size; ++pos) {
    SecureChannel a(keys.initiator);
    SecureChannel b(keys.responder);
    Bytes frame = a.seal(text("transfer 10 to bob"));
    frame[pos] ^= 0x01;
    EXPECT_FALSE(b.open(frame)) << "byte " << pos;
    EXPECT_TRUE(b.broken());
    EXPECT_FALSE(b.open(a.seal(text("next")))) << "a broken channel stays broken";
  }
  SecureChannel a(keys.initiator);
  SecureChannel b(keys.responder);
  Bytes frame = a.seal(text("x"));
  frame.pop_back();
  EXPECT_FALSE(b.open(frame)) << "truncated";
  EXPECT_FALSE(b.open(Bytes(5, 0))) << "shorter than a tag";
}

TEST(SecureChannel, ReplayedFrameFails) {
  const Pair keys(1, 2);
  SecureChannel a(keys.initiator);
  SecureChannel b(keys.responder);
  const Bytes frame = a.seal(text("pay once"));
  EXPECT_TRUE(b.open(frame));
  EXPECT_FALSE(b.open(frame));
  EXPECT_TRUE(b.broken());
}

TEST(SecureChannel, ReorderedFramesFail) {
  const Pair keys(1, 2);
  SecureChannel a(keys.initiator);
  SecureChannel b(keys.responder);
  const Bytes first = a.seal(text("first"));
  const Bytes second = a.seal(text("second"));
  EXPECT_FALSE(b.open(second));
  EXPECT_FALSE(b.open(first)) << "not even the frame that was due";
}

TEST(SecureChannel, DroppedThenResentFrameFails) {
  const Pair keys(1, 2);
  SecureChannel a(keys.initiator);
  SecureChannel b(keys.responder);
  const Bytes first = a.seal(text("first"));
  const Bytes second = a.seal(text("second"));
  const Bytes third = a.seal(text("third"));
  EXPECT_TRUE(b.open(first));
  EXPECT_FALSE(b.open(third)); // `second` was dropped
  EXPECT_FALSE(b.open(second));
  EXPECT_FALSE(b.open(third));
}

TEST(SecureChannel, WrongDirectionOrSessionKeyFails) {
  const Pair keys(1, 2);
  {
    // Reflection: a node's own frame sent back to it.
    SecureChannel a(keys.initiator);
    EXPECT_FALSE(a.open(a.seal(text("echo"))));
  }
  {
    // Two initiators (both using the same direction key) cannot talk.
    SecureChannel a(keys.initiator);
    SecureChannel a2(keys.initiator);
    EXPECT_FALSE(a2.open(a.seal(text("hi"))));
  }
  {
    const Pair other(3, 4);
    SecureChannel a(keys.initiator);
    SecureChannel stranger(other.responder);
    EXPECT_FALSE(stranger.open(a.seal(text("hi"))));
  }
}

TEST(SecureChannel, FrameSizeIsLimited) {
  const Pair keys(1, 2);
  SecureChannel a(keys.initiator, 16);
  SecureChannel b(keys.responder, 8);
  EXPECT_NO_THROW(a.seal(Bytes(16, 'x')));
  try {
    a.seal(Bytes(17, 'x'));
    ADD_FAILURE() << "oversized frame sealed";
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), "22023");
  }
  // The receiver checks its own limit before decrypting anything.
  EXPECT_FALSE(b.open(Bytes(8 + kFrameTagSize + 1, 0)));
  EXPECT_TRUE(b.broken());
}

} // namespace
