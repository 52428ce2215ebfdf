// RaftGroup, the libraft 0.15 implementation of ConsensusGroup, shared by its source files:
// raft_group.cpp (lifecycle, delivery, leadership reports, status), raft_group_lease.cpp (the
// opening barrier and the lease), raft_group_requests.cpp (proposals, membership, transfer),
// raft_group_rollback_guard.cpp (the membership-rollback guard and in-process restart) and
// raft_group_fsm.cpp (libraft's state machine callbacks). Private to core/src/consensus.
#pragma once

#include "message_io.hpp"
#include "mycelium/consensus/raft_group.hpp"

#include <map>
#include <optional>

namespace mycelium::consensus::detail {

RequestError error_from_raft(int status);
Role role_from_raft(int state);

class RaftGroup;

// A libraft request and what to tell the owner when it completes; freed in the callback.
struct ProposalRequest {
  struct raft_apply req {};
  RaftGroup *group;
  RequestDone done;
  std::uint64_t term;
};

struct BarrierRequest {
  struct raft_barrier req {};
  RaftGroup *group;
  std::uint64_t term;
};

struct ChangeRequest {
  struct raft_change req {};
  RaftGroup *group;
  RequestDone done;
  std::function<void(RequestDone)> next_step; // add_nonvoter's second change
};

class RaftGroup final : public ConsensusGroup {
public:
  RaftGroup(RaftGroupOptions options, GroupCallbacks callbacks)
      : options_(std::move(options)), callbacks_(std::move(callbacks)) {
    if (options_.random_seed == 0)
      options_.random_seed = options_.self_id * 0x9E3779B97F4A7C15ull + 1;
  }
  ~RaftGroup() override { close_raft(); }

  void start() override;
  void stop() override { stop_requested_ = true; }
  bool deliver(std::uint64_t from, const Bytes &bytes, std::string *error) override;
  void tick() override;
  void propose(Bytes command, RequestDone done) override;
  void add_nonvoter(std::uint64_t id, const std::string &address, RequestDone done) override;
  void promote(std::uint64_t id, RequestDone done) override;
  void remove(std::uint64_t id, RequestDone done) override;
  void transfer_leadership(std::uint64_t to_id) override;
  bool is_leader_with_lease(std::uint64_t now_ms) const override;
  std::uint64_t lease_expires_ms(std::uint64_t now_ms) const override;
  GroupStatus status() const override;

  void complete_proposal(ProposalRequest *request, int status);
  void complete_change(ChangeRequest *request, int status);
  void complete_term_barrier(BarrierRequest *request, int status);

private:
  static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result);
  static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs);
  static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf);
  static RaftGroup &self(struct raft_fsm *fsm) { return *static_cast<RaftGroup *>(fsm->data); }

  bool running() const { return started_ && !closed_ && !io_->failed(); }
  void fail(const std::string &why);
  void after_libraft_call(bool run_completions = true);
  void open_term_if_new_leader();
  void report_leadership();
  void close_raft();
  void note_acknowledgement(std::uint64_t from, const RaftMessageBody &body);
  std::string check_rollback_hazard(const RaftMessageBody &body);
  std::uint64_t first_conflict(const AppendEntries &message) const;
  void restart_from_storage();
  void note_truncation(std::uint64_t first);
  std::uint64_t known_leader() const;
  std::optional<int> role_of(std::uint64_t id) const;
  void finish_now(const RequestDone &done, RequestOutcome outcome);
  bool refuse_change(const RequestDone &done);
  void submit_change(RequestDone done, std::function<int(struct raft_change *)> call,
                     std::function<void(RequestDone)> next_step = nullptr);

  struct Acknowledgement {
    std::uint64_t term = 0;
    std::uint64_t at_ms = 0;
  };

  RaftGroupOptions options_;
  GroupCallbacks callbacks_;
  std::unique_ptr<RaftStorage> storage_;
  std::unique_ptr<MessageIo> io_;
  struct raft raft_ {};
  struct raft_fsm fsm_ {};
  struct raft_transfer transfer_ {};
  bool initialized_ = false;
  bool started_ = false;
  bool closed_ = false;
  bool stop_requested_ = false;
  bool change_in_flight_ = false;
  bool restart_pending_ = false;
  std::uint64_t restarts_ = 0;
  std::uint64_t barrier_term_ = 0; // the term whose opening barrier was proposed
  std::uint64_t ready_term_ = 0;   // the term whose opening barrier is applied here
  std::string failure_;
  // Outcomes of requests made while the group has no io (start() failed early).
  std::vector<std::function<void()>> unstarted_completions_;
  std::map<std::uint64_t, Acknowledgement> acknowledgements_;
  LeadershipChange reported_{Role::Unavailable, 0, 0};
};

} // namespace mycelium::consensus::detail
