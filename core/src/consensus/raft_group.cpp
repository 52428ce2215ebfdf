#include "raft_group_impl.hpp"

#include <climits>
#include <utility>

namespace mycelium::consensus {

const char *to_string(Role role) {
  switch (role) {
  case Role::Unavailable:
    return "unavailable";
  case Role::Follower:
    return "follower";
  case Role::Candidate:
    return "candidate";
  case Role::Leader:
    return "leader";
  case Role::Failed:
    return "failed";
  }
  return "?";
}

const char *to_string(RequestError error) {
  switch (error) {
  case RequestError::None:
    return "none";
  case RequestError::NotLeader:
    return "not leader";
  case RequestError::LeadershipLost:
    return "leadership lost";
  case RequestError::Shutdown:
    return "shut down";
  case RequestError::Busy:
    return "busy";
  case RequestError::IoError:
    return "I/O error";
  case RequestError::Invalid:
    return "invalid";
  case RequestError::Other:
    return "other";
  }
  return "?";
}

namespace detail {

RequestError error_from_raft(int status) {
  switch (status) {
  case 0:
    return RequestError::None;
  case RAFT_NOTLEADER:
    return RequestError::NotLeader;
  case RAFT_LEADERSHIPLOST:
    return RequestError::LeadershipLost;
  case RAFT_SHUTDOWN:
  case RAFT_CANCELED:
    return RequestError::Shutdown;
  case RAFT_CANTCHANGE:
    return RequestError::Busy;
  case RAFT_IOERR:
  case RAFT_NOSPACE:
    return RequestError::IoError;
  case RAFT_BADID:
  case RAFT_NOTFOUND:
  case RAFT_BADROLE:
  case RAFT_DUPLICATEID:
  case RAFT_DUPLICATEADDRESS:
    return RequestError::Invalid;
  default:
    return RequestError::Other;
  }
}

Role role_from_raft(int state) {
  switch (state) {
  case RAFT_FOLLOWER:
    return Role::Follower;
  case RAFT_CANDIDATE:
    return Role::Candidate;
  case RAFT_LEADER:
    return Role::Leader;
  default:
    return Role::Unavailable;
  }
}

void RaftGroup::fail(const std::string &why) {
  if (failure_.empty())
    failure_ = why;
  if (io_)
    io_->mark_failed(why);
  stop_requested_ = true;
}

void RaftGroup::start() {
  if (started_ || initialized_)
    return;
  try {
    storage_ = std::make_unique<RaftStorage>(
        RaftStorage::Options{options_.directory, options_.inject_storage_fault});
    storage_->load();
  } catch (const StorageError &e) {
    failure_ = e.what();
    report_leadership();
    return;
  }
  MessageIo::Hooks hooks;
  hooks.group_id = options_.group_id;
  hooks.send = callbacks_.send;
  hooks.clock_ms = options_.clock_ms;
  hooks.random_seed = options_.random_seed;
  hooks.limits = options_.limits;
  hooks.on_truncated = [this](std::uint64_t first, std::uint64_t count) {
    note_truncation(first);
    if (callbacks_.entries_discarded)
      callbacks_.entries_discarded(first, count);
  };
  hooks.admit = [this](std::uint64_t from, const RaftMessageBody &body) {
    note_acknowledgement(from, body);
    return check_rollback_hazard(body);
  };
  io_ = std::make_unique<MessageIo>(*storage_, std::move(hooks));

  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &RaftGroup::fsm_apply;
  fsm_.snapshot = &RaftGroup::fsm_snapshot;
  fsm_.restore = &RaftGroup::fsm_restore;
  int rv = raft_init(&raft_, io_->io(), &fsm_, options_.self_id, options_.self_address.c_str());
  if (rv != 0) {
    fail(std::string("raft_init: ") + raft_strerror(rv));
    report_leadership();
    return;
  }
  initialized_ = true;
  const RaftTiming &t = options_.timing;
  raft_set_election_timeout(&raft_, t.election_timeout_ms);
  raft_set_heartbeat_timeout(&raft_, t.heartbeat_ms);
  bool can_snapshot = callbacks_.snapshot && callbacks_.restore;
  raft_set_snapshot_threshold(&raft_, can_snapshot ? t.snapshot_threshold : UINT_MAX);
  raft_set_snapshot_trailing(&raft_, t.snapshot_trailing);
  raft_set_pre_vote(&raft_, t.pre_vote);
  raft_set_install_snapshot_timeout(&raft_, t.install_snapshot_timeout_ms);

  if (storage_->pristine() && !options_.initial_configuration.empty()) {
    struct raft_configuration conf;
    rv = to_raft_configuration(options_.initial_configuration, &conf);
    if (rv == 0) {
      rv = raft_bootstrap(&raft_, &conf);
      raft_configuration_close(&conf);
    }
    if (rv != 0) {
      fail(std::string("bootstrap: ") + raft_strerror(rv) + ": " + raft_errmsg(&raft_));
      report_leadership();
      return;
    }
  }
  rv = raft_start(&raft_);
  if (rv != 0) {
    fail(std::string("raft_start: ") + raft_strerror(rv) + ": " + raft_errmsg(&raft_));
    report_leadership();
    return;
  }
  started_ = true;
  after_libraft_call();
}

void RaftGroup::close_raft() {
  if (!initialized_ || closed_)
    return;
  closed_ = true;
  // Our io completes the close synchronously, so libraft's memory is released on return.
  raft_close(&raft_, nullptr);
  report_leadership();
}

bool RaftGroup::deliver(std::uint64_t from, const Bytes &bytes, std::string *error) {
  if (!running()) {
    if (error != nullptr)
      *error = "the group is not running";
    return false;
  }
  bool accepted = io_->deliver(from, bytes.data(), bytes.size(), error);
  after_libraft_call();
  if (restart_pending_)
    restart_from_storage();
  return accepted;
}

void RaftGroup::tick() {
  for (auto &completion : std::exchange(unstarted_completions_, {}))
    completion();
  if (stop_requested_) {
    close_raft();
    return;
  }
  if (!running()) {
    after_libraft_call(); // a failure not yet reported is reported now
    return;
  }
  io_->tick();
  after_libraft_call();
}

// After deliver() and tick() the queued completions run. After propose() and the membership
// calls they wait for the next deliver() or tick(), so that no owner callback runs inside the
// owner's own call (the disk work is already done; only the notifications wait).
void RaftGroup::after_libraft_call(bool run_completions) {
  open_term_if_new_leader(); // before the failure check: its append may be what fails
  if (io_ && io_->failed())
    fail(io_->failure());
  if (io_ && run_completions)
    io_->run_completions();
  report_leadership();
}

void RaftGroup::report_leadership() {
  LeadershipChange now{Role::Unavailable, 0, 0};
  if (!failure_.empty()) {
    now.role = Role::Failed;
  } else if (initialized_ && !closed_) {
    now.role = role_from_raft(raft_state(&raft_));
  }
  if (initialized_ && !closed_) {
    now.term = raft_.current_term;
    now.leader_id = known_leader();
  } else {
    now.term = reported_.term;
  }
  if (now.role == Role::Failed)
    now.leader_id = 0;
  if (now.role == reported_.role && now.term == reported_.term &&
      now.leader_id == reported_.leader_id)
    return;
  reported_ = now;
  if (callbacks_.leadership_changed)
    callbacks_.leadership_changed(now);
}

std::uint64_t RaftGroup::known_leader() const {
  raft_id id = 0;
  const char *address = nullptr;
  raft_leader(const_cast<struct raft *>(&raft_), &id, &address);
  return id;
}

GroupStatus RaftGroup::status() const {
  GroupStatus s;
  s.group_id = options_.group_id;
  s.self_id = options_.self_id;
  s.role = reported_.role;
  s.term = reported_.term;
  s.leader_id = reported_.leader_id;
  s.failure = failure_;
  s.restarts = restarts_;
  if (initialized_ && !closed_) {
    s.commit_index = raft_.commit_index;
    s.last_applied = raft_.last_applied;
    s.last_index = raft_last_index(const_cast<struct raft *>(&raft_));
    s.configuration = to_membership(raft_.configuration);
    s.configuration_committed = raft_.configuration_uncommitted_index == 0;
  }
  return s;
}

} // namespace detail

std::unique_ptr<ConsensusGroup> make_raft_group(RaftGroupOptions options,
                                                GroupCallbacks callbacks) {
  return std::make_unique<detail::RaftGroup>(std::move(options), std::move(callbacks));
}

} // namespace mycelium::consensus
