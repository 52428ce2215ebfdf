// RaftGroup (libraft 0.15 over message_io and raft_storage) in a simulated network on a virtual
// clock: elections, replication, kills and restarts, partitions and fencing, membership changes,
// disk faults, hostile bytes, leadership transfer and each leader's opening barrier.
#include "consensus_sim.hpp"

#include <fstream>

using namespace consensus_sim;

TEST(ConsensusGroup, ElectsExactlyOneLeaderWithALease) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader({}, 5000);
  ASSERT_NE(leader, 0u);
  c.run_for(500);
  EXPECT_EQ(c.leader(), leader);
  EXPECT_TRUE(c.group(leader).is_leader_with_lease(c.now));
  for (std::uint64_t id : {1, 2, 3}) {
    GroupStatus s = c.group(id).status();
    EXPECT_EQ(s.leader_id, leader) << id;
    if (id != leader) {
      EXPECT_EQ(s.role, Role::Follower);
      EXPECT_FALSE(c.group(id).is_leader_with_lease(c.now));
    }
    EXPECT_EQ(s.configuration.size(), 3u);
  }
  c.expect_one_leader_per_term();
  EXPECT_TRUE(c.rejected.empty());
}

TEST(ConsensusGroup, SingleVoterLeadsAtOnce) {
  Cluster c;
  c.start_all({1});
  EXPECT_EQ(c.group(1).status().role, Role::Leader);
  EXPECT_TRUE(c.group(1).is_leader_with_lease(c.now));
  auto p = c.propose(1, cmd("solo"));
  ASSERT_TRUE(c.run_until([&] { return done(p); }, 100));
  EXPECT_TRUE(ok(p));
}

TEST(ConsensusGroup, ProposalsCommitOnEveryMemberInOrder) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  ASSERT_NE(leader, 0u);
  std::vector<std::shared_ptr<std::optional<RequestOutcome>>> outcomes;
  for (int i = 0; i < 20; ++i)
    outcomes.push_back(c.propose(leader, cmd("w" + std::to_string(i))));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3}, 20); }, 5000));
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    ASSERT_TRUE(ok(outcomes[i])) << i;
    EXPECT_GT((*outcomes[i])->index, 1u);
    EXPECT_EQ((*outcomes[i])->term, c.group(leader).status().term);
  }
  for (std::uint64_t id : {1, 2, 3}) {
    const Node &n = c.node(id);
    ASSERT_EQ(n.applied.size(), 20u);
    for (int i = 0; i < 20; ++i)
      EXPECT_EQ(n.applied[i].data, cmd("w" + std::to_string(i)));
    EXPECT_EQ(n.applied[0].index, (*outcomes[0])->index);
    EXPECT_EQ(n.applied[0].term, (*outcomes[0])->term);
  }
  c.expect_applied_logs_agree();
}

TEST(ConsensusGroup, ProposalOnAFollowerFailsNamingTheLeader) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  c.run_for(300);
  std::uint64_t follower = leader == 1 ? 2 : 1;
  auto p = c.propose(follower, cmd("x"));
  EXPECT_FALSE(done(p)) << "never completes inside propose()";
  c.step();
  ASSERT_TRUE(done(p));
  EXPECT_EQ((*p)->error, RequestError::NotLeader);
  EXPECT_EQ((*p)->leader_id, leader);
  EXPECT_NE((*p)->message.find(std::to_string(leader)), std::string::npos);
}

