// ReplayGuard (schemas/PROTOCOL.md, "Replay protection").
#include "samples.hpp"

#include "mycelium/protocol/replay_guard.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace {

using namespace mycelium::protocol;
using mycelium::protocol::testing::filled;

constexpr std::int64_t kNow = 1700000000000;
constexpr std::int64_t kWindow = 30000;

Nonce nonce(std::uint32_t n) {
  Nonce x{};
  for (int i = 0; i < 4; ++i)
    x[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return x;
}

TEST(ReplayGuard, AcceptsFreshMessageOnce) {
  ReplayGuard guard;
  EXPECT_EQ(guard.accept("a", nonce(1), kNow, kNow), std::nullopt);
  EXPECT_EQ(guard.accept("a", nonce(1), kNow, kNow), RejectReason::Replayed);
  // The nonce is what counts, whatever the timestamp (which the signature covers anyway).
  EXPECT_EQ(guard.accept("a", nonce(1), kNow + 5, kNow + 10), RejectReason::Replayed);
  EXPECT_EQ(guard.accept("a", nonce(2), kNow, kNow), std::nullopt);
  EXPECT_EQ(guard.accept("b", nonce(1), kNow, kNow), std::nullopt) << "nonces are per sender";
}

TEST(ReplayGuard, StaleInThePastAndTheFuture) {
  ReplayGuard guard;
  EXPECT_EQ(guard.accept("a", nonce(1), kNow - kWindow - 1, kNow), RejectReason::Stale);
  EXPECT_EQ(guard.accept("a", nonce(2), kNow + kWindow + 1, kNow), RejectReason::Stale);
  EXPECT_EQ(guard.accept("a", nonce(3), kNow - kWindow, kNow), std::nullopt) << "edge: inclusive";
  EXPECT_EQ(guard.accept("a", nonce(4), kNow + kWindow, kNow), std::nullopt) << "edge: inclusive";
  EXPECT_EQ(guard.check_time(kNow, kNow), std::nullopt);
  EXPECT_EQ(guard.check_time(kNow - kWindow - 1, kNow), RejectReason::Stale);
  EXPECT_EQ(guard.size(), 2u) << "stale messages are not remembered";
}

TEST(ReplayGuard, ExtremeTimestampsDoNotOverflow) {
  ReplayGuard guard;
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(guard.accept("a", nonce(1), kMin, kNow), RejectReason::Stale);
  EXPECT_EQ(guard.accept("a", nonce(2), kMax, kNow), RejectReason::Stale);
  EXPECT_EQ(guard.accept("a", nonce(3), kMax, kMax), std::nullopt);
  EXPECT_EQ(guard.accept("a", nonce(4), kMin, kMin), RejectReason::Stale)
      << "the clock never goes back below what it has seen";
}

TEST(ReplayGuard, CustomWindow) {
  ReplayGuard guard({1000, 10, 100});
  EXPECT_EQ(guard.accept("a", nonce(1), kNow - 1001, kNow), RejectReason::Stale);
  EXPECT_EQ(guard.accept("a", nonce(1), kNow - 1000, kNow), std::nullopt);
}

TEST(ReplayGuard, NonceAcceptedAgainOnlyAfterExpiry) {
  ReplayGuard guard;
  ASSERT_EQ(guard.accept("a", nonce(1), kNow, kNow), std::nullopt);
  // Until kNow + window a message stamped kNow could still arrive: the nonce is remembered.
  EXPECT_EQ(guard.accept("a", nonce(1), kNow + kWindow, kNow + kWindow), RejectReason::Replayed);
  // After that the original message is stale, so its nonce is forgotten: a new message that
  // happens to reuse it is accepted.
  const std::int64_t later = kNow + kWindow + 1;
  EXPECT_EQ(guard.accept("a", nonce(1), later, later), std::nullopt);
  EXPECT_EQ(guard.accept("a", nonce(1), kNow, later), RejectReason::Stale) << "the original";
}

TEST(ReplayGuard, ExpiryFreesMemory) {
  ReplayGuard guard;
  for (std::uint32_t i = 0; i < 1000; ++i)
    ASSERT_EQ(guard.accept("s" + std::to_string(i % 7), nonce(i), kNow + i, kNow + i),
              std::nullopt);
  EXPECT_EQ(guard.size(), 1000u);
  guard.expire(kNow + 999 + kWindow);
  EXPECT_EQ(guard.size(), 1u) << "only the last message could still be replayed";
  guard.expire(kNow + 1000 + kWindow);
  EXPECT_EQ(guard.size(), 0u);
  EXPECT_EQ(guard.size("s0"), 0u);
}

TEST(ReplayGuard, PerSenderCap) {
  ReplayGuard guard({kWindow, 100, 1000});
  for (std::uint32_t i = 0; i < 100; ++i)
    ASSERT_EQ(guard.accept("flood", nonce(i), kNow, kNow), std::nullopt);
  EXPECT_EQ(guard.accept("flood", nonce(100), kNow, kNow), RejectReason::Overloaded);
  EXPECT_EQ(guard.accept("flood", nonce(5), kNow, kNow), RejectReason::Replayed)
      << "a full sender still gets replays reported as such";
  EXPECT_EQ(guard.accept("quiet", nonce(100), kNow, kNow), std::nullopt);
  EXPECT_EQ(guard.size("flood"), 100u);
  // Once the window has passed, the sender's quota is free again.
  EXPECT_EQ(guard.accept("flood", nonce(100), kNow + kWindow + 1, kNow + kWindow + 1),
            std::nullopt);
  EXPECT_EQ(guard.size("flood"), 1u);
}

TEST(ReplayGuard, GlobalCap) {
  ReplayGuard guard({kWindow, 10, 50});
  for (std::uint32_t i = 0; i < 50; ++i)
    ASSERT_EQ(guard.accept("s" + std::to_string(i / 10), nonce(i), kNow, kNow), std::nullopt);
  EXPECT_EQ(guard.accept("newcomer", nonce(0), kNow, kNow), RejectReason::Overloaded);
  EXPECT_EQ(guard.size(), 50u);
}

// A clock stepped back must not revive nonces forgotten at the later time.
TEST(ReplayGuard, ClockSteppingBackCannotReviveNonces) {
  ReplayGuard guard;
  ASSERT_EQ(guard.accept("a", nonce(1), kNow, kNow), std::nullopt);
  guard.expire(kNow + 2 * kWindow); // forgets nonce 1
  ASSERT_EQ(guard.size(), 0u);
  EXPECT_EQ(guard.accept("a", nonce(1), kNow, kNow + 10), RejectReason::Stale);
}

TEST(ReplayGuard, EnvelopeOverload) {
  ReplayGuard guard;
  Envelope env;
  env.sender_id = "a";
  env.timestamp_ms = kNow;
  env.nonce = filled<16>(3);
  EXPECT_EQ(guard.accept(env, kNow), std::nullopt);
  EXPECT_EQ(guard.accept(env, kNow + 1), RejectReason::Replayed);
}

} // namespace
