// Pins libraft 0.15 behaviour that RaftGroup relies on, with libraft's own in-memory fixture
// (raft/fixture.h), so that a libraft upgrade that changes it fails here first.
extern "C" {
#include <raft.h>
#include <raft/fixture.h>
}

#include <gtest/gtest.h>

namespace {

int apply_nothing(struct raft_fsm *, const struct raft_buffer *, void **result) {
  *result = nullptr;
  return 0;
}

class LibraftFixture : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(raft_fixture_initialize(&f_), 0);
    for (auto &fsm : fsms_) {
      fsm = {};
      fsm.version = 1;
      fsm.apply = &apply_nothing;
      ASSERT_EQ(raft_fixture_grow(&f_, &fsm), 0);
    }
    struct raft_configuration conf;
    ASSERT_EQ(raft_fixture_configuration(&f_, 3, &conf), 0);
    ASSERT_EQ(raft_fixture_bootstrap(&f_, &conf), 0);
    raft_configuration_close(&conf);
    ASSERT_EQ(raft_fixture_start(&f_), 0);
  }
  void TearDown() override { raft_fixture_close(&f_); }

  struct raft_fixture f_ {};
  struct raft_fsm fsms_[3];
};

} // namespace

// The lease relies on this: a leader that cannot reach a majority steps down by itself after an
// election timeout (so its pending proposals fail with RAFT_LEADERSHIPLOST).
TEST_F(LibraftFixture, ConsensusLeaderWithoutMajorityStepsDown) {
  raft_fixture_elect(&f_, 0);
  ASSERT_EQ(raft_state(raft_fixture_get(&f_, 0)), RAFT_LEADER);
  raft_fixture_disconnect(&f_, 0, 1);
  raft_fixture_disconnect(&f_, 0, 2);
  raft_fixture_disconnect(&f_, 1, 0);
  raft_fixture_disconnect(&f_, 2, 0);
  unsigned timeout = raft_fixture_get(&f_, 0)->election_timeout;
  ASSERT_TRUE(raft_fixture_step_until_state_is(&f_, 0, RAFT_FOLLOWER, 2 * timeout));
}

// RaftGroup refuses a second membership change itself, but libraft must refuse one too while
// a change is uncommitted (RAFT_CANTCHANGE): a second uncommitted change is the path to the
// 0.15 membership-rollback abort (canonical/raft #250, #323).
TEST_F(LibraftFixture, ConsensusSecondUncommittedChangeIsRefused) {
  raft_fixture_elect(&f_, 0);
  struct raft *leader = raft_fixture_get(&f_, 0);
  static int committed = -1;
  committed = -1;
  struct raft_change first {};
  struct raft_change second {};
  auto note = [](struct raft_change *, int status) { committed = status; };
  ASSERT_EQ(raft_add(leader, &first, 4, "4", note), 0);
  EXPECT_EQ(raft_add(leader, &second, 5, "5", note), RAFT_CANTCHANGE);
  EXPECT_NE(leader->configuration_uncommitted_index, 0u);
  for (int i = 0; i < 1000 && committed < 0; ++i)
    raft_fixture_step(&f_);
  EXPECT_EQ(committed, 0);
  EXPECT_EQ(leader->configuration_uncommitted_index, 0u);
}

// A follower refuses raft_apply; RaftGroup maps this to RequestError::NotLeader.
TEST_F(LibraftFixture, ConsensusApplyOnAFollowerIsNotLeader) {
  raft_fixture_elect(&f_, 0);
  struct raft *follower = raft_fixture_get(&f_, 1);
  struct raft_apply req {};
  struct raft_buffer buf {
    raft_malloc(1), 1
  };
  EXPECT_EQ(raft_apply(follower, &req, &buf, 1, nullptr), RAFT_NOTLEADER);
  raft_free(buf.base);
}
