// Admission of unauthenticated connections (core/include/mycelium/p2p/handshake_limiter.hpp):
// the per-address token bucket, the cap on pending handshakes, address grouping and the
// memory bound.
#include "mycelium/error.hpp"
#include "mycelium/p2p/handshake_limiter.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mycelium::p2p;

constexpr std::int64_t kT0 = 1700000000000;

HandshakeLimiter::Limits limits() {
  HandshakeLimiter::Limits l;
  l.per_second = 2; // one token every 500 ms
  l.burst = 3;
  l.max_pending = 100;
  l.max_addresses = 100;
  return l;
}

TEST(HandshakeLimiter, AnAddressGetsItsBurstThenIsRefused) {
  HandshakeLimiter limiter(limits());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0), Admission::Admit) << i;
  EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0), Admission::AddressRateLimited);
}

TEST(HandshakeLimiter, OtherAddressesAreNotAffected) {
  HandshakeLimiter limiter(limits());
  for (int i = 0; i < 10; ++i)
    limiter.admit("192.0.2.1", 0, kT0);
  EXPECT_EQ(limiter.admit("192.0.2.2", 0, kT0), Admission::Admit);
}

TEST(HandshakeLimiter, TokensComeBackAtTheSustainedRate) {
  HandshakeLimiter limiter(limits());
  for (int i = 0; i < 3; ++i)
    limiter.admit("192.0.2.1", 0, kT0);
  EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0 + 499), Admission::AddressRateLimited);
  // Each refused attempt spends what had refilled: the token comes 500 ms after the last one.
  EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0 + 600), Admission::AddressRateLimited);
  EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0 + 1100), Admission::Admit);
  // A long quiet spell refills only up to the burst.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0 + 60'000), Admission::Admit) << i;
  EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0 + 60'000), Admission::AddressRateLimited);
}

TEST(HandshakeLimiter, HammeringKeepsAnAddressRefused) {
  HandshakeLimiter limiter(limits());
  std::int64_t t = kT0;
  for (int i = 0; i < 3; ++i)
    limiter.admit("192.0.2.1", 0, t);
  int admitted = 0;
  for (int i = 0; i < 100; ++i, t += 100) // 10 a second against 2 allowed
    admitted += limiter.admit("192.0.2.1", 0, t) == Admission::Admit;
  EXPECT_EQ(admitted, 0);
}

TEST(HandshakeLimiter, PendingHandshakesAreCappedForEveryone) {
  HandshakeLimiter limiter(limits());
  EXPECT_EQ(limiter.admit("192.0.2.1", 99, kT0), Admission::Admit);
  EXPECT_EQ(limiter.admit("192.0.2.2", 100, kT0), Admission::TooManyPending);
}

TEST(HandshakeLimiter, MappedIPv4SharesTheBucketOfIPv4) {
  EXPECT_EQ(HandshakeLimiter::bucket_key("::ffff:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HandshakeLimiter::bucket_key("127.0.0.1"), "127.0.0.1");
  HandshakeLimiter limiter(limits());
  limiter.admit("::ffff:192.0.2.1", 0, kT0);
  limiter.admit("192.0.2.1", 0, kT0);
  limiter.admit("::ffff:192.0.2.1", 0, kT0);
  EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0), Admission::AddressRateLimited);
}

TEST(HandshakeLimiter, AnIPv6Slash64IsOneBucket) {
  EXPECT_EQ(HandshakeLimiter::bucket_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  HandshakeLimiter limiter(limits());
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(limiter.admit("2001:db8:1:2::" + std::to_string(i), 0, kT0), Admission::Admit);
  EXPECT_EQ(limiter.admit("2001:db8:1:2:ffff::9", 0, kT0), Admission::AddressRateLimited);
  EXPECT_EQ(limiter.admit("2001:db8:1:3::1", 0, kT0), Admission::Admit);
}

TEST(HandshakeLimiter, TheBucketTableIsBounded) {
  HandshakeLimiter::Limits l = limits();
  l.max_addresses = 3;
  HandshakeLimiter limiter(l);
  for (int i = 0; i < 3; ++i)
    limiter.admit("192.0.2.1", 0, kT0); // drained, the idlest once others come
  limiter.admit("192.0.2.2", 0, kT0 + 1);
  limiter.admit("192.0.2.3", 0, kT0 + 2);
  limiter.admit("192.0.2.4", 0, kT0 + 3);
  EXPECT_EQ(limiter.addresses(), 3u);
  // 192.0.2.1 was forgotten: it starts again with a full bucket.
  EXPECT_EQ(limiter.admit("192.0.2.1", 0, kT0 + 4), Admission::Admit);
  EXPECT_EQ(limiter.addresses(), 3u);
}

TEST(HandshakeLimiter, RejectsNonsenseLimits) {
  HandshakeLimiter::Limits l = limits();
  l.per_second = 0;
  EXPECT_THROW(HandshakeLimiter{l}, mycelium::Error);
  l = limits();
  l.burst = 0.5;
  EXPECT_THROW(HandshakeLimiter{l}, mycelium::Error);
  l = limits();
  l.max_pending = 0;
  EXPECT_THROW(HandshakeLimiter{l}, mycelium::Error);
}

} // namespace