TEST(ConsensusGroup, KilledLeaderIsReplacedAndRestartedNodeCatchesUp) {
  Cluster c;
  c.start_all({1, 2, 3, 4, 5});
  std::uint64_t old_leader = c.wait_for_leader();
  ASSERT_NE(old_leader, 0u);
  for (int i = 0; i < 5; ++i)
    c.propose(old_leader, cmd("before" + std::to_string(i)));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, 5); }, 5000));

  c.kill(old_leader);
  std::uint64_t killed_at = c.now;
  std::uint64_t new_leader = c.wait_for_leader({}, 10000);
  ASSERT_NE(new_leader, 0u);
  // Followers notice after one (randomised, 1x-2x) election timeout; the election takes a few
  // round trips more.
  EXPECT_LE(c.now - killed_at, 2 * c.timing.election_timeout_ms + 1000);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(c.node(new_leader).applied[i].data, cmd("before" + std::to_string(i)));

  auto after = c.propose(new_leader, cmd("after"));
  std::set<std::uint64_t> survivors;
  for (std::uint64_t id : {1, 2, 3, 4, 5})
    if (id != old_leader)
      survivors.insert(id);
  ASSERT_TRUE(c.run_until([&] { return c.all_applied(survivors, 6); }, 5000));
  EXPECT_TRUE(ok(after));

  c.start(old_leader, {}); // restarted from its directory, no bootstrap
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, 6); }, 5000));
  EXPECT_EQ(c.group(old_leader).status().role, Role::Follower);
  EXPECT_EQ(c.group(old_leader).status().leader_id, new_leader);
  EXPECT_EQ(commands_of(c.node(old_leader)), commands_of(c.node(new_leader)));
  c.expect_applied_logs_agree();
  c.expect_one_leader_per_term();
}

TEST(ConsensusGroup, WholeClusterRestartKeepsCommittedEntries) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  for (int i = 0; i < 3; ++i)
    c.propose(leader, cmd("k" + std::to_string(i)));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3}, 3); }, 5000));
  std::uint64_t term = c.group(leader).status().term;
  for (std::uint64_t id : {1, 2, 3})
    c.kill(id);
  for (std::uint64_t id : {1, 2, 3})
    c.start(id, Cluster::voters({1, 2, 3})); // not pristine: the configuration is ignored
  std::uint64_t again = c.wait_for_leader();
  ASSERT_NE(again, 0u);
  EXPECT_GT(c.group(again).status().term, term);
  c.propose(again, cmd("k3"));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3}, 4); }, 5000));
  EXPECT_EQ(c.node(1).applied[0].data, cmd("k0"));
  c.expect_applied_logs_agree();
}

TEST(ConsensusGroup, PartitionedLeaderIsFencedAndItsUncommittedEntriesAreDiscarded) {
  Cluster c;
  c.start_all({1, 2, 3, 4, 5});
  std::uint64_t old_leader = c.wait_for_leader();
  ASSERT_NE(old_leader, 0u);
  c.propose(old_leader, cmd("committed"));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, 1); }, 5000));
  ASSERT_TRUE(c.group(old_leader).is_leader_with_lease(c.now));

  std::uint64_t buddy = old_leader == 1 ? 2 : 1;
  std::set<std::uint64_t> minority{old_leader, buddy};
  std::set<std::uint64_t> majority;
  for (std::uint64_t id : {1, 2, 3, 4, 5})
    if (!minority.count(id))
      majority.insert(id);
  c.partition(minority);
  std::uint64_t cut_at = c.now;
  auto lost1 = c.propose(old_leader, cmd("lost-1"));
  auto lost2 = c.propose(old_leader, cmd("lost-2"));

  // Fencing: the lease ends within the election timeout, before anyone else can be elected.
  std::uint64_t fenced_at = 0;
  c.run_until(
      [&] {
        if (!c.group(old_leader).is_leader_with_lease(c.now)) {
          fenced_at = c.now;
          return true;
        }
        return false;
      },
      c.timing.election_timeout_ms);
  ASSERT_NE(fenced_at, 0u);
  EXPECT_LE(fenced_at - cut_at, c.timing.election_timeout_ms - c.timing.lease_margin_ms + 10);

  std::uint64_t new_leader = c.wait_for_leader(majority, 10000);
  ASSERT_NE(new_leader, 0u);
  // No overlap: the new leader was elected after the old one's lease ran out.
  std::uint64_t elected_at = c.now;
  EXPECT_GT(elected_at, fenced_at);
  EXPECT_FALSE(c.group(old_leader).is_leader_with_lease(c.now));
  auto won = c.propose(new_leader, cmd("majority-1"));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied(majority, 2); }, 5000));
  EXPECT_TRUE(ok(won));
  // The old leader stepped down on its own once it missed a majority for an election timeout.
  EXPECT_NE(c.group(old_leader).status().role, Role::Leader);
  ASSERT_TRUE(done(lost1));
  EXPECT_FALSE((*lost1)->ok());
  EXPECT_EQ((*lost1)->error, RequestError::LeadershipLost);

  c.heal();
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, 2); }, 10000));
  c.run_for(500);
  EXPECT_EQ(c.group(old_leader).status().leader_id, new_leader);
  EXPECT_EQ(c.leader(), new_leader);
  ASSERT_FALSE(c.node(old_leader).discarded.empty());
  std::uint64_t discarded_from = c.node(old_leader).discarded.front().first;
  EXPECT_EQ(discarded_from, (*lost1)->index);
  for (std::uint64_t id : {1, 2, 3, 4, 5})
    for (const Applied &a : c.node(id).applied)
      EXPECT_TRUE(a.data != cmd("lost-1") && a.data != cmd("lost-2")) << id;
  EXPECT_TRUE(done(lost2) && !(*lost2)->ok());
  c.expect_applied_logs_agree();
  c.expect_one_leader_per_term();
}

