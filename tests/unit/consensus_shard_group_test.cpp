// The pure rules of an elected shard's group (consensus/shard_group.hpp): Raft ids against
// vectors computed independently (/usr/bin/python3 hashlib.blake2b, digest_size=32, over the
// SIGNING.md framing), the Epoch command's bytes and every refusal of its decoder, the epoch
// history (the snapshot's bytes, every refusal, the old one-epoch snapshot, what a restore
// queues), the membership policy, and the steps of taking office.
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

// --- The epoch history (the state machine and its snapshot) --------------------------------

Epoch epoch_of(std::uint64_t term, const std::string &node = "node-1") {
  Epoch e;
  e.term = term;
  e.primary_node = node;
  e.start_seq = static_cast<std::int64_t>(term * 10);
  e.start_hash.fill(static_cast<std::uint8_t>(term));
  return e;
}

std::vector<Epoch> epochs(std::uint64_t from, std::uint64_t to) {
  std::vector<Epoch> out;
  for (std::uint64_t t = from; t <= to; ++t)
    out.push_back(epoch_of(t));
  return out;
}

std::vector<std::uint64_t> terms(const std::vector<Epoch> &history) {
  std::vector<std::uint64_t> out;
  for (const Epoch &e : history)
    out.push_back(e.term);
  return out;
}

// The bytes, computed with /usr/bin/python3 struct.pack('<I'/'<H'/'<Q', ...): header, then
// Epoch{1, node-1, 0, zeros} and sample_epoch(), each after its u16 length (57).
const char *kHistoryHex = "010202000000390001010100000000000000066e6f64652d3100000000000000000000"
                          "0000000000000000000000000000000000000000000000000000000000003900010107"
                          "00000000000000066e6f64652d322a00000000000000000102030405060708090a0b0c"
                          "0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(ConsensusShardGroup, EpochHistoryBytesArePinnedAndRoundTrip) {
  const std::vector<Epoch> two{Epoch{1, "node-1", 0, {}}, sample_epoch()};
  EXPECT_EQ(to_hex(encode_epoch_history(two)), kHistoryHex);
  EXPECT_EQ(decode_epoch_history(from_hex(kHistoryHex, 124, "history")), two);
  EXPECT_EQ(to_hex(encode_epoch_history({})), "010200000000");
  EXPECT_TRUE(decode_epoch_history(encode_epoch_history({})).empty());
  // The largest snapshot: kMaxEpochHistory epochs with 63-byte node ids stays below the links'
  // default max_frame_bytes (1 MiB).
  std::vector<Epoch> full;
  for (std::uint64_t t = 1; t <= kMaxEpochHistory; ++t)
    full.push_back(epoch_of(t * 3, std::string(63, 'n')));
  const Bytes big = encode_epoch_history(full);
  EXPECT_EQ(big.size(), 950278u);
  EXPECT_LT(big.size(), 1u << 20);
  EXPECT_EQ(decode_epoch_history(big), full);
}

TEST(ConsensusShardGroup, EpochHistoryReadsTheOneEpochSnapshotsOfBefore) {
  // Before the history, the snapshot was the latest epoch's command, or empty before the first.
  EXPECT_TRUE(decode_epoch_history(Bytes{}).empty());
  EXPECT_EQ(decode_epoch_history(from_hex(kSampleHex, 57, "epoch")),
            std::vector<Epoch>{sample_epoch()});
  // Read as strictly as the command itself.
  Bytes b = from_hex(kSampleHex, 57, "epoch");
  b.push_back(0);
  EXPECT_THROW(decode_epoch_history(b), EpochCodecError);
  b = from_hex(kSampleHex, 57, "epoch");
  std::fill(b.begin() + 2, b.begin() + 10, 0);
  EXPECT_THROW(decode_epoch_history(b), EpochCodecError);
}

