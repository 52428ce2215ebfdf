// Gossip building blocks (core/include/mycelium/p2p/gossip_cache.hpp): de-duplication with
// expiry and a memory cap, fanout choice, ttl.
#include "mycelium/error.hpp"
#include "mycelium/p2p/gossip_cache.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace {

using namespace mycelium;
using namespace mycelium::p2p;
using protocol::MessageId;

constexpr std::int64_t kNow = 1700000000000;
constexpr std::int64_t kRetention = 120'000;

MessageId id(std::uint8_t n) {
  MessageId m{};
  m[0] = n;
  return m;
}

TEST(GossipCache, HandlesEachMessageOnce) {
  SeenMessages seen;
  EXPECT_EQ(seen.observe(id(1), kNow, kNow), SeenResult::New);
  EXPECT_EQ(seen.observe(id(1), kNow, kNow + 5), SeenResult::Duplicate);
  EXPECT_EQ(seen.observe(id(2), kNow, kNow + 5), SeenResult::New);
  EXPECT_TRUE(seen.contains(id(1)));
  EXPECT_FALSE(seen.contains(id(3)));
  EXPECT_EQ(seen.size(), 2u);
}

TEST(GossipCache, StaleOutsideTheWindowEdgesInclusive) {
  SeenMessages seen;
  EXPECT_EQ(seen.observe(id(1), kNow - kRetention - 1, kNow), SeenResult::Stale);
  EXPECT_EQ(seen.observe(id(2), kNow - kRetention, kNow), SeenResult::New);
  EXPECT_EQ(seen.observe(id(3), kNow + 30'001, kNow), SeenResult::Stale);
  EXPECT_EQ(seen.observe(id(4), kNow + 30'000, kNow), SeenResult::New);
  EXPECT_EQ(seen.size(), 2u) << "stale messages are not remembered";
  EXPECT_STREQ(to_string(SeenResult::Stale), "stale");
}

TEST(GossipCache, IdsAreForgottenOnceTheirMessageIsStale) {
  SeenMessages seen;
  ASSERT_EQ(seen.observe(id(1), kNow, kNow), SeenResult::New);
  EXPECT_EQ(seen.observe(id(1), kNow, kNow + kRetention), SeenResult::Duplicate)
      << "the last moment it could be accepted";
  EXPECT_EQ(seen.observe(id(1), kNow, kNow + kRetention + 1), SeenResult::Stale);
  EXPECT_EQ(seen.size(), 0u);
  seen.observe(id(2), kNow + kRetention + 1, kNow + kRetention + 1);
  seen.expire(kNow + 2 * kRetention + 2);
  EXPECT_EQ(seen.size(), 0u);
}

TEST(GossipCache, ClockSteppingBackDoesNotReviveForgottenIds) {
  SeenMessages seen;
  seen.observe(id(1), kNow, kNow);
  seen.expire(kNow + kRetention + 1);
  EXPECT_FALSE(seen.contains(id(1)));
  EXPECT_EQ(seen.observe(id(1), kNow, kNow), SeenResult::Stale);
}

TEST(GossipCache, MemoryIsCappedByForgettingTheOldestEarly) {
  SeenMessages seen({kRetention, 30'000, 3});
  seen.observe(id(1), kNow + 2, kNow);
  seen.observe(id(2), kNow, kNow); // forgotten first
  seen.observe(id(3), kNow + 1, kNow);
  EXPECT_EQ(seen.observe(id(4), kNow, kNow + 5), SeenResult::New);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.evicted(), 1u);
  EXPECT_FALSE(seen.contains(id(2)));
  EXPECT_TRUE(seen.contains(id(1)));
  EXPECT_TRUE(seen.contains(id(3)));
  for (int i = 0; i < 200; ++i)
    seen.observe(id(static_cast<std::uint8_t>(i)), kNow + i, kNow + 10);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_THROW(SeenMessages({kRetention, 0, 0}), Error);
  EXPECT_THROW(SeenMessages({0, 0, 10}), Error);
}

TEST(GossipCache, ObservesSignedGossip) {
  std::uint8_t seed[kSeedSize] = {7};
  const SecretKey origin = SecretKey::from_seed(seed);
  protocol::Gossip g;
  g.origin = "node-1";
  g.ttl = 4;
  g.topic = "blocks";
  g.body = {1, 2, 3};
  g.origin_timestamp_ms = kNow;
  protocol::sign_gossip(g, origin);
  SeenMessages seen;
  EXPECT_EQ(seen.observe(g, kNow), SeenResult::New);
  // A relay changes only the ttl: still the same message.
  g.ttl = *relay_ttl(g.ttl);
  EXPECT_TRUE(protocol::verify_gossip(g, origin.public_key()));
  EXPECT_EQ(seen.observe(g, kNow + 1), SeenResult::Duplicate);
}

TEST(GossipCache, RelayTtl) {
  EXPECT_EQ(relay_ttl(0), std::nullopt);
  EXPECT_EQ(relay_ttl(1), std::nullopt) << "the last hop: handle, do not relay";
  EXPECT_EQ(relay_ttl(2), std::optional<std::uint8_t>(1));
  EXPECT_EQ(relay_ttl(255), std::optional<std::uint8_t>(254));
  // A message created with ttl T travels T hops.
  int hops = 1;
  for (std::optional<std::uint8_t> t = std::uint8_t{6}; (t = relay_ttl(*t)); ++hops) {
  }
  EXPECT_EQ(hops, 6);
}

TEST(GossipCache, FanoutExcludesTheSenderAndIsDistinct) {
  const std::vector<std::string> peers{"a", "b", "c", "b", "sender", "d", "origin", "a"};
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    SplitMix64 rng(seed);
    const auto chosen = choose_fanout(peers, 3, {"sender", "origin"}, std::ref(rng));
    ASSERT_EQ(chosen.size(), 3u);
    const std::set<std::string> unique(chosen.begin(), chosen.end());
    EXPECT_EQ(unique.size(), 3u) << "distinct";
    EXPECT_EQ(unique.count("sender"), 0u);
    EXPECT_EQ(unique.count("origin"), 0u);
  }
}

TEST(GossipCache, FanoutBounds) {
  SplitMix64 rng(1);
  const std::vector<std::string> peers{"a", "b", "sender"};
  auto all = choose_fanout(peers, 10, {"sender"}, std::ref(rng));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b"})) << "fewer candidates than fanout";
  EXPECT_TRUE(choose_fanout(peers, 0, {}, std::ref(rng)).empty());
  EXPECT_TRUE(choose_fanout({}, 3, {}, std::ref(rng)).empty());
  EXPECT_TRUE(choose_fanout({"sender"}, 3, {"sender"}, std::ref(rng)).empty());
}

TEST(GossipCache, FanoutIsDeterministicAndUniform) {
  std::vector<std::string> peers;
  for (int i = 0; i < 10; ++i)
    peers.push_back("p" + std::to_string(i));
  SplitMix64 a(42), b(42);
  EXPECT_EQ(choose_fanout(peers, 4, {}, std::ref(a)), choose_fanout(peers, 4, {}, std::ref(b)));

  std::map<std::string, int> counts;
  SplitMix64 rng(7);
  for (int trial = 0; trial < 10000; ++trial)
    for (const std::string &p : choose_fanout(peers, 3, {"p0"}, std::ref(rng)))
      ++counts[p];
  EXPECT_EQ(counts.count("p0"), 0u);
  ASSERT_EQ(counts.size(), 9u);
  for (const auto &[peer, n] : counts) // expected 10000 * 3 / 9 = 3333
    EXPECT_NEAR(n, 3333, 250) << peer;
}

TEST(GossipCache, UniformBelowRejectsTheBiasedTail) {
  std::vector<std::uint64_t> values{std::numeric_limits<std::uint64_t>::max(), 17};
  std::size_t next = 0;
  const RandomSource scripted = [&] { return values.at(next++); };
  EXPECT_EQ(uniform_below(10, scripted), 7u) << "2^64 - 1 lies in the biased tail: redrawn";
  EXPECT_EQ(next, 2u);
  EXPECT_THROW(uniform_below(0, scripted), Error);
  SplitMix64 rng(0);
  EXPECT_EQ(rng(), 0xe220a8397b1dcdafULL) << "the reference SplitMix64 sequence";
}

} // namespace
