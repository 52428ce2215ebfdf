// The libraft 0.15 membership-rollback crash (canonical/raft #250/#323): RaftGroup's guard
// steps around it, and without the guard libraft dies.
#include "consensus_sim.hpp"

#include <csignal>
#include <cstdlib>
#include <sys/wait.h>

using namespace consensus_sim;

namespace {

// Builds the libraft 0.15 membership-rollback hazard (canonical/raft #250/#323) on follower
// `f1` and returns it: a configuration change reaches f1 only, f1's committed configuration
// entry (index 1) has been compacted into a snapshot, and a new leader elected without f1
// overwrites the change. Healing then sends f1 the conflicting entries.
std::uint64_t build_rollback_hazard(Cluster &c) {
  c.timing.snapshot_threshold = 16;
  c.timing.snapshot_trailing = 4;
  c.start_all({1, 2, 3, 4, 5});
  std::uint64_t leader = c.wait_for_leader();
  for (int i = 0; i < 40; ++i)
    c.propose(leader, cmd("h" + std::to_string(i)));
  c.run_until([&] { return c.all_applied({1, 2, 3, 4, 5}, 40); }, 10000);
  std::uint64_t f1 = leader == 1 ? 2 : 1;
  for (std::uint64_t id : {1, 2, 3, 4, 5})
    if (id != leader && id != f1)
      c.cut(leader, id);
  c.cut(f1, leader); // the change reaches f1, but the leader never learns it: no commit
  c.change([](ConsensusGroup &g, RequestDone d) { g.add_nonvoter(6, "node-6", std::move(d)); },
           leader);
  c.run_for(50);
  EXPECT_FALSE(c.group(f1).status().configuration_committed);
  c.heal();
  c.partition({leader});
  c.partition({leader, f1}); // and f1 apart from the rest while they elect
  std::set<std::uint64_t> rest{1, 2, 3, 4, 5};
  rest.erase(leader);
  rest.erase(f1);
  std::uint64_t next = c.wait_for_leader(rest, 10000);
  EXPECT_NE(next, 0u);
  c.propose(next, cmd("overwrites-the-change"));
  c.run_until([&] { return c.all_applied(rest, 41); }, 5000);
  c.heal();
  c.kill(leader); // the old leader stays away; only f1 rejoins
  return f1;
}

} // namespace

TEST(ConsensusGroup, RollbackHazardRestartsTheGroupInsteadOfAborting) {
  Cluster c;
  std::uint64_t f1 = build_rollback_hazard(c);
  std::set<std::uint64_t> alive{1, 2, 3, 4, 5};
  for (std::uint64_t id : {1, 2, 3, 4, 5})
    if (!c.alive(id))
      alive.erase(id);
  ASSERT_TRUE(c.run_until([&] { return c.all_applied(alive, 41); }, 10000));
  // Once to step around the assertion, once more to drop the stale configuration.
  EXPECT_EQ(c.group(f1).status().restarts, 2u);
  EXPECT_EQ(c.node(f1).applied.back().data, cmd("overwrites-the-change"));
  EXPECT_EQ(c.group(f1).status().configuration.size(), 5u); // node 6 never joined
  c.expect_applied_logs_agree();
}

// SIGSEGV, or AddressSanitizer's report of it (a failing exit) in a sanitizer build.
bool died_of_segv(int status) {
  return (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
         (WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

// The same without the guard: libraft 0.15 dies. Debian builds libraft with NDEBUG, so the
// assertion `entry != NULL' in membershipRollback is compiled out and the NULL entry is
// dereferenced: SIGSEGV. This pins the defect; the day it stops dying here (a fixed libraft),
// the guard may be retired.
TEST(ConsensusGroupDeathTest, RollbackHazardKillsLibraftWithoutTheGuard) {
  // "fast" (fork) style: the directory made here is the child's, and is removed here after.
  GTEST_FLAG_SET(death_test_style, "fast");
  std::string root = Cluster::make_temp_directory();
  EXPECT_EXIT(
      {
        Cluster c(1, root);
        c.guard_membership_rollback = false;
        build_rollback_hazard(c);
        c.run_for(3000);
        std::exit(0);
      },
      died_of_segv, "");
  std::filesystem::remove_all(root);
}
