// A node's part in gossip (core/include/mycelium/p2p/gossip_relay.hpp): deliver once, verify
// before relaying, never back to the sender or the origin, stop when the ttl runs out.
#include "mycelium/p2p/gossip_relay.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace mycelium;
using namespace mycelium::p2p;

constexpr std::int64_t kNow = 1700000000000;

SecretKey key_of(std::uint8_t n) {
  std::uint8_t seed[kSeedSize] = {};
  seed[0] = n;
  return SecretKey::from_seed(seed);
}

struct Network {
  NodeDirectory directory;
  SplitMix64 rng{7};
  Network() {
    for (std::uint8_t n = 1; n <= 5; ++n)
      directory.set("n" + std::to_string(n), NodeInfo{key_of(n).public_key(), true, true, 10});
  }
  GossipRelay relay(const std::string &self, std::size_t fanout = 3) {
    return GossipRelay(directory, self, fanout, [this] { return rng(); });
  }
};

const std::vector<std::string> kPeers = {"n1", "n2", "n3", "n4", "n5"};

TEST(GossipRelay, OriginatedMessageIsSignedAndNeverSentToItself) {
  Network net;
  GossipRelay n1 = net.relay("n1", 10);
  std::vector<std::string> targets;
  const protocol::Gossip g = n1.originate(key_of(1), "t", {1, 2}, 4, kNow, kPeers, targets);
  EXPECT_TRUE(protocol::verify_gossip(g, key_of(1).public_key()));
  EXPECT_EQ(targets.size(), 4u);
  EXPECT_EQ(std::count(targets.begin(), targets.end(), "n1"), 0);
  // Our own message coming back is a duplicate, not delivered twice.
  EXPECT_EQ(n1.receive(g, "n2", kNow, kPeers).verdict, GossipVerdict::Duplicate);
}

TEST(GossipRelay, DeliversOnceAndRelaysAwayFromSenderAndOrigin) {
  Network net;
  GossipRelay n1 = net.relay("n1"), n3 = net.relay("n3", 10);
  std::vector<std::string> targets;
  const protocol::Gossip g = n1.originate(key_of(1), "t", {}, 4, kNow, kPeers, targets);
  GossipOutcome out = n3.receive(g, "n2", kNow, kPeers);
  EXPECT_EQ(out.verdict, GossipVerdict::Deliver);
  ASSERT_TRUE(out.relay_ttl);
  EXPECT_EQ(*out.relay_ttl, 3);
  std::sort(out.relay_targets.begin(), out.relay_targets.end());
  EXPECT_EQ(out.relay_targets, (std::vector<std::string>{"n4", "n5"}));
  EXPECT_EQ(n3.receive(g, "n4", kNow, kPeers).verdict, GossipVerdict::Duplicate);
}

TEST(GossipRelay, LastHopIsDeliveredButNotRelayed) {
  Network net;
  GossipRelay n1 = net.relay("n1"), n2 = net.relay("n2");
  std::vector<std::string> targets;
  const protocol::Gossip g = n1.originate(key_of(1), "t", {}, 1, kNow, kPeers, targets);
  const GossipOutcome out = n2.receive(g, "n1", kNow, kPeers);
  EXPECT_EQ(out.verdict, GossipVerdict::Deliver);
  EXPECT_FALSE(out.relay_ttl);
  EXPECT_TRUE(out.relay_targets.empty());
}

TEST(GossipRelay, ForgedMessageIsRefusedAndDoesNotBlockTheGenuineOne) {
  Network net;
  GossipRelay n1 = net.relay("n1"), n2 = net.relay("n2");
  std::vector<std::string> targets;
  const protocol::Gossip genuine = n1.originate(key_of(1), "t", {9}, 4, kNow, kPeers, targets);
  protocol::Gossip forged = genuine;
  forged.origin_signature = key_of(5).sign(protocol::gossip_signing_bytes(genuine));
  EXPECT_EQ(n2.receive(forged, "n5", kNow, kPeers).verdict, GossipVerdict::BadSignature);
  protocol::Gossip altered = genuine;
  altered.body = {8}; // the id no longer matches the content
  EXPECT_EQ(n2.receive(altered, "n5", kNow, kPeers).verdict, GossipVerdict::BadSignature);
  EXPECT_EQ(n2.receive(genuine, "n1", kNow, kPeers).verdict, GossipVerdict::Deliver);
}

TEST(GossipRelay, UnknownOriginAndStaleMessagesAreDropped) {
  Network net;
  GossipRelay n2 = net.relay("n2");
  GossipRelay stranger(net.directory, "n9", 3, [] { return 1u; });
  std::vector<std::string> targets;
  EXPECT_EQ(n2.receive(stranger.originate(key_of(9), "t", {}, 4, kNow, kPeers, targets), "n1", kNow,
                       kPeers)
                .verdict,
            GossipVerdict::UnknownOrigin);
  GossipRelay n1 = net.relay("n1");
  const protocol::Gossip old =
      n1.originate(key_of(1), "t", {}, 4, kNow - 10 * 60 * 1000, kPeers, targets);
  EXPECT_EQ(n2.receive(old, "n1", kNow, kPeers).verdict, GossipVerdict::Stale);
}

TEST(GossipRelay, FloodReachesEveryNodeOfALine) {
  // n1 - n2 - n3 - n4 - n5: each node knows only its neighbours; ttl 4 is exactly enough.
  Network net;
  std::vector<GossipRelay> relays;
  for (int n = 1; n <= 5; ++n)
    relays.push_back(net.relay("n" + std::to_string(n)));
  auto neighbours = [](int n) {
    std::vector<std::string> out;
    if (n > 1)
      out.push_back("n" + std::to_string(n - 1));
    if (n < 5)
      out.push_back("n" + std::to_string(n + 1));
    return out;
  };
  std::vector<std::string> targets;
  protocol::Gossip g = relays[0].originate(key_of(1), "t", {}, 4, kNow, neighbours(1), targets);
  int delivered = 0;
  std::string from = "n1";
  for (int n = 2; n <= 5; ++n) {
    const GossipOutcome out = relays[n - 1].receive(g, from, kNow, neighbours(n));
    ASSERT_EQ(out.verdict, GossipVerdict::Deliver) << n;
    ++delivered;
    if (n < 5) {
      ASSERT_TRUE(out.relay_ttl) << n;
      EXPECT_EQ(out.relay_targets, std::vector<std::string>{"n" + std::to_string(n + 1)});
      g.ttl = *out.relay_ttl;
    } else {
      EXPECT_FALSE(out.relay_ttl); // arrived with ttl 1
    }
    from = "n" + std::to_string(n);
  }
  EXPECT_EQ(delivered, 4);
}

} // namespace