TEST(ConsensusGroup, LeaderCutOffOneWayLosesItsLease) {
  // The leader can still send but hears nothing back: its heartbeats keep the followers from
  // electing anyone, yet it must not go on accepting writes on the strength of them.
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  c.run_for(300);
  ASSERT_TRUE(c.group(leader).is_leader_with_lease(c.now));
  for (std::uint64_t id : {1, 2, 3})
    if (id != leader)
      c.cut(id, leader);
  ASSERT_TRUE(c.run_until([&] { return !c.group(leader).is_leader_with_lease(c.now); },
                          c.timing.election_timeout_ms));
}

// lease_expires_ms is what the agent publishes to its database: it must agree with
// is_leader_with_lease at every instant, never reach beyond one lease from the last majority
// acknowledgement, and be 0 on followers and after the leader is cut off.
TEST(ConsensusGroup, LeaseExpiryAgreesWithTheLeaseCheck) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  ASSERT_NE(leader, 0u);
  c.run_for(300);
  const std::uint64_t lease_ms = c.timing.election_timeout_ms - c.timing.lease_margin_ms;
  const std::uint64_t end = c.group(leader).lease_expires_ms(c.now);
  ASSERT_GT(end, c.now);
  // Renewed by heartbeats within a heartbeat or two; never beyond one lease from now.
  EXPECT_LE(end, c.now + lease_ms);
  EXPECT_GE(end + 2 * c.timing.heartbeat_ms + 50, c.now + lease_ms);
  for (std::uint64_t id : {1, 2, 3}) {
    if (id != leader) {
      EXPECT_EQ(c.group(id).lease_expires_ms(c.now), 0u) << id;
    }
  }
  // Cut off: the published end stays put (no new acknowledgements), the check agrees with it
  // at every step, and both end together.
  for (std::uint64_t id : {1, 2, 3})
    if (id != leader)
      c.cut(id, leader);
  const std::uint64_t cut_end = c.group(leader).lease_expires_ms(c.now);
  std::uint64_t ended_at = 0;
  ASSERT_TRUE(c.run_until(
      [&] {
        const std::uint64_t e = c.group(leader).lease_expires_ms(c.now);
        EXPECT_EQ(e > c.now, c.group(leader).is_leader_with_lease(c.now)) << c.now;
        if (e != 0) {
          EXPECT_LE(e, cut_end + c.timing.heartbeat_ms) << c.now; // answers already in flight
        }
        if (e == 0)
          ended_at = c.now;
        return e == 0;
      },
      c.timing.election_timeout_ms));
  EXPECT_LE(ended_at, cut_end + c.timing.heartbeat_ms + 10);
  EXPECT_FALSE(c.group(leader).is_leader_with_lease(c.now));
}

TEST(ConsensusGroup, SingleVoterLeaseIsOneLeaseFromNow) {
  Cluster c;
  c.start_all({1});
  const std::uint64_t lease_ms = c.timing.election_timeout_ms - c.timing.lease_margin_ms;
  EXPECT_EQ(c.group(1).lease_expires_ms(c.now), c.now + lease_ms);
}

