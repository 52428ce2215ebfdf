// The blacklist (core/include/mycelium/p2p/blacklist_policy.hpp): local bans, shared entries
// from active validators only, the stake-share policy and expiry.
#include "mycelium/error.hpp"
#include "mycelium/p2p/blacklist_policy.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace mycelium;
using namespace mycelium::p2p;
using protocol::BlacklistEntry;

constexpr std::int64_t kNow = 1700000000000;

SecretKey key_from(std::uint8_t fill) {
  std::uint8_t seed[kSeedSize];
  for (std::size_t i = 0; i < kSeedSize; ++i)
    seed[i] = static_cast<std::uint8_t>(fill + i);
  return SecretKey::from_seed(seed);
}

// Active validators v1 (stake 10), v2 (20), v3 (30): 60 in all. v4 is an inactive validator
// with stake 40 and m1 an active miner with stake 50: neither counts.
class BlacklistPolicy : public ::testing::Test {
protected:
  BlacklistPolicy() {
    add("v1", 1, true, true, 10);
    add("v2", 2, true, true, 20);
    add("v3", 3, true, true, 30);
    add("v4", 4, false, true, 40);
    add("m1", 5, true, false, 50);
  }

  void add(const std::string &id, std::uint8_t fill, bool active, bool validator,
           std::uint64_t stake) {
    keys_.emplace(id, std::make_unique<SecretKey>(key_from(fill)));
    directory_.set(id, NodeInfo{keys_.at(id)->public_key(), active, validator, stake});
  }

  void set_active(const std::string &id, bool active) {
    NodeInfo info = *directory_.find(id);
    info.active = active;
    directory_.set(id, info);
  }

  BlacklistEntry entry(const std::string &creator, const std::string &node = "bad",
                       std::int64_t created = kNow, std::int64_t expires = kNow + 60'000) const {
    BlacklistEntry e;
    e.node_id = node;
    e.reason = "invalid signatures";
    e.created_by = creator;
    e.created_at_ms = created;
    e.expires_at_ms = expires;
    protocol::sign_blacklist_entry(e, *keys_.at(creator));
    return e;
  }

  NodeDirectory directory_;
  std::map<std::string, std::unique_ptr<SecretKey>> keys_;
};

TEST_F(BlacklistPolicy, OneThirdOfTheStakeBansBelowDoesNot) {
  {
    Blacklist list(directory_); // 1/3, one validator
    EXPECT_EQ(list.offer(entry("v1"), kNow), OfferResult::Accepted);
    const BanStatus s = list.status("bad", kNow);
    EXPECT_EQ(s.vouching_stake, 10u);
    EXPECT_EQ(s.total_stake, 60u) << "inactive validators and miners are not in the total";
    EXPECT_FALSE(s.banned) << "10 of 60 is below 1/3";
  }
  {
    Blacklist list(directory_);
    EXPECT_EQ(list.offer(entry("v2"), kNow), OfferResult::Accepted);
    EXPECT_TRUE(list.is_banned("bad", kNow)) << "20 of 60 is exactly 1/3: >= bans";
    EXPECT_FALSE(list.is_banned("good", kNow));
  }
  {
    Blacklist list(directory_);
    list.offer(entry("v1"), kNow);
    list.offer(entry("v2"), kNow);
    const BanStatus s = list.status("bad", kNow);
    EXPECT_EQ(s.vouching_stake, 30u);
    EXPECT_EQ(s.vouching_validators, 2u);
    EXPECT_TRUE(s.banned) << "30 of 60 is above 1/3";
    EXPECT_FALSE(s.local);
  }
}

TEST_F(BlacklistPolicy, ExactTieRuleAtTheThreshold) {
  // Total 61: 20 * 3 = 60 < 61, so 20 no longer reaches one third.
  add("v5", 6, true, true, 1);
  Blacklist list(directory_);
  list.offer(entry("v2"), kNow);
  EXPECT_FALSE(list.is_banned("bad", kNow));
  list.offer(entry("v5"), kNow); // 21 * 3 = 63 >= 61
  EXPECT_TRUE(list.is_banned("bad", kNow));
}

