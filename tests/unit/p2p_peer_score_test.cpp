// Peer scores (core/include/mycelium/p2p/peer_score.hpp): penalties, decay, the ban threshold
// and the memory bound.
#include "mycelium/error.hpp"
#include "mycelium/p2p/peer_score.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace mycelium::p2p;

constexpr std::int64_t kT0 = 1700000000000;
constexpr std::int64_t kHalf = 1000;

ScoreParams params() {
  ScoreParams p;
  p.half_life_ms = kHalf;
  p.ban_threshold = 100;
  p.weights = {{50, 25, 20, 10, 5}};
  return p;
}

TEST(PeerScore, UnknownPeerIsZero) {
  const PeerScores scores(params());
  EXPECT_EQ(scores.score("a", kT0), 0.0);
  EXPECT_FALSE(scores.should_ban("a", kT0));
  EXPECT_EQ(scores.size(), 0u);
}

TEST(PeerScore, EachOffenceCostsItsWeight) {
  PeerScores scores(params());
  EXPECT_EQ(scores.penalize("a", Offence::InvalidSignature, kT0), -50.0);
  EXPECT_EQ(scores.penalize("b", Offence::Malformed, kT0), -25.0);
  EXPECT_EQ(scores.penalize("c", Offence::ProtocolViolation, kT0), -20.0);
  EXPECT_EQ(scores.penalize("d", Offence::Replay, kT0), -10.0);
  EXPECT_EQ(scores.penalize("e", Offence::RateLimited, kT0), -5.0);
  EXPECT_EQ(scores.penalize("e", Offence::Replay, kT0), -15.0) << "penalties add up";
  EXPECT_EQ(scores.score("a", kT0), -50.0);
  EXPECT_EQ(scores.score("z", kT0), 0.0) << "peers are scored separately";
}

TEST(PeerScore, DecaysByHalfEachHalfLifeExactly) {
  PeerScores scores(params());
  scores.penalize("a", Offence::InvalidSignature, kT0);
  scores.penalize("a", Offence::ProtocolViolation, kT0); // -70
  EXPECT_EQ(scores.score("a", kT0 + kHalf), -35.0);
  EXPECT_EQ(scores.score("a", kT0 + 2 * kHalf), -17.5);
  EXPECT_EQ(scores.score("a", kT0 + 3 * kHalf), -8.75);
  EXPECT_NEAR(scores.score("a", kT0 + kHalf / 2), -70.0 / std::sqrt(2.0), 1e-9);
  // Reading does not change anything: decay is computed from the last update.
  EXPECT_EQ(scores.score("a", kT0 + kHalf), -35.0);
}

TEST(PeerScore, DecayIsAppliedBeforeANewPenalty) {
  PeerScores scores(params());
  scores.penalize("a", Offence::InvalidSignature, kT0);                           // -50
  EXPECT_EQ(scores.penalize("a", Offence::InvalidSignature, kT0 + kHalf), -75.0); // -25 - 50
  EXPECT_EQ(scores.score("a", kT0 + 2 * kHalf), -37.5);
}

TEST(PeerScore, ClockSteppingBackNeitherDecaysNorDeepens) {
  PeerScores scores(params());
  scores.penalize("a", Offence::InvalidSignature, kT0);
  EXPECT_EQ(scores.score("a", kT0 - 5000), -50.0);
  EXPECT_EQ(scores.penalize("a", Offence::Replay, kT0 - 5000), -60.0);
  EXPECT_EQ(scores.score("a", kT0 + kHalf), -30.0) << "decay runs from the latest update time";
}