TEST(ConsensusGroup, MembershipAddNonVoterPromoteThenRemove) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  for (int i = 0; i < 5; ++i)
    c.propose(leader, cmd("m" + std::to_string(i)));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3}, 5); }, 5000));

  c.start(4, {}); // a new, empty node that waits to be added
  EXPECT_EQ(c.group(4).status().role, Role::Follower);
  auto add = c.change(
      [](ConsensusGroup &g, RequestDone d) { g.add_nonvoter(4, "node-4", std::move(d)); }, leader);
  // A second change while the first is in flight is refused.
  auto busy =
      c.change([](ConsensusGroup &g, RequestDone d) { g.promote(3, std::move(d)); }, leader);
  ASSERT_TRUE(c.run_until([&] { return done(add) && done(busy); }, 5000));
  ASSERT_TRUE(ok(add)) << (*add)->message;
  EXPECT_EQ((*busy)->error, RequestError::Busy);
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({4}, 5); }, 5000));
  auto member = [&](std::uint64_t id) {
    for (const Member &m : c.group(leader).status().configuration)
      if (m.id == id)
        return std::optional<Member>(m);
    return std::optional<Member>();
  };
  ASSERT_TRUE(member(4));
  EXPECT_EQ(member(4)->role, MemberRole::Standby);

  auto promote =
      c.change([](ConsensusGroup &g, RequestDone d) { g.promote(4, std::move(d)); }, leader);
  ASSERT_TRUE(c.run_until([&] { return done(promote); }, 20000));
  ASSERT_TRUE(ok(promote)) << (*promote)->message;
  EXPECT_EQ(member(4)->role, MemberRole::Voter);

  std::uint64_t removed = leader == 3 ? 2 : 3;
  auto remove = c.change(
      [removed](ConsensusGroup &g, RequestDone d) { g.remove(removed, std::move(d)); }, leader);
  ASSERT_TRUE(c.run_until([&] { return done(remove); }, 5000));
  ASSERT_TRUE(ok(remove)) << (*remove)->message;
  EXPECT_FALSE(member(removed));
  c.kill(removed);

  // Four voters would need three; the group is now {1,2,4} minus nothing: it still commits.
  auto p = c.propose(leader, cmd("after-change"));
  std::set<std::uint64_t> members{1, 2, 3, 4};
  members.erase(removed);
  ASSERT_TRUE(c.run_until([&] { return c.all_applied(members, 6); }, 5000));
  EXPECT_TRUE(ok(p));
  // The promoted node now counts: stop one old voter and the other two still make a majority.
  std::uint64_t other = 0;
  for (std::uint64_t id : members)
    if (id != leader && id != 4)
      other = id;
  c.kill(other);
  auto q = c.propose(leader, cmd("needs-node-4"));
  ASSERT_TRUE(c.run_until([&] { return done(q); }, 5000));
  EXPECT_TRUE(ok(q));
  c.expect_applied_logs_agree();
}

TEST(ConsensusGroup, MembershipChangeOnAFollowerNamesTheLeader) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  c.run_for(300);
  std::uint64_t follower = leader == 1 ? 2 : 1;
  auto r = c.change([](ConsensusGroup &g, RequestDone d) { g.remove(3, std::move(d)); }, follower);
  c.step();
  ASSERT_TRUE(done(r));
  EXPECT_EQ((*r)->error, RequestError::NotLeader);
  EXPECT_EQ((*r)->leader_id, leader);
}

TEST(ConsensusGroup, DiskFaultOnTheLeaderFailsTheGroupWithoutAbort) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  c.propose(leader, cmd("ok"));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3}, 1); }, 5000));

  c.node(leader).storage_fault = true;
  auto p = c.propose(leader, cmd("never"));
  c.step();
  ASSERT_TRUE(done(p));
  EXPECT_EQ((*p)->error, RequestError::IoError);
  EXPECT_EQ(c.group(leader).status().role, Role::Failed);
  EXPECT_NE(c.group(leader).status().failure.find("injected"), std::string::npos);
  EXPECT_FALSE(c.group(leader).is_leader_with_lease(c.now));
  ASSERT_FALSE(c.node(leader).changes.empty());
  EXPECT_EQ(c.node(leader).changes.back().role, Role::Failed);

  std::set<std::uint64_t> others{1, 2, 3};
  others.erase(leader);
  std::uint64_t next = c.wait_for_leader(others);
  ASSERT_NE(next, 0u);
  c.propose(next, cmd("after"));
  ASSERT_TRUE(c.run_until([&] { return c.all_applied(others, 2); }, 5000));

  // The operator (or systemd) restarts the failed node once the disk is back.
  c.kill(leader);
  c.node(leader).storage_fault = false;
  c.start(leader, {});
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3}, 2); }, 5000));
  for (const Applied &a : c.node(leader).applied)
    EXPECT_NE(a.data, cmd("never"));
  c.expect_applied_logs_agree();
}