TEST_F(BlacklistPolicy, OtherSharesAndMinimumValidators) {
  p2p::BlacklistPolicy policy;
  policy.stake_num = 1;
  policy.stake_den = 2;
  policy.min_validators = 2;
  Blacklist list(directory_, policy);
  list.offer(entry("v3"), kNow);
  EXPECT_FALSE(list.is_banned("bad", kNow)) << "30 of 60 is half, but from one validator";
  list.offer(entry("v1"), kNow);
  EXPECT_TRUE(list.is_banned("bad", kNow));

  policy.stake_num = policy.stake_den = 1; // unanimity
  policy.min_validators = 1;
  Blacklist all(directory_, policy);
  all.offer(entry("v1"), kNow);
  all.offer(entry("v3"), kNow);
  EXPECT_FALSE(all.is_banned("bad", kNow));
  all.offer(entry("v2"), kNow);
  EXPECT_TRUE(all.is_banned("bad", kNow));
}

TEST_F(BlacklistPolicy, OnlyActiveValidatorsAreHeard) {
  Blacklist list(directory_);
  EXPECT_EQ(list.offer(entry("v4"), kNow), OfferResult::InactiveCreator);
  EXPECT_EQ(list.offer(entry("m1"), kNow), OfferResult::NotValidator);
  BlacklistEntry stranger = entry("v1");
  stranger.created_by = "nobody";
  EXPECT_EQ(list.offer(stranger, kNow), OfferResult::UnknownCreator);
  EXPECT_EQ(list.shared_entries(), 0u);
  EXPECT_FALSE(list.is_banned("bad", kNow));
  EXPECT_FALSE(is_offence(OfferResult::InactiveCreator));
}

TEST_F(BlacklistPolicy, BadSignaturesAreIgnored) {
  Blacklist list(directory_);
  BlacklistEntry forged = entry("v2");
  forged.created_by = "v3"; // signed by v2, claimed by v3
  EXPECT_EQ(list.offer(forged, kNow), OfferResult::BadSignature);
  BlacklistEntry tampered = entry("v2");
  tampered.expires_at_ms += 1;
  EXPECT_EQ(list.offer(tampered, kNow), OfferResult::BadSignature);
  tampered = entry("v2");
  tampered.node_id = "someone-else";
  EXPECT_EQ(list.offer(tampered, kNow), OfferResult::BadSignature);
  EXPECT_TRUE(is_offence(OfferResult::BadSignature));
  EXPECT_EQ(list.shared_entries(), 0u);
  EXPECT_FALSE(list.is_banned("bad", kNow));
  EXPECT_FALSE(list.is_banned("someone-else", kNow));
}

TEST_F(BlacklistPolicy, ExpiryLiftsTheBan) {
  Blacklist list(directory_);
  ASSERT_EQ(list.offer(entry("v2", "bad", kNow, kNow + 1000), kNow), OfferResult::Accepted);
  EXPECT_TRUE(list.is_banned("bad", kNow + 999));
  EXPECT_FALSE(list.is_banned("bad", kNow + 1000)) << "expiry is exclusive";
  EXPECT_EQ(list.entries_to_share(kNow + 999).size(), 1u);
  EXPECT_TRUE(list.entries_to_share(kNow + 1000).empty());
  EXPECT_EQ(list.shared_entries(), 1u);
  list.expire(kNow + 1000);
  EXPECT_EQ(list.shared_entries(), 0u);
  EXPECT_EQ(list.offer(entry("v2", "bad", kNow, kNow + 1000), kNow + 1000), OfferResult::Expired);
  // expires_at_ms 0 means never (PROTOCOL.md "BlacklistSync").
  ASSERT_EQ(list.offer(entry("v2", "bad", kNow, 0), kNow), OfferResult::Accepted);
  EXPECT_TRUE(list.is_banned("bad", kNow + 100LL * 365 * 24 * 3600 * 1000));
}

TEST_F(BlacklistPolicy, ValidatorsLosingTheirStatusStopCounting) {
  Blacklist list(directory_);
  list.offer(entry("v2"), kNow);
  ASSERT_TRUE(list.is_banned("bad", kNow));
  set_active("v2", false); // the total drops to 40; v2 no longer vouches
  EXPECT_FALSE(list.is_banned("bad", kNow));
  EXPECT_TRUE(list.entries_to_share(kNow).empty()) << "nor is its entry passed on";
  set_active("v2", true);
  EXPECT_TRUE(list.is_banned("bad", kNow));
}

