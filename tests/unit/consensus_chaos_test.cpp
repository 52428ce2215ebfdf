// Randomised runs of five RaftGroups, one test per seed: crashes and restarts, partitions, loss
// and reordering, membership changes and disk faults. Each run ends by repairing everything and
// checking that the members agree, catch up and accept a new command.
#include "consensus_sim.hpp"

#include <cstdio>
#include <cstdlib>

using namespace consensus_sim;

// Chaos with crashes: for several seeds, random kills and restarts (never more than a minority
// down), partitions, loss and reordering, with proposals throughout. Afterwards the network is
// repaired, everyone is restarted, and all must agree and make progress.
class ConsensusChaos : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ConsensusChaos, AgreesAndRecovers) {
  std::uint64_t seed = GetParam();
  Cluster c(seed);
  std::mt19937_64 rng(seed * 7919);
  c.latency_ms = 2;
  c.jitter_ms = 30;
  c.drop_rate = 0.05;
  c.timing.snapshot_threshold = 32;
  c.timing.snapshot_trailing = 8;
  c.timing.install_snapshot_timeout_ms = 2000; // a lost snapshot is resent within the test
  c.start_all({1, 2, 3, 4, 5});
  std::set<std::uint64_t> down;
  int proposed = 0;
  for (int round = 0; round < 60; ++round) {
    std::uint64_t pick = 1 + rng() % 5;
    switch (rng() % 6) {
    case 0:
      if (down.size() < 2 && !down.count(pick)) {
        c.kill(pick);
        down.insert(pick);
      }
      break;
    case 1:
      if (down.count(pick)) {
        c.start(pick, {});
        down.erase(pick);
      }
      break;
    case 2:
      c.partition({pick, 1 + rng() % 5});
      break;
    case 3:
      c.heal();
      break;
    default:
      break;
    }
    if (std::uint64_t l = c.leader(); l != 0)
      for (int k = 0; k < 3; ++k)
        c.propose(l, cmd("c" + std::to_string(proposed++)));
    c.run_for(100 + rng() % 400);
  }
  c.heal();
  c.drop_rate = 0;
  c.jitter_ms = 0;
  for (std::uint64_t id : down)
    c.start(id, {});
  std::uint64_t l = c.wait_for_leader({}, 20000);
  ASSERT_NE(l, 0u);
  auto last = c.propose(l, cmd("final"));
  ASSERT_TRUE(c.run_until([&] { return done(last); }, 10000));
  if (!ok(last)) { // leadership moved meanwhile: once more on the current leader
    l = c.wait_for_leader({}, 20000);
    last = c.propose(l, cmd("final-2"));
    ASSERT_TRUE(c.run_until([&] { return ok(last); }, 10000));
  }
  std::size_t n = c.node(l).applied.size();
  bool caught_up = c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, n); }, 20000);
  for (std::uint64_t id : {1, 2, 3, 4, 5}) {
    GroupStatus s = c.group(id).status();
    EXPECT_TRUE(caught_up) << "node " << id << " " << to_string(s.role) << " term " << s.term
                           << " leader " << s.leader_id << " commit " << s.commit_index
                           << " applied " << s.last_applied << " last " << s.last_index << " has "
                           << c.node(id).applied.size() << "/" << n << " restarts " << s.restarts
                           << " restores " << c.node(id).restores << " " << s.failure;
  }
  for (std::size_t i = 0; i < c.rejected.size() && i < 5; ++i)
    ADD_FAILURE() << "rejected: " << c.rejected[i];
  ASSERT_TRUE(caught_up);
  c.expect_applied_logs_agree();
  c.expect_one_leader_per_term();
  EXPECT_TRUE(c.rejected.empty()) << c.rejected.front();
  for (std::uint64_t id : {1, 2, 3, 4, 5})
    EXPECT_NE(c.group(id).status().role, Role::Failed) << id;
}

INSTANTIATE_TEST_SUITE_P(Seeds, ConsensusChaos, ::testing::Range<std::uint64_t>(1, 9));

