// The pure rules of an elected shard's group (consensus/shard_group.hpp): Raft ids against
// vectors computed independently (/usr/bin/python3 hashlib.blake2b, digest_size=32, over the
// SIGNING.md framing), the Epoch command's bytes and every refusal of its decoder, the
// membership policy, and the steps of taking office.
#include "mycelium/consensus/shard_group.hpp"

#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mycelium;
using namespace mycelium::consensus;

// python3: int.from_bytes(blake2b(frame(tag) + frame(v), digest_size=32).digest()[:8], 'little')
TEST(ConsensusShardGroup, RaftIdsMatchIndependentVectors) {
  EXPECT_EQ(raft_id("node-1"), 2253013400062260768ull);
  EXPECT_EQ(raft_id("node-2"), 16643849699151758508ull);
  EXPECT_EQ(raft_id("validator-3"), 5034014258904290126ull);
  EXPECT_EQ(raft_group_id("s1"), 9111100638417957552ull);
  EXPECT_EQ(raft_group_id("s-agents"), 4630937313558643232ull);
  EXPECT_EQ(raft_group_id("users"), 1844817568298829565ull);
  // The tag separates the two namespaces: a node and a shard of one name differ.
  EXPECT_NE(raft_id("users"), raft_group_id("users"));
}

TEST(ConsensusShardGroup, PeekGroupIdReadsTheHeaderOnly) {
  Bytes m{1, 0xb0, 0x1d, 0, 0, 0, 0, 0, 0x80, 6};
  EXPECT_EQ(peek_group_id(m), 0x8000000000001db0ull);
  m[0] = 2; // another version of the message format
  EXPECT_EQ(peek_group_id(m), 0u);
  EXPECT_EQ(peek_group_id(Bytes{1, 2, 3}), 0u);
}

Epoch sample_epoch() {
  Epoch e;
  e.term = 7;
  e.primary_node = "node-2";
  e.start_seq = 42;
  for (std::size_t i = 0; i < 32; ++i)
    e.start_hash[i] = static_cast<std::uint8_t>(i);
  return e;
}

// The bytes, computed with /usr/bin/python3 struct.pack('<Q', ...).
const char *kSampleHex = "01010700000000000000066e6f64652d322a00000000000000000102030405060708090a"
                         "0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(ConsensusShardGroup, EpochBytesArePinned) {
  EXPECT_EQ(to_hex(encode_epoch(sample_epoch())), kSampleHex);
  EXPECT_EQ(decode_epoch(from_hex(kSampleHex, 57, "epoch")), sample_epoch());
  Epoch first{1, "node-1", 0, {}};
  EXPECT_EQ(decode_epoch(encode_epoch(first)), first);
}