TEST_F(BlacklistPolicy, NoValidatorStakeBansNoOne) {
  NodeDirectory poor;
  const SecretKey k = key_from(9);
  poor.set("v", NodeInfo{k.public_key(), true, true, 0});
  Blacklist list(poor);
  BlacklistEntry e;
  e.node_id = "bad";
  e.created_by = "v";
  e.created_at_ms = kNow;
  e.expires_at_ms = kNow + 1000;
  protocol::sign_blacklist_entry(e, k);
  EXPECT_EQ(list.offer(e, kNow), OfferResult::Accepted);
  EXPECT_FALSE(list.is_banned("bad", kNow));
}

TEST_F(BlacklistPolicy, OneVotePerValidatorTheLatestStands) {
  Blacklist list(directory_);
  const BlacklistEntry first = entry("v2", "bad", kNow, kNow + 1000);
  EXPECT_EQ(list.offer(first, kNow), OfferResult::Accepted);
  EXPECT_EQ(list.offer(first, kNow), OfferResult::Duplicate);
  const BlacklistEntry later = entry("v2", "bad", kNow + 10, kNow + 5000);
  EXPECT_EQ(list.offer(later, kNow + 10), OfferResult::Accepted);
  EXPECT_EQ(list.offer(first, kNow + 10), OfferResult::Superseded);
  EXPECT_EQ(list.shared_entries(), 1u);
  EXPECT_EQ(list.status("bad", kNow + 10).vouching_stake, 20u) << "counted once";
  EXPECT_TRUE(list.is_banned("bad", kNow + 2000)) << "the later entry's expiry";
}

TEST_F(BlacklistPolicy, EntriesToShareKeepTheirSignatures) {
  Blacklist list(directory_);
  list.offer(entry("v3", "b"), kNow);
  list.offer(entry("v1", "a"), kNow);
  list.offer(entry("v2", "a"), kNow);
  const std::vector<BlacklistEntry> shared = list.entries_to_share(kNow);
  ASSERT_EQ(shared.size(), 3u);
  EXPECT_EQ(shared[0], entry("v1", "a"));
  EXPECT_EQ(shared[1], entry("v2", "a"));
  EXPECT_EQ(shared[2], entry("v3", "b"));
  Blacklist other(directory_);
  for (const BlacklistEntry &e : shared)
    EXPECT_EQ(other.offer(e, kNow), OfferResult::Accepted) << "they verify at the next hop";
}

TEST_F(BlacklistPolicy, LocalBans) {
  Blacklist list(directory_);
  list.ban("p", kNow + 1000, "score below threshold");
  EXPECT_TRUE(list.is_banned("p", kNow));
  const BanStatus s = list.status("p", kNow + 999);
  EXPECT_TRUE(s.banned);
  EXPECT_TRUE(s.local);
  EXPECT_EQ(s.local_reason, "score below threshold");
  EXPECT_FALSE(list.is_banned("p", kNow + 1000));
  list.ban("p", kNow + 5000, "again");
  list.ban("p", kNow + 2000, "shorter: ignored");
  EXPECT_TRUE(list.is_banned("p", kNow + 4999));
  EXPECT_EQ(list.status("p", kNow).local_reason, "again");
  EXPECT_TRUE(list.entries_to_share(kNow).empty()) << "local bans are not shared";
  list.expire(kNow + 5000);
  EXPECT_EQ(list.local_bans(), 0u);
}