// Membership changes under chaos: node 6 is added as a non-voter, promoted, and node 1 removed,
// each retried until it succeeds, while the network loses and reorders messages and members
// crash and restart. This is where libraft 0.15 rolls configurations back.
class ConsensusMembershipChaos : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ConsensusMembershipChaos, ChangesCompleteAndEveryoneAgrees) {
  std::uint64_t seed = GetParam();
  Cluster c(seed);
  std::mt19937_64 rng(seed * 104729);
  c.latency_ms = 2;
  c.jitter_ms = 30;
  c.drop_rate = 0.05;
  c.timing.snapshot_threshold = 16;
  c.timing.snapshot_trailing = 4;
  c.timing.install_snapshot_timeout_ms = 2000;
  c.start_all({1, 2, 3, 4, 5});
  c.start(6, {});
  enum Step { Add, Promote, Remove, Done } step = Add;
  std::shared_ptr<std::optional<RequestOutcome>> pending;
  std::set<std::uint64_t> down;
  int proposed = 0;
  for (int round = 0; round < 400 && step != Done; ++round) {
    std::uint64_t pick = 2 + rng() % 4; // 1 and 6 stay up: they are the ones changing
    if (rng() % 8 == 0) {
      if (down.empty()) {
        c.kill(pick);
        down.insert(pick);
      } else {
        for (std::uint64_t id : down)
          c.start(id, {});
        down.clear();
      }
    }
    std::uint64_t l = c.leader();
    if (l != 0) {
      c.propose(l, cmd("m" + std::to_string(proposed++)));
      if (pending && pending->has_value()) {
        if ((*pending)->ok())
          step = static_cast<Step>(step + 1);
        else if (std::getenv("MYC_CONSENSUS_TRACE"))
          std::fprintf(stderr, "step %d: %s %s\n", step, to_string((*pending)->error),
                       (*pending)->message.c_str());
        pending.reset();
      }
      if (!pending && step != Done) {
        pending = c.change(
            [step](ConsensusGroup &g, RequestDone d) {
              if (step == Add)
                g.add_nonvoter(6, "node-6", std::move(d));
              else if (step == Promote)
                g.promote(6, std::move(d));
              else
                g.remove(1, std::move(d));
            },
            l);
      }
    }
    c.run_for(50 + rng() % 200);
  }
  ASSERT_EQ(step, Done);
  c.drop_rate = 0;
  c.jitter_ms = 0;
  for (std::uint64_t id : down)
    c.start(id, {});
  c.kill(1);
  std::uint64_t l = c.wait_for_leader({}, 20000);
  ASSERT_NE(l, 0u);
  auto last = c.propose(l, cmd("final"));
  ASSERT_TRUE(c.run_until([&] { return done(last); }, 10000));
  if (!ok(last)) {
    l = c.wait_for_leader({}, 20000);
    last = c.propose(l, cmd("final-2"));
    ASSERT_TRUE(c.run_until([&] { return ok(last); }, 10000));
  }
  std::size_t n = c.node(l).applied.size();
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({2, 3, 4, 5, 6}, n); }, 20000));
  if (std::getenv("MYC_CONSENSUS_TRACE"))
    for (std::uint64_t id : {2, 3, 4, 5, 6})
      std::fprintf(stderr, "node %llu restarts %llu\n", static_cast<unsigned long long>(id),
                   static_cast<unsigned long long>(c.group(id).status().restarts));
  for (const Member &m : c.group(l).status().configuration)
    EXPECT_TRUE(m.id != 1 && (m.id != 6 || m.role == MemberRole::Voter)) << m.id;
  c.expect_applied_logs_agree();
  c.expect_one_leader_per_term();
}

INSTANTIATE_TEST_SUITE_P(Seeds, ConsensusMembershipChaos, ::testing::Range<std::uint64_t>(1, 9));

// Disk faults under chaos: now and then a member's disk fails (any write: term, vote, append,
// truncate, snapshot). The member must fail alone, without taking the process down; it is
// restarted from its files once the disk is back, as an operator or systemd would.
class ConsensusDiskFaultChaos : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ConsensusDiskFaultChaos, FailedMembersRecoverAndEveryoneAgrees) {
  std::uint64_t seed = GetParam();
  Cluster c(seed);
  std::mt19937_64 rng(seed * 31337);
  c.latency_ms = 2;
  c.jitter_ms = 20;
  c.timing.snapshot_threshold = 16;
  c.timing.snapshot_trailing = 4;
  c.timing.install_snapshot_timeout_ms = 2000;
  c.start_all({1, 2, 3, 4, 5});
  int proposed = 0;
  int failures = 0;
  for (int round = 0; round < 80; ++round) {
    std::uint64_t pick = 1 + rng() % 5;
    if (rng() % 5 == 0 && !c.node(pick).storage_fault)
      c.node(pick).storage_fault = true;
    for (std::uint64_t id : {1, 2, 3, 4, 5}) {
      Node &n = c.node(id);
      if (n.group && n.group->status().role == Role::Failed) {
        ++failures;
        c.kill(id);
        n.storage_fault = false;
        c.start(id, {});
      }
    }
    int faulty = 0;
    for (std::uint64_t id : {1, 2, 3, 4, 5})
      faulty += c.node(id).storage_fault ? 1 : 0;
    if (faulty > 2) // keep a majority of healthy disks
      for (std::uint64_t id : {1, 2, 3, 4, 5})
        c.node(id).storage_fault = false;
    if (std::uint64_t l = c.leader(); l != 0)
      c.propose(l, cmd("d" + std::to_string(proposed++)));
    c.run_for(100 + rng() % 300);
  }
  for (std::uint64_t id : {1, 2, 3, 4, 5}) {
    Node &n = c.node(id);
    n.storage_fault = false;
    if (n.group->status().role == Role::Failed) {
      c.kill(id);
      c.start(id, {});
    }
  }
  std::uint64_t l = c.wait_for_leader({}, 20000);
  ASSERT_NE(l, 0u) << c.describe();
  auto last = c.propose(l, cmd("final"));
  ASSERT_TRUE(c.run_until([&] { return done(last); }, 10000)) << c.describe();
  if (!ok(last)) {
    l = c.wait_for_leader({}, 20000);
    last = c.propose(l, cmd("final-2"));
    ASSERT_TRUE(c.run_until([&] { return ok(last); }, 10000));
  }
  std::size_t n = c.node(l).applied.size();
  ASSERT_TRUE(c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, n); }, 20000));
  EXPECT_GT(failures, 0);
  c.expect_applied_logs_agree();
  c.expect_one_leader_per_term();
}

INSTANTIATE_TEST_SUITE_P(Seeds, ConsensusDiskFaultChaos, ::testing::Range<std::uint64_t>(1, 9));