TEST(ConsensusGroup, DiskFaultOnAFollowerLeavesTheMajorityWorking) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  std::uint64_t follower = leader == 1 ? 2 : 1;
  c.node(follower).storage_fault = true;
  auto p = c.propose(leader, cmd("x"));
  ASSERT_TRUE(c.run_until([&] { return done(p); }, 5000));
  EXPECT_TRUE(ok(p));
  c.run_for(200);
  EXPECT_EQ(c.group(follower).status().role, Role::Failed);
  EXPECT_EQ(c.leader(), leader);
}

TEST(ConsensusGroup, HostileBytesAreRejectedWithoutHarm) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  ConsensusGroup &g = c.group(leader);
  std::uint64_t peer = leader == 2 ? 3 : 2;
  std::uint64_t third = 6 - leader - peer;
  std::string error;
  EXPECT_FALSE(g.deliver(peer, Bytes{}, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(g.deliver(peer, Bytes(50, 0xFF), &error));
  // Well-formed, but for another group.
  EXPECT_FALSE(
      g.deliver(peer, encode_raft_message({Cluster::kGroup + 1, TimeoutNow{99, 1, 1}}), &error));
  EXPECT_NE(error.find("group"), std::string::npos) << error;
  // Entries from a later term than the message's (libraft would trust them).
  EXPECT_FALSE(g.deliver(
      peer,
      encode_raft_message(
          {Cluster::kGroup, AppendEntries{1, 0, 0, 0, {LogEntry{5, EntryType::Command, {}}}}}),
      &error));
  EXPECT_NE(error.find("terms"), std::string::npos);
  // A message claiming to come from the node itself.
  EXPECT_FALSE(
      g.deliver(leader, encode_raft_message({Cluster::kGroup, TimeoutNow{1, 1, 1}}), &error));
  // A vote request from one peer claiming to be another candidate.
  EXPECT_FALSE(g.deliver(
      peer, encode_raft_message({Cluster::kGroup, RequestVote{99, third, 100, 99, false, false}}),
      &error));
  EXPECT_NE(error.find("candidate"), std::string::npos);
  // Random corruption of real traffic never crashes a node.
  Bytes real = encode_raft_message(
      {Cluster::kGroup, AppendEntries{1, 0, 0, 0, {LogEntry{1, EntryType::Command, cmd("z")}}}});
  std::uint32_t x = 7;
  for (int i = 0; i < 500; ++i) {
    Bytes b = real;
    x = x * 1103515245 + 12345;
    b[(x >> 8) % b.size()] ^= static_cast<std::uint8_t>(1 + (x >> 24) % 255);
    g.deliver(third, b, &error);
  }
  // A corrupted but well-formed message from a member can still disturb the group (a higher
  // term makes the leader step down, as Raft says); it must not break it.
  EXPECT_NE(c.wait_for_leader(), 0u);
  auto p = c.propose(c.leader(), cmd("still works"));
  ASSERT_TRUE(c.run_until([&] { return ok(p); }, 5000));
  c.expect_applied_logs_agree();
}

TEST(ConsensusGroup, LaggingFollowerIsRestoredFromASnapshot) {
  Cluster c;
  c.timing.snapshot_threshold = 16;
  c.timing.snapshot_trailing = 4;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  std::uint64_t lagging = leader == 1 ? 2 : 1;
  c.kill(lagging);
  for (int i = 0; i < 60; ++i)
    c.propose(leader, cmd("s" + std::to_string(i)));
  std::set<std::uint64_t> up{1, 2, 3};
  up.erase(lagging);
  ASSERT_TRUE(c.run_until([&] { return c.all_applied(up, 60); }, 10000));
  c.start(lagging, {});
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({lagging}, 60); }, 10000));
  EXPECT_GE(c.node(lagging).restores, 1u);
  EXPECT_EQ(commands_of(c.node(lagging)), commands_of(c.node(leader)));
  c.expect_applied_logs_agree();
}

