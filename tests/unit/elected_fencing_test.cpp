// elected_write_refusal: when a node may write an elected shard, and what a refused client reads.
#include "mycelium/elected_fencing.hpp"

#include <gtest/gtest.h>

namespace {

using mycelium::ElectedShard;
using mycelium::Lease;
using mycelium::LeaseLookup;

constexpr std::int64_t kNow = 100000;

ElectedShard primary(std::int64_t term) {
  return ElectedShard{"s1", true, term, std::string("node-1"), "node-1"};
}

LeaseLookup lease(std::int64_t term, std::string leader, std::int64_t expires_ms) {
  return LeaseLookup{true, Lease{term, std::move(leader), expires_ms}};
}

std::string refusal(const ElectedShard &shard, const LeaseLookup &lookup) {
  const auto r = mycelium::elected_write_refusal(shard, lookup, kNow);
  return r ? *r : "allowed";
}

TEST(ElectedFencing, APrimaryWithALeaseOfItsTermWrites) {
  EXPECT_EQ(refusal(primary(7), lease(7, "node-1", kNow + 1)), "allowed");
  // The leader's id may be missing from a report; the lease is what counts.
  EXPECT_EQ(refusal(primary(7), lease(7, "", kNow + 60000)), "allowed");
}

TEST(ElectedFencing, ExpiredOrMissingLeaseRefuses) {
  EXPECT_EQ(refusal(primary(7), lease(7, "node-1", kNow)),
            "shard \"s1\": this node's lease as primary (term 7) has expired; its group is "
            "electing a primary");
  EXPECT_EQ(refusal(primary(7), lease(7, "", 0)),
            "shard \"s1\": this node's lease as primary (term 7) has expired; its group is "
            "electing a primary");
  EXPECT_EQ(refusal(primary(7), LeaseLookup{true, std::nullopt}),
            "shard \"s1\": this node holds no lease as its primary (term 7): the local "
            "mycelium-agent has not reported the shard's group");
  EXPECT_EQ(refusal(primary(7), LeaseLookup{false, std::nullopt}),
            "shard \"s1\" is elected, but this server was started without mycelium in "
            "shared_preload_libraries: no lease can be held here, so it cannot be written");
}

TEST(ElectedFencing, ALeaseOfAnotherTermRefuses) {
  EXPECT_EQ(refusal(primary(7), lease(6, "node-1", kNow + 500)),
            "shard \"s1\": this node's lease is of term 6, not of the shard's term 7; its group "
            "is electing a primary");
  EXPECT_EQ(refusal(primary(7), lease(9, "node-3", kNow + 500)),
            "shard \"s1\" is elected and this node is no longer its primary (term 7), its group "
            "is in term 9: write to node \"node-3\"");
  EXPECT_EQ(refusal(primary(7), lease(9, "", 0)),
            "shard \"s1\" is elected and this node is no longer its primary (term 7), its group "
            "is in term 9; its group is electing a primary");
  // Elected in a newer term, but the epoch is not applied yet.
  EXPECT_EQ(refusal(primary(7), lease(8, "node-1", kNow + 500)),
            "shard \"s1\" is elected and this node is not its primary yet (term 7): it leads the "
            "shard's group in term 8 and writes once that term's epoch is applied; retry shortly");
}

TEST(ElectedFencing, TermZeroIsNeverWritable) {
  // Created, no epoch applied yet: even a lease of term 0 is no right to write.
  EXPECT_EQ(refusal(primary(0), lease(0, "node-1", kNow + 500)),
            "shard \"s1\" is elected and has no primary yet (term 0); its group is electing a "
            "primary");
}

TEST(ElectedFencing, ALeaseNamingAnotherLeaderIsNoRightToWrite) {
  EXPECT_EQ(refusal(primary(7), lease(7, "node-2", kNow + 500)),
            "shard \"s1\": the local mycelium-agent reports a lease of term 7 led by node "
            "\"node-2\", not by this node \"node-1\"");
  EXPECT_EQ(refusal(primary(7), lease(7, "node-2", 0)),
            "shard \"s1\" is elected and this node is no longer its primary (term 7): write to "
            "node \"node-2\"");
}

TEST(ElectedFencing, AReplicaNamesWhereToWrite) {
  ElectedShard replica{"s1", false, 7, std::string("node-2"), "node-1"};
  EXPECT_EQ(refusal(replica, LeaseLookup{true, std::nullopt}),
            "shard \"s1\" is elected and this node is not its primary (term 7): write to node "
            "\"node-2\"");
  // The group's current leader wins over the applied epoch's primary...
  EXPECT_EQ(refusal(replica, lease(8, "node-3", 0)),
            "shard \"s1\" is elected and this node is not its primary (term 7): write to node "
            "\"node-3\"");
  // ...unless the report is older than the epoch.
  EXPECT_EQ(refusal(replica, lease(6, "node-3", 0)),
            "shard \"s1\" is elected and this node is not its primary (term 7): write to node "
            "\"node-2\"");
  // A valid lease does not make a replica writable.
  EXPECT_EQ(refusal(replica, lease(7, "node-1", kNow + 500)),
            "shard \"s1\" is elected and this node is not its primary (term 7): write to node "
            "\"node-2\"");
  ElectedShard unknown{"s1", false, 7, std::nullopt, "node-1"};
  EXPECT_EQ(refusal(unknown, LeaseLookup{true, std::nullopt}),
            "shard \"s1\" is elected and this node is not its primary (term 7): its primary is "
            "not known here yet; retry shortly");
}

} // namespace
