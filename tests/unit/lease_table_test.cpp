// LeaseTable: the elected shards' leases the extension keeps in shared memory.
#include "mycelium/lease_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

using mycelium::Lease;
using mycelium::LeaseReport;
using mycelium::LeaseTable;

struct Table {
  explicit Table(std::size_t capacity) : memory(LeaseTable::bytes_for(capacity), 0x5a) {
    LeaseTable::format(memory.data(), capacity);
  }
  LeaseTable view() { return LeaseTable(memory.data()); }
  std::vector<unsigned char> memory;
};

LeaseReport report(std::string shard, std::int64_t term, std::string leader, std::int64_t ends) {
  return LeaseReport{std::move(shard), Lease{term, std::move(leader), ends}};
}

TEST(LeaseTable, StoresAndFindsPerDatabaseAndShard) {
  Table t(8);
  LeaseTable table = t.view();
  EXPECT_EQ(table.capacity(), 8u);
  EXPECT_FALSE(table.find(1, "s1"));
  ASSERT_EQ(table.store(1, {report("s1", 7, "node-a", 5000), report("s2", 3, "", 0)}, 1000),
            LeaseTable::StoreResult::stored);
  ASSERT_EQ(table.store(2, {report("s1", 9, "node-b", 6000)}, 1000),
            LeaseTable::StoreResult::stored);
  EXPECT_EQ(table.size(), 3u);

  const auto a = table.find(1, "s1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->term, 7);
  EXPECT_EQ(a->leader, "node-a");
  EXPECT_EQ(a->expires_ms, 5000);
  EXPECT_TRUE(a->valid_at(4999));
  EXPECT_FALSE(a->valid_at(5000));
  EXPECT_EQ(table.find(2, "s1")->term, 9);
  EXPECT_EQ(table.find(1, "s2")->leader, "");
  EXPECT_FALSE(table.find(2, "s2"));
  EXPECT_FALSE(table.find(1, "s"));   // a prefix is another shard
  EXPECT_FALSE(table.find(1, "s10")); // and so is a longer id
  EXPECT_FALSE(table.find(0, "s1"));  // oid 0 marks a free slot, never a database
}

TEST(LeaseTable, ReportsUpsertAndNeverLowerTheTerm) {
  Table t(4);
  LeaseTable table = t.view();
  table.store(1, {report("s1", 7, "node-a", 5000)}, 0);
  // Same term: the lease may end (leadership lost) or be extended.
  table.store(1, {report("s1", 7, "node-a", 0)}, 0);
  EXPECT_EQ(table.find(1, "s1")->expires_ms, 0);
  table.store(1, {report("s1", 8, "node-b", 0)}, 0);
  EXPECT_EQ(table.find(1, "s1")->leader, "node-b");
  // A late report of an older term is skipped; the others of the same call are stored.
  ASSERT_EQ(table.store(1, {report("s1", 7, "node-a", 9000), report("s2", 1, "x", 1)}, 0),
            LeaseTable::StoreResult::stored);
  EXPECT_EQ(table.find(1, "s1")->term, 8);
  EXPECT_EQ(table.find(1, "s1")->leader, "node-b");
  EXPECT_EQ(table.find(1, "s1")->expires_ms, 0);
  EXPECT_EQ(table.find(1, "s2")->term, 1);
  EXPECT_EQ(table.size(), 2u);
}

TEST(LeaseTable, EraseForgetsADroppedShardSoItsNextGroupStartsLow) {
  Table t(4);
  LeaseTable table = t.view();
  table.store(1, {report("s1", 8, "node-b", 5000), report("s2", 2, "node-a", 5000)}, 0);
  table.store(2, {report("s1", 4, "node-c", 5000)}, 0);
  EXPECT_TRUE(table.erase(1, "s1"));
  EXPECT_FALSE(table.erase(1, "s1")); // gone already
  EXPECT_FALSE(table.erase(0, "s1"));
  EXPECT_FALSE(table.find(1, "s1"));
  EXPECT_EQ(table.find(2, "s1")->term, 4); // another database's shard of that name stays
  EXPECT_EQ(table.find(1, "s2")->term, 2);
  EXPECT_EQ(table.size(), 2u);
  // The shard created again: its new group's term 1 is taken (it would be skipped as late had
  // the old entry of term 8 stayed).
  table.store(1, {report("s1", 1, "node-a", 5000)}, 0);
  EXPECT_EQ(table.find(1, "s1")->term, 1);
}

TEST(LeaseTable, FullStoresNothingUnlessEndedLeasesMakeRoom) {
  Table t(3);
  LeaseTable table = t.view();
  ASSERT_EQ(
      table.store(
          1, {report("a", 1, "n", 100), report("b", 1, "n", 2000), report("c", 1, "n", 3000)}, 0),
      LeaseTable::StoreResult::stored);
  // Updating held shards needs no room.
  EXPECT_EQ(table.store(1, {report("a", 2, "n", 150)}, 0), LeaseTable::StoreResult::stored);
  // Two new shards at t=120: no lease has ended, nothing fits, nothing changes.
  EXPECT_EQ(
      table.store(1, {report("b", 5, "n", 0), report("d", 1, "n", 1), report("e", 1, "n", 1)}, 120),
      LeaseTable::StoreResult::full);
  EXPECT_EQ(table.find(1, "b")->term, 1);
  EXPECT_FALSE(table.find(1, "d"));
  EXPECT_EQ(table.size(), 3u);
  // At t=200 "a" has ended, but one slot is no room for two: still nothing changes, "a" stays.
  EXPECT_EQ(table.store(1, {report("d", 1, "n", 1), report("e", 1, "n", 1)}, 200),
            LeaseTable::StoreResult::full);
  EXPECT_TRUE(table.find(1, "a"));
  EXPECT_EQ(table.size(), 3u);
  // At t=2500 "a" and "b" have ended: they make room for two.
  EXPECT_EQ(table.store(1, {report("d", 1, "n", 1), report("e", 1, "n", 1)}, 2500),
            LeaseTable::StoreResult::stored);
  EXPECT_FALSE(table.find(1, "a"));
  EXPECT_FALSE(table.find(1, "b"));
  EXPECT_EQ(table.find(1, "c")->expires_ms, 3000);
  EXPECT_TRUE(table.find(1, "d"));
  EXPECT_TRUE(table.find(1, "e"));
  EXPECT_EQ(table.size(), 3u);
}

// Removing entries from the middle of probe chains must leave every remaining entry findable
// (backward-shift deletion), for any mix of collisions: fill, expire every other one, check all.
TEST(LeaseTable, EveryEntryStaysFindableAfterRemovals) {
  constexpr int kCapacity = 200;
  Table t(kCapacity);
  LeaseTable table = t.view();
  std::vector<LeaseReport> all;
  for (int i = 0; i < kCapacity; ++i)
    all.push_back(report("shard-" + std::to_string(i), i + 1, "node", i % 2 ? 10 : 1000));
  ASSERT_EQ(table.store(7, all, 0), LeaseTable::StoreResult::stored);
  for (const LeaseReport &r : all)
    ASSERT_EQ(table.find(7, r.shard_id)->term, r.lease.term) << r.shard_id;
  // One new shard at t=500: the 100 odd ones (ended at 10) go.
  ASSERT_EQ(table.store(7, {report("new", 1, "n", 2000)}, 500), LeaseTable::StoreResult::stored);
  EXPECT_EQ(table.size(), 101u);
  for (int i = 0; i < kCapacity; ++i) {
    const auto found = table.find(7, all[i].shard_id);
    if (i % 2)
      EXPECT_FALSE(found) << all[i].shard_id;
    else
      ASSERT_TRUE(found && found->term == i + 1) << all[i].shard_id;
  }
  std::set<std::string> listed;
  for (const LeaseReport &r : table.entries(7))
    listed.insert(r.shard_id);
  EXPECT_EQ(listed.size(), 101u);
  EXPECT_TRUE(listed.count("new"));
  EXPECT_TRUE(table.entries(8).empty());
}

TEST(LeaseTable, LongestIdsFit) {
  Table t(2);
  LeaseTable table = t.view();
  const std::string shard(48, 's');
  const std::string leader(63, 'n');
  table.store(1, {report(shard, 1, leader, 5)}, 0);
  EXPECT_EQ(table.find(1, shard)->leader, leader);
  EXPECT_EQ(table.entries(1).at(0).shard_id, shard);
}

TEST(LeaseClock, MonotonicAndBootId) {
  const std::int64_t a = mycelium::monotonic_now_ms();
  const std::int64_t b = mycelium::monotonic_now_ms();
  EXPECT_GT(a, 0);
  EXPECT_LE(a, b);
  const std::string boot = mycelium::read_boot_id();
  // Linux: a UUID, 36 characters, no newline.
  EXPECT_EQ(boot.size(), 36u) << boot;
  EXPECT_EQ(boot.find('\n'), std::string::npos);
}

} // namespace