TEST(PeerScore, DecaysBackToZeroAndIsForgotten) {
  PeerScores scores(params());
  scores.penalize("a", Offence::InvalidSignature, kT0);
  // 50 / 2^13 = 0.0061 < forget_below (0.01): treated as 0.
  EXPECT_EQ(scores.score("a", kT0 + 13 * kHalf), 0.0);
  EXPECT_LT(scores.score("a", kT0 + 12 * kHalf), 0.0);
  EXPECT_EQ(scores.size(), 1u);
  scores.prune(kT0 + 12 * kHalf);
  EXPECT_EQ(scores.size(), 1u);
  scores.prune(kT0 + 13 * kHalf);
  EXPECT_EQ(scores.size(), 0u);
  // Extreme times do not overflow.
  scores.penalize("b", Offence::Malformed, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(scores.score("b", std::numeric_limits<std::int64_t>::max()), 0.0);
}

TEST(PeerScore, BanAtThresholdInclusive) {
  PeerScores scores(params());
  scores.penalize("a", Offence::InvalidSignature, kT0);
  EXPECT_FALSE(scores.should_ban("a", kT0));
  scores.penalize("a", Offence::InvalidSignature, kT0); // exactly -100
  EXPECT_TRUE(scores.should_ban("a", kT0)) << "score <= -threshold bans";
  EXPECT_TRUE(scores.should_ban("a", kT0)) << "asking twice changes nothing";
  // One millisecond of decay takes it back above the threshold.
  EXPECT_FALSE(scores.should_ban("a", kT0 + 1));
}

TEST(PeerScore, SlowOffencesDecayFasterThanTheyAddUp) {
  PeerScores scores(params());
  // A replay every half-life converges to -20, far from the threshold.
  for (int i = 0; i < 50; ++i)
    scores.penalize("slow", Offence::Replay, kT0 + i * kHalf);
  EXPECT_FALSE(scores.should_ban("slow", kT0 + 49 * kHalf));
  EXPECT_NEAR(scores.score("slow", kT0 + 49 * kHalf), -20.0, 1e-9);
  // Eleven replays in quick succession cross it (ten fall just short: 9 ms of decay).
  for (int i = 0; i < 10; ++i)
    scores.penalize("fast", Offence::Replay, kT0 + i);
  EXPECT_FALSE(scores.should_ban("fast", kT0 + 9));
  scores.penalize("fast", Offence::Replay, kT0 + 10);
  EXPECT_TRUE(scores.should_ban("fast", kT0 + 10));
}

TEST(PeerScore, Forget) {
  PeerScores scores(params());
  scores.penalize("a", Offence::InvalidSignature, kT0);
  scores.penalize("a", Offence::InvalidSignature, kT0);
  scores.forget("a");
  EXPECT_EQ(scores.score("a", kT0), 0.0);
  EXPECT_FALSE(scores.should_ban("a", kT0));
  EXPECT_EQ(scores.size(), 0u);
  scores.forget("never-seen"); // harmless
}

TEST(PeerScore, MemoryIsBoundedByDroppingTheLeastNegative) {
  ScoreParams p = params();
  p.max_peers = 3;
  PeerScores scores(p);
  scores.penalize("a", Offence::Malformed, kT0);         // -25
  scores.penalize("b", Offence::InvalidSignature, kT0);  // -50
  scores.penalize("c", Offence::RateLimited, kT0);       // -5
  scores.penalize("d", Offence::ProtocolViolation, kT0); // -20: c goes
  EXPECT_EQ(scores.size(), 3u);
  EXPECT_EQ(scores.score("c", kT0), 0.0);
  EXPECT_EQ(scores.score("a", kT0), -25.0);
  EXPECT_EQ(scores.score("b", kT0), -50.0);
  EXPECT_EQ(scores.score("d", kT0), -20.0);
  // Known peers never evict anyone.
  scores.penalize("a", Offence::Replay, kT0);
  EXPECT_EQ(scores.size(), 3u);
  // Scores decayed to 0 are dropped before anyone is evicted.
  scores.penalize("e", Offence::Replay, kT0 + 20 * kHalf);
  EXPECT_EQ(scores.size(), 1u);
  for (int i = 0; i < 1000; ++i)
    scores.penalize("peer-" + std::to_string(i), Offence::Replay, kT0 + 20 * kHalf + i);
  EXPECT_EQ(scores.size(), 3u);
}

TEST(PeerScore, EvictionTieBreaksOnThePeerId) {
  ScoreParams p = params();
  p.max_peers = 2;
  PeerScores scores(p);
  scores.penalize("b", Offence::Replay, kT0);
  scores.penalize("a", Offence::Replay, kT0);
  scores.penalize("c", Offence::Replay, kT0);
  EXPECT_EQ(scores.score("a", kT0), 0.0) << "equal scores: the smallest id goes";
  EXPECT_EQ(scores.score("b", kT0), -10.0);
  EXPECT_EQ(scores.score("c", kT0), -10.0);
}

TEST(PeerScore, RejectsInvalidParameters) {
  const auto rejects = [](auto change) {
    ScoreParams p;
    change(p);
    EXPECT_THROW(PeerScores{p}, mycelium::Error);
  };
  rejects([](ScoreParams &p) { p.half_life_ms = 0; });
  rejects([](ScoreParams &p) { p.ban_threshold = 0; });
  rejects([](ScoreParams &p) { p.ban_threshold = std::nan(""); });
  rejects([](ScoreParams &p) { p.weights[1] = -1; });
  rejects([](ScoreParams &p) { p.weights[2] = std::numeric_limits<double>::infinity(); });
  rejects([](ScoreParams &p) { p.max_peers = 0; });
  rejects([](ScoreParams &p) { p.forget_below = -1; });
  EXPECT_NO_THROW(PeerScores{});
}

TEST(PeerScore, OffenceNames) {
  EXPECT_STREQ(to_string(Offence::InvalidSignature), "invalid-signature");
  EXPECT_STREQ(to_string(Offence::Malformed), "malformed");
  EXPECT_STREQ(to_string(Offence::ProtocolViolation), "protocol-violation");
  EXPECT_STREQ(to_string(Offence::Replay), "replay");
  EXPECT_STREQ(to_string(Offence::RateLimited), "rate-limited");
}

} // namespace