TEST_F(BlacklistPolicy, LiftRemovesBansAndRefusesOlderEntries) {
  Blacklist list(directory_);
  list.ban("bad", kNow + 60'000, "local");
  list.offer(entry("v2"), kNow);
  list.offer(entry("v3"), kNow);
  ASSERT_TRUE(list.is_banned("bad", kNow));
  list.lift("bad", kNow + 100);
  EXPECT_FALSE(list.is_banned("bad", kNow + 100));
  EXPECT_EQ(list.shared_entries(), 0u);
  EXPECT_EQ(list.offer(entry("v2"), kNow + 200), OfferResult::Lifted) << "re-sent by a peer";
  EXPECT_EQ(list.offer(entry("v2", "bad", kNow + 100), kNow + 200), OfferResult::Lifted);
  EXPECT_EQ(list.offer(entry("v2", "bad", kNow + 101), kNow + 200), OfferResult::Accepted)
      << "a decision made after the lift counts";
  EXPECT_TRUE(list.is_banned("bad", kNow + 200));
}

TEST_F(BlacklistPolicy, RefusesMalformedFutureAndOverflow) {
  p2p::BlacklistPolicy policy;
  policy.max_entries = 2;
  Blacklist list(directory_, policy);
  BlacklistEntry e = entry("v1", "");
  EXPECT_EQ(list.offer(e, kNow), OfferResult::Malformed);
  EXPECT_EQ(list.offer(entry("v1", "bad", kNow, kNow), kNow - 10), OfferResult::Malformed)
      << "expires no later than it was made";
  EXPECT_EQ(list.offer(entry("v1", "bad", kNow + 60'001, kNow + 120'000), kNow),
            OfferResult::FromFuture);
  EXPECT_EQ(list.offer(entry("v1", "bad", kNow + 60'000, kNow + 120'000), kNow),
            OfferResult::Accepted)
      << "skew limit inclusive";
  EXPECT_EQ(list.offer(entry("v1", "b2", kNow, kNow + 10), kNow), OfferResult::Accepted);
  EXPECT_EQ(list.offer(entry("v1", "b3"), kNow), OfferResult::Full);
  EXPECT_EQ(list.offer(entry("v1", "b3"), kNow + 10), OfferResult::Accepted)
      << "room is made by dropping expired entries";
  EXPECT_EQ(list.shared_entries(), 2u);
}

TEST_F(BlacklistPolicy, RejectsInvalidPolicies) {
  const auto rejects = [this](auto change) {
    p2p::BlacklistPolicy p;
    change(p);
    EXPECT_THROW(Blacklist(directory_, p), Error);
  };
  rejects([](p2p::BlacklistPolicy &p) { p.stake_den = 0; });
  rejects([](p2p::BlacklistPolicy &p) { p.stake_num = 0; });
  rejects([](p2p::BlacklistPolicy &p) { p.stake_num = 4; });
  rejects([](p2p::BlacklistPolicy &p) { p.min_validators = 0; });
  rejects([](p2p::BlacklistPolicy &p) { p.max_entries = 0; });
  rejects([](p2p::BlacklistPolicy &p) { p.max_clock_skew_ms = -1; });
  EXPECT_STREQ(to_string(OfferResult::BadSignature), "bad-signature");
  EXPECT_STREQ(to_string(OfferResult::Accepted), "accepted");
}

TEST_F(BlacklistPolicy, HugeStakesDoNotOverflow) {
  NodeDirectory rich;
  const SecretKey a = key_from(20), b = key_from(40);
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  rich.set("a", NodeInfo{a.public_key(), true, true, max / 2});
  rich.set("b", NodeInfo{b.public_key(), true, true, max / 2});
  EXPECT_EQ(rich.active_validator_stake(), max - 1);
  Blacklist list(rich);
  BlacklistEntry e;
  e.node_id = "bad";
  e.created_by = "a";
  e.created_at_ms = kNow;
  e.expires_at_ms = kNow + 1000;
  protocol::sign_blacklist_entry(e, a);
  list.offer(e, kNow);
  EXPECT_TRUE(list.is_banned("bad", kNow)) << "half of the stake is above one third";
}

// The agent's one registry: it lists every node by id (GET /peers) and keeps the stake as
// stated beside its whole units (min_stake compares the former, the stake rule sums the latter).
TEST(P2pNodeDirectory, ListsNodesByIdWithBothStakes) {
  NodeDirectory directory;
  directory.set("b", NodeInfo{key_from(2).public_key(), true, false, 0, 0.25});
  directory.set("a", NodeInfo{key_from(1).public_key(), true, true, 3, 2.5});
  std::vector<std::string> ids;
  for (const auto &[id, info] : directory)
    ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(directory.find("a")->stake, 3u);
  EXPECT_EQ(directory.find("a")->stake_exact, 2.5);
  EXPECT_EQ(directory.active_validator_stake(), 3u) << "whole units, validators only";
}

} // namespace