void expect_history_refused(const Bytes &bytes, const std::string &fragment) {
  try {
    decode_epoch_history(bytes);
    ADD_FAILURE() << "accepted; expected " << fragment;
  } catch (const EpochCodecError &e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ConsensusShardGroup, EpochHistoryDecoderRefusesEveryBadField) {
  const Bytes good = from_hex(kHistoryHex, 124, "history");
  // Every truncation (the empty one is the old format's empty snapshot).
  for (std::size_t n = 1; n < good.size(); ++n)
    EXPECT_THROW(decode_epoch_history(Bytes(good.begin(), good.begin() + n)), EpochCodecError) << n;
  Bytes b = good;
  b.push_back(0);
  expect_history_refused(b, "1 trailing bytes after the last epoch");
  b = good;
  b[0] = 2;
  expect_history_refused(b, "epoch history: unknown version 2");
  b = good;
  b[1] = 3;
  expect_history_refused(b, "epoch history: unknown kind 3");
  b = good;
  b[2] = 3; // three epochs announced, two present
  expect_history_refused(b, "epoch length runs past the end");
  b = good;
  b[2] = 1; // one announced, two present
  expect_history_refused(b, "trailing bytes after the last epoch");
  // A count above the cap is refused before anything is read (or allocated).
  const std::uint32_t over = kMaxEpochHistory + 1;
  b = Bytes{1, 2, static_cast<std::uint8_t>(over), static_cast<std::uint8_t>(over >> 8), 0, 0};
  expect_history_refused(b, "count 8193 is above 8192");
  b = Bytes{1, 2, 0xff, 0xff, 0xff, 0xff};
  expect_history_refused(b, "is above 8192");
  // An epoch's length that cuts it short or takes a byte of the next.
  b = good;
  b[6] = 56;
  expect_history_refused(b, "epoch 0: epoch command:");
  b = good;
  b[6] = 58;
  expect_history_refused(b, "epoch 0: epoch command:");
  // An epoch its own decoder refuses: the second one's term 0, then its kind.
  const std::size_t second = 6 + 2 + 57 + 2;
  b = good;
  std::fill(b.begin() + second + 2, b.begin() + second + 10, 0);
  expect_history_refused(b, "epoch 1: epoch command: term must be at least 1");
  b = good;
  b[second + 1] = 2;
  expect_history_refused(b, "epoch 1: epoch command: unknown kind 2");
  // Terms must increase strictly: the second epoch's term made 1 (equal), then the first's 9.
  b = good;
  b[second + 2] = 1;
  expect_history_refused(b, "term 1 follows term 1");
  b = good;
  b[6 + 2 + 2] = 9;
  expect_history_refused(b, "term 7 follows term 9");
}

TEST(ConsensusShardGroup, EpochHistoryEncoderRefusesWhatPeersWouldRefuse) {
  EXPECT_THROW(encode_epoch_history(epochs(1, kMaxEpochHistory + 1)), EpochCodecError);
  EXPECT_NO_THROW(encode_epoch_history(epochs(1, kMaxEpochHistory)));
  EXPECT_THROW(encode_epoch_history({epoch_of(2), epoch_of(2)}), EpochCodecError);
  EXPECT_THROW(encode_epoch_history({epoch_of(3), epoch_of(2)}), EpochCodecError);
  Epoch bad = epoch_of(4);
  bad.primary_node = "not a node";
  EXPECT_THROW(encode_epoch_history({epoch_of(3), bad}), EpochCodecError);
}

TEST(ConsensusShardGroup, RecordEpochAppendsNewerTermsAndKeepsTheCap) {
  std::vector<Epoch> h;
  EXPECT_TRUE(record_epoch(h, epoch_of(1)));
  EXPECT_TRUE(record_epoch(h, epoch_of(3)));
  EXPECT_FALSE(record_epoch(h, epoch_of(3))); // a replay
  EXPECT_FALSE(record_epoch(h, epoch_of(2)));
  EXPECT_EQ(terms(h), (std::vector<std::uint64_t>{1, 3}));
  h = epochs(1, kMaxEpochHistory);
  EXPECT_TRUE(record_epoch(h, epoch_of(kMaxEpochHistory + 1)));
  ASSERT_EQ(h.size(), kMaxEpochHistory);
  EXPECT_EQ(h.front().term, 2u); // the oldest dropped
  EXPECT_EQ(h.back().term, kMaxEpochHistory + 1);
}

TEST(ConsensusShardGroup, RestoreQueuesEveryEpochTheMemberMissed) {
  // A member that applied epochs 1 and 2, down while 3 to 6 committed, then sent a snapshot:
  // it applies 3, 4, 5 and 6, in order, not only 6.
  std::vector<Epoch> h = epochs(1, 2);
  std::vector<Epoch> queued = restore_epoch_history(h, epochs(1, 6), 2);
  EXPECT_EQ(terms(queued), (std::vector<std::uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(h, epochs(1, 6));

  // The agent restarted: nothing in memory, the database at term 6. Only the epoch of its own
  // term is queued again ('already', which refreshes a primary's replicas); older ones would
  // be 'stale'.
  h.clear();
  queued = restore_epoch_history(h, epochs(1, 6), 6);
  EXPECT_EQ(terms(queued), (std::vector<std::uint64_t>{6}));
  EXPECT_EQ(h, epochs(1, 6));

  // A database that never applied any: every epoch.
  h.clear();
  queued = restore_epoch_history(h, epochs(1, 4), 0);
  EXPECT_EQ(terms(queued), (std::vector<std::uint64_t>{1, 2, 3, 4}));

  // A group restarted in the same process: its history is ahead of the snapshot on disk (the
  // log replays the rest), nothing is queued again and nothing is lost.
  h = epochs(1, 9);
  queued = restore_epoch_history(h, epochs(1, 7), 3);
  EXPECT_TRUE(queued.empty());
  EXPECT_EQ(h, epochs(1, 9));

  // The snapshot of before: one epoch.
  h = epochs(1, 2);
  queued = restore_epoch_history(h, decode_epoch_history(encode_epoch(epoch_of(5))), 2);
  EXPECT_EQ(terms(queued), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(terms(h), (std::vector<std::uint64_t>{1, 2, 5}));

  // The union is capped: the oldest go.
  h = epochs(1, 5);
  queued = restore_epoch_history(h, epochs(101, 100 + kMaxEpochHistory), 0);
  EXPECT_EQ(queued, epochs(101, 100 + kMaxEpochHistory));
  EXPECT_EQ(h, epochs(101, 100 + kMaxEpochHistory));
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