TEST(ConsensusGroup, SafeUnderLossDelayAndReordering) {
  Cluster c(42);
  c.latency_ms = 2;
  c.jitter_ms = 40;
  c.drop_rate = 0.1;
  c.start_all({1, 2, 3, 4, 5});
  int proposed = 0;
  for (int round = 0; round < 40; ++round) {
    if (std::uint64_t l = c.leader(); l != 0)
      c.propose(l, cmd("r" + std::to_string(proposed++)));
    if (round == 15)
      c.partition({1, 2});
    if (round == 25)
      c.heal();
    c.run_for(150);
  }
  c.drop_rate = 0;
  c.jitter_ms = 0;
  std::uint64_t l = c.wait_for_leader();
  ASSERT_NE(l, 0u);
  auto last = c.propose(l, cmd("final"));
  ASSERT_TRUE(c.run_until([&] { return ok(last); }, 10000));
  std::size_t n = c.node(l).applied.size();
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, n); }, 10000));
  c.expect_applied_logs_agree();
  c.expect_one_leader_per_term();
}

TEST(ConsensusGroup, LeadershipTransferEndsTheLeaseAtOnce) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  c.run_for(300);
  ASSERT_TRUE(c.group(leader).is_leader_with_lease(c.now));
  std::uint64_t target = leader == 3 ? 2 : 3;
  c.group(leader).transfer_leadership(target);
  EXPECT_FALSE(c.group(leader).is_leader_with_lease(c.now));
  ASSERT_TRUE(c.run_until([&] { return c.leader() == target; }, 3000));
  c.run_for(300);
  EXPECT_TRUE(c.group(target).is_leader_with_lease(c.now));
  EXPECT_FALSE(c.group(leader).is_leader_with_lease(c.now));
  c.expect_one_leader_per_term();
}

TEST(ConsensusGroup, EachNewLeaderCommitsABarrierOfItsTermFirst) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t first = c.wait_for_leader();
  ASSERT_TRUE(c.run_until([&] { return c.group(first).is_leader_with_lease(c.now); }, 1000));
  // Index 1 is the bootstrap configuration, index 2 the leader's barrier; no command applied.
  EXPECT_EQ(c.group(first).status().commit_index, 2u);
  EXPECT_TRUE(c.node(first).applied.empty());
  c.kill(first);
  std::uint64_t second = c.wait_for_leader();
  ASSERT_NE(second, 0u);
  ASSERT_TRUE(c.run_until([&] { return c.group(second).is_leader_with_lease(c.now); }, 1000));
  EXPECT_EQ(c.group(second).status().commit_index, 3u);
  auto p = c.propose(second, cmd("x"));
  ASSERT_TRUE(c.run_until([&] { return ok(p); }, 1000));
  EXPECT_EQ((*p)->index, 4u);
}

TEST(ConsensusGroup, ThrowingStateMachineFailsTheGroupNotTheProcess) {
  Cluster c;
  c.start_all({1, 2, 3});
  std::uint64_t leader = c.wait_for_leader();
  std::uint64_t follower = leader == 1 ? 2 : 1;
  c.node(follower).apply_throws = true;
  auto p = c.propose(leader, cmd("x"));
  ASSERT_TRUE(c.run_until([&] { return done(p); }, 2000));
  EXPECT_TRUE(ok(p));
  c.run_for(200);
  GroupStatus s = c.group(follower).status();
  EXPECT_EQ(s.role, Role::Failed);
  EXPECT_NE(s.failure.find("state machine refused"), std::string::npos) << s.failure;
  EXPECT_EQ(c.leader(), leader);
}

TEST(ConsensusGroup, CorruptStorageFailsTheStartAndRefusesRequests) {
  Cluster c;
  c.start_all({1, 2, 3});
  ASSERT_NE(c.wait_for_leader(), 0u);
  c.kill(3);
  {
    std::ofstream meta(c.directory_of(3) + "/meta", std::ios::binary | std::ios::trunc);
    meta << "not a meta file at all";
  }
  c.start(3, {});
  EXPECT_EQ(c.group(3).status().role, Role::Failed);
  EXPECT_NE(c.group(3).status().failure.find("meta"), std::string::npos);
  auto p = c.propose(3, cmd("x"));
  EXPECT_FALSE(done(p));
  c.step();
  ASSERT_TRUE(done(p));
  EXPECT_EQ((*p)->error, RequestError::Shutdown);
}