void expect_refused(const Bytes &bytes, const std::string &fragment) {
  try {
    decode_epoch(bytes);
    ADD_FAILURE() << "accepted; expected " << fragment;
  } catch (const EpochCodecError &e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ConsensusShardGroup, EpochDecoderRefusesEveryBadField) {
  const Bytes good = from_hex(kSampleHex, 57, "epoch");
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(decode_epoch(Bytes(good.begin(), good.begin() + n)), EpochCodecError) << n;
  Bytes b = good;
  b.push_back(0);
  expect_refused(b, "1 trailing bytes");
  b = good;
  b[0] = 2;
  expect_refused(b, "unknown version 2");
  b = good;
  b[1] = 9;
  expect_refused(b, "unknown kind 9");
  b = good;
  std::fill(b.begin() + 2, b.begin() + 10, 0);
  expect_refused(b, "term must be at least 1");
  b = good;
  b[2 + 7] = 0x80; // term's top byte
  expect_refused(b, "term is beyond a bigint");
  b = good;
  b[11] = ' '; // " ode-2"
  expect_refused(b, "primary_node is not a node id");
  b = good;
  b[10] = 0; // empty primary: the rest shifts, but the name is checked first
  expect_refused(b, "");
  b = good;
  b[17 + 7] = 0x80; // start_seq's top byte
  expect_refused(b, "start_seq is beyond a bigint");
  b = good;
  std::fill(b.begin() + 17, b.begin() + 25, 0); // start_seq 0 with a non-zero hash
  expect_refused(b, "start_hash must be 32 zero bytes");
}

TEST(ConsensusShardGroup, EpochEncoderRefusesWhatPeersWouldRefuse) {
  Epoch e = sample_epoch();
  e.term = 0;
  EXPECT_THROW(encode_epoch(e), EpochCodecError);
  e = sample_epoch();
  e.primary_node = std::string(64, 'a');
  EXPECT_THROW(encode_epoch(e), EpochCodecError);
  e = sample_epoch();
  e.start_seq = -1;
  EXPECT_THROW(encode_epoch(e), EpochCodecError);
}

Member member(const std::string &node, MemberRole role) {
  return Member{raft_id(node), node, role};
}

TEST(ConsensusShardGroup, MembershipAddsThenPromotesThenRemoves) {
  using K = MembershipStep::Kind;
  Membership c{member("a", MemberRole::Voter), member("z", MemberRole::Voter)};
  // b and c missing, z no longer wanted: additions first, in node id order.
  MembershipStep s = next_membership_step(c, {"a", "c", "b"}, "a");
  EXPECT_EQ(s, (MembershipStep{K::AddNonvoter, raft_id("b"), "b"}));
  c.push_back(member("b", MemberRole::Standby));
  s = next_membership_step(c, {"a", "c", "b"}, "a");
  EXPECT_EQ(s, (MembershipStep{K::AddNonvoter, raft_id("c"), "c"}));
  c.push_back(member("c", MemberRole::Spare)); // a spare is added again: it becomes a standby
  s = next_membership_step(c, {"a", "c", "b"}, "a");
  EXPECT_EQ(s.kind, K::AddNonvoter);
  c.back().role = MemberRole::Standby;
  s = next_membership_step(c, {"a", "c", "b"}, "a");
  EXPECT_EQ(s, (MembershipStep{K::Promote, raft_id("b"), ""}));
  c[2].role = MemberRole::Voter;
  c[3].role = MemberRole::Voter;
  s = next_membership_step(c, {"a", "c", "b"}, "a");
  EXPECT_EQ(s, (MembershipStep{K::Remove, raft_id("z"), "z"}));
  c.erase(c.begin() + 1);
  EXPECT_EQ(next_membership_step(c, {"a", "c", "b"}, "a").kind, K::None);
}

TEST(ConsensusShardGroup, MembershipNeverRemovesItselfAndAlwaysKeepsIt) {
  using K = MembershipStep::Kind;
  Membership c{member("self", MemberRole::Voter), member("x", MemberRole::Voter)};
  // A voters list without this node still keeps it; x goes.
  EXPECT_EQ(next_membership_step(c, {"x"}, "self").kind, K::None);
  EXPECT_EQ(next_membership_step(c, {}, "self"), (MembershipStep{K::Remove, raft_id("x"), "x"}));
  // An empty configuration (a node waiting to be added) starts with adding itself: the owner
  // only asks a leader, whose configuration holds it.
  EXPECT_EQ(next_membership_step({}, {}, "self").kind, K::AddNonvoter);
}

TEST(ConsensusShardGroup, TakeOfficeWaitsForAMajorityAndOneLease) {
  using A = TakeOffice::Action;
  TakeOffice t(2000, 750);
  // Leader since 1000, three voters: one answer besides itself is a majority.
  EXPECT_EQ(t.begin(5, 1000, 3, 1100), A::AskSync);
  EXPECT_EQ(t.step(1200), A::None);
  t.sync_answered("node-2");
  // A majority, but a previous leader's lease may still run until 1000 + 750.
  EXPECT_EQ(t.step(1700), A::None);
  EXPECT_EQ(t.phase(), TakeOffice::Phase::Syncing);
  EXPECT_EQ(t.step(1750), A::ReadHead);
  EXPECT_EQ(t.step(1760), A::None); // once
  Hash32 h{};
  h[0] = 9;
  EXPECT_EQ(t.head_read("node-1", 12, h), A::Propose);
  EXPECT_EQ(t.epoch_to_propose(), (Epoch{5, "node-1", 12, h}));
  t.committed();
  EXPECT_EQ(t.phase(), TakeOffice::Phase::Done);
}

TEST(ConsensusShardGroup, TakeOfficeNeverProposesWithoutAMajorityAndAsksAgain) {
  using A = TakeOffice::Action;
  TakeOffice t(2000, 750);
  t.begin(3, 0, 5, 0);
  t.sync_answered("node-2"); // 2 of 5: no majority
  EXPECT_EQ(t.step(1999), A::None);
  // The timeout asks the members again; it never lets a leader propose from its own head alone
  // (its chain may be behind the majority's, and its epoch would move their entries aside).
  EXPECT_EQ(t.step(2000), A::AskSync);
  EXPECT_EQ(t.phase(), TakeOffice::Phase::Syncing);
  EXPECT_EQ(t.step(3999), A::None);
  EXPECT_EQ(t.step(4000), A::AskSync);
  t.sync_answered("node-3"); // 3 of 5, node-2's answer still counted
  EXPECT_EQ(t.step(4001), A::ReadHead);
  // An empty chain proposes the zero hash whatever the head read says.
  Hash32 junk{};
  junk[3] = 1;
  EXPECT_EQ(t.head_read("node-1", 0, junk), A::Propose);
  EXPECT_EQ(t.epoch_to_propose().start_hash, Hash32{});
  t.failed();
  EXPECT_EQ(t.phase(), TakeOffice::Phase::Idle);
  // Answers outside the sync phase are not counted.
  t.sync_answered("node-4");
  EXPECT_EQ(t.answers(), 2u); // node-2's and node-3's, from the sync phase
}

TEST(ConsensusShardGroup, TakeOfficeAloneIsAMajority) {
  TakeOffice t(2000, 750);
  t.begin(2, 0, 1, 0);
  EXPECT_EQ(t.step(749), TakeOffice::Action::None);
  EXPECT_EQ(t.step(750), TakeOffice::Action::ReadHead);
}

} // namespace
