#include "mycelium/consensus/raft_group.hpp"

#include "message_io.hpp"

#include <map>
#include <optional>
#include <climits>
#include <cstring>

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

namespace {

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
  std::map<std::uint64_t, Acknowledgement> acknowledgements_;
  LeadershipChange reported_{Role::Unavailable, 0, 0};
};

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

// The first index where `message` disagrees with our log, or 0. libraft truncates there, and
// only when the entry before the new ones matches ours.
std::uint64_t RaftGroup::first_conflict(const AppendEntries &message) const {
  std::uint64_t prev = message.prev_log_index;
  if (prev > 0 && storage_->term_at(prev) != message.prev_log_term)
    return 0;
  for (std::size_t i = 0; i < message.entries.size(); ++i) {
    std::uint64_t index = prev + 1 + i;
    std::uint64_t ours = storage_->term_at(index);
    if (ours == 0)
      return 0; // past our last entry: appended, nothing truncated
    if (ours != message.entries[i].term)
      return index;
  }
  return 0;
}

// libraft 0.15, receiving entries that conflict with an uncommitted configuration change,
// restores the last committed configuration from its in-memory log; when that entry was
// compacted into a snapshot (or the node never had one committed) it fails the assertion
// `entry != NULL' (membershipRollback, canonical/raft #250, #323; fixed in 0.17.1). Debian
// builds libraft with NDEBUG, so instead of an abort the NULL entry is dereferenced and the
// process dies of SIGSEGV, taking every group of the agent with it. A node restarted from its files
// treats the configuration in its log as current and does not roll back, so the group refuses the
// message and restarts itself from storage; the leader resends and the reopened libraft takes it.
std::string RaftGroup::check_rollback_hazard(const RaftMessageBody &body) {
  const auto *message = std::get_if<AppendEntries>(&body);
  if (!options_.guard_membership_rollback || message == nullptr || message->entries.empty() ||
      raft_.configuration_uncommitted_index == 0 || message->term < raft_.current_term)
    return {};
  std::uint64_t conflict = first_conflict(*message);
  if (conflict == 0 || conflict > raft_.configuration_uncommitted_index)
    return {};
  bool committed_configuration_in_log =
      raft_.configuration_index != 0 && raft_.configuration_index > raft_.log.offset;
  if (committed_configuration_in_log)
    return {};
  restart_pending_ = true;
  return "entries would roll back a configuration whose committed predecessor is not in the "
         "log (libraft 0.15 assertion); restarting the group from its storage";
}

// A libraft 0.15 that was started from its files takes the last configuration in its log as
// current without knowing whether it is committed, so when that entry is truncated away it
// keeps using it (start.c "TODO"). Had libraft rolled back, its configuration entry would lie
// before the truncation. A configuration at or after it is stale: reopen from the files, which
// no longer hold it, once libraft has returned.
void RaftGroup::note_truncation(std::uint64_t first) {
  if (options_.guard_membership_rollback && raft_.configuration_index >= first)
    restart_pending_ = true;
}

void RaftGroup::restart_from_storage() {
  restart_pending_ = false;
  close_raft();
  io_.reset();
  storage_.reset();
  raft_ = {};
  fsm_ = {};
  transfer_ = {};
  initialized_ = started_ = closed_ = stop_requested_ = change_in_flight_ = false;
  barrier_term_ = ready_term_ = 0;
  acknowledgements_.clear();
  ++restarts_;
  start();
}

void RaftGroup::tick() {
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

// A new leader's first entry is a barrier of its own term, proposed before libraft sees
// another message. libraft 0.15 decides commitment by counting replicas of the leader's last
// stored entry, whatever its term (replicationQuorum; canonical/raft 524f735, fixed in 0.17.1):
// a leader whose last entry is from an earlier term could declare it committed by counting,
// the unsafe case of Raft's figure 8, and lose it to a later leader. With the barrier stored
// first, the counted entry is always of the current term. The barrier's application also tells
// the lease that everything committed before this term has been applied here.
void RaftGroup::open_term_if_new_leader() {
  if (!running() || raft_.state != RAFT_LEADER || barrier_term_ == raft_.current_term)
    return;
  barrier_term_ = raft_.current_term;
  auto *request = new BarrierRequest{{}, this, raft_.current_term};
  request->req.data = request;
  int rv = raft_barrier(&raft_, &request->req, [](struct raft_barrier *req, int status) {
    auto *r = static_cast<BarrierRequest *>(req->data);
    r->group->complete_term_barrier(r, status);
  });
  if (rv != 0)
    delete request; // not leader any more, or the disk failed: nothing to open
}

void RaftGroup::complete_term_barrier(BarrierRequest *request, int status) {
  if (status == 0 && request->term == raft_.current_term)
    ready_term_ = request->term;
  delete request;
}

// Only a follower's AppendEntries answer in our term proves that it follows us: it reset its
// election timer and refuses other candidates until that timer runs out. A vote does not (the
// voter may grant a vote in a later term before it hears from us as leader).
void RaftGroup::note_acknowledgement(std::uint64_t from, const RaftMessageBody &body) {
  const auto *result = std::get_if<AppendEntriesResult>(&body);
  if (result == nullptr || result->term != raft_.current_term)
    return;
  acknowledgements_[from] = Acknowledgement{result->term, options_.clock_ms()};
}

bool RaftGroup::is_leader_with_lease(std::uint64_t now_ms) const {
  if (!running() || stop_requested_ || raft_.state != RAFT_LEADER || raft_.transfer != nullptr ||
      ready_term_ != raft_.current_term)
    return false;
  const RaftTiming &t = options_.timing;
  std::uint64_t lease_ms =
      t.election_timeout_ms > t.lease_margin_ms ? t.election_timeout_ms - t.lease_margin_ms : 0;
  unsigned voters = 0;
  unsigned fresh = 0;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const struct raft_server &server = raft_.configuration.servers[i];
    if (server.role != RAFT_VOTER)
      continue;
    ++voters;
    if (server.id == options_.self_id) {
      ++fresh;
      continue;
    }
    auto it = acknowledgements_.find(server.id);
    if (it != acknowledgements_.end() && it->second.term == raft_.current_term &&
        now_ms >= it->second.at_ms && now_ms - it->second.at_ms < lease_ms)
      ++fresh;
  }
  return voters > 0 && fresh * 2 > voters;
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

void RaftGroup::finish_now(const RequestDone &done, RequestOutcome outcome) {
  // Never inside the caller's call: the owner may hold locks or iterate.
  if (io_) {
    io_->defer([done, outcome] { done(outcome); });
    return;
  }
  done(outcome);
}

void RaftGroup::propose(Bytes command, RequestDone done) {
  if (!running()) {
    finish_now(done, {RequestError::Shutdown, 0, 0, 0,
                      failure_.empty() ? "the group is not running" : failure_});
    return;
  }
  auto *request = new ProposalRequest{{}, this, std::move(done), raft_.current_term};
  request->req.data = request;
  struct raft_buffer buf;
  buf.len = command.size();
  buf.base = raft_malloc(command.empty() ? 1 : command.size());
  if (!command.empty())
    std::memcpy(buf.base, command.data(), command.size());
  int rv =
      raft_apply(&raft_, &request->req, &buf, 1, [](struct raft_apply *req, int status, void *) {
        auto *r = static_cast<ProposalRequest *>(req->data);
        r->group->complete_proposal(r, status);
      });
  if (rv != 0) {
    raft_free(buf.base); // ownership passes to libraft only on success
    RequestOutcome outcome{error_from_raft(rv), 0, 0, known_leader(), raft_errmsg(&raft_)};
    if (outcome.error == RequestError::NotLeader)
      outcome.message = "not the leader; leader is " +
                        (outcome.leader_id ? std::to_string(outcome.leader_id) : "unknown");
    finish_now(request->done, outcome);
    delete request;
  }
  after_libraft_call(false);
}

void RaftGroup::complete_proposal(ProposalRequest *request, int status) {
  RequestOutcome outcome{error_from_raft(status), request->req.index, request->term, 0, ""};
  if (status != 0)
    outcome.message = raft_strerror(status);
  io_->defer([done = std::move(request->done), outcome] { done(outcome); });
  delete request;
}

bool RaftGroup::refuse_change(const RequestDone &done) {
  RequestOutcome outcome;
  if (!running()) {
    outcome = {RequestError::Shutdown, 0, 0, 0, "the group is not running"};
  } else if (raft_.state != RAFT_LEADER) {
    outcome = {RequestError::NotLeader, 0, 0, known_leader(), "not the leader"};
  } else if (change_in_flight_ || raft_.configuration_uncommitted_index != 0) {
    // One change at a time, each committed before the next: a second uncommitted change is
    // what makes libraft 0.15 roll back a configuration it may no longer have.
    outcome = {RequestError::Busy, 0, 0, 0, "a membership change is not committed yet"};
  } else {
    return false;
  }
  finish_now(done, outcome);
  after_libraft_call(false);
  return true;
}

void RaftGroup::submit_change(RequestDone done, std::function<int(struct raft_change *)> call,
                              std::function<void(RequestDone)> next_step) {
  auto *request = new ChangeRequest{{}, this, std::move(done), std::move(next_step)};
  request->req.data = request;
  change_in_flight_ = true;
  int rv = call(&request->req);
  if (rv != 0) {
    change_in_flight_ = false;
    finish_now(request->done, {error_from_raft(rv), 0, 0, known_leader(), raft_errmsg(&raft_)});
    delete request;
  }
  after_libraft_call(false);
}

void RaftGroup::complete_change(ChangeRequest *request, int status) {
  change_in_flight_ = false;
  RequestOutcome outcome{error_from_raft(status), 0, raft_.current_term, 0, ""};
  if (status != 0)
    outcome.message = raft_strerror(status);
  if (status == 0 && request->next_step) {
    // The next change starts after libraft has returned from this callback.
    io_->defer(
        [next = std::move(request->next_step), done = std::move(request->done)] { next(done); });
  } else {
    io_->defer([done = std::move(request->done), outcome] { done(outcome); });
  }
  delete request;
}

raft_change_cb change_callback() {
  return [](struct raft_change *req, int status) {
    auto *r = static_cast<ChangeRequest *>(req->data);
    r->group->complete_change(r, status);
  };
}

// The member's role in the leader's current configuration, if it is a member.
std::optional<int> RaftGroup::role_of(std::uint64_t id) const {
  for (unsigned i = 0; i < raft_.configuration.n; ++i)
    if (raft_.configuration.servers[i].id == id)
      return raft_.configuration.servers[i].role;
  return std::nullopt;
}

// The membership calls say what the configuration must become, so a retry after a failure
// (leadership lost half-way through add_nonvoter's two changes, say) finishes the job instead
// of failing on what was already done.
void RaftGroup::add_nonvoter(std::uint64_t id, const std::string &address, RequestDone done) {
  if (refuse_change(done))
    return;
  // libraft adds a server as a spare (no log); a second change makes it a standby, which
  // receives the log without voting.
  auto make_standby = [this, id](RequestDone then) {
    if (refuse_change(then))
      return;
    submit_change(std::move(then), [this, id](struct raft_change *req) {
      return raft_assign(&raft_, req, id, RAFT_STANDBY, change_callback());
    });
  };
  std::optional<int> role = role_of(id);
  if (role && *role != RAFT_SPARE) {
    finish_now(done, {RequestError::None, 0, raft_.current_term, 0, "already a member"});
    return;
  }
  if (role) {
    make_standby(std::move(done));
    return;
  }
  submit_change(
      std::move(done),
      [this, id, address](struct raft_change *req) {
        return raft_add(&raft_, req, id, address.c_str(), change_callback());
      },
      make_standby);
}

void RaftGroup::promote(std::uint64_t id, RequestDone done) {
  if (refuse_change(done))
    return;
  if (role_of(id) == RAFT_VOTER) {
    finish_now(done, {RequestError::None, 0, raft_.current_term, 0, "already a voter"});
    return;
  }
  submit_change(std::move(done), [this, id](struct raft_change *req) {
    return raft_assign(&raft_, req, id, RAFT_VOTER, change_callback());
  });
}

void RaftGroup::remove(std::uint64_t id, RequestDone done) {
  if (refuse_change(done))
    return;
  if (!role_of(id)) {
    finish_now(done, {RequestError::None, 0, raft_.current_term, 0, "not a member"});
    return;
  }
  submit_change(std::move(done), [this, id](struct raft_change *req) {
    return raft_remove(&raft_, req, id, change_callback());
  });
}

void RaftGroup::transfer_leadership(std::uint64_t to_id) {
  if (!running() || raft_.state != RAFT_LEADER || raft_.transfer != nullptr)
    return;
  raft_transfer(&raft_, &transfer_, to_id, [](struct raft_transfer *) {});
  after_libraft_call(false);
}

int RaftGroup::fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result) {
  RaftGroup &g = self(fsm);
  *result = nullptr;
  // libraft applies index last_applied + 1 and advances last_applied after this returns.
  std::uint64_t index = g.raft_.last_applied + 1;
  CommittedEntry entry{index, g.storage_->term_at(index),
                       static_cast<const std::uint8_t *>(buf->base), buf->len};
  try {
    if (g.callbacks_.apply)
      g.callbacks_.apply(entry);
  } catch (const std::exception &e) {
    g.fail(std::string("apply of entry ") + std::to_string(index) + " failed: " + e.what());
    return RAFT_IOERR;
  }
  return 0;
}

int RaftGroup::fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs) {
  RaftGroup &g = self(fsm);
  Bytes data;
  try {
    data = g.callbacks_.snapshot();
  } catch (const std::exception &) {
    return RAFT_IOERR;
  }
  auto *buffers = static_cast<struct raft_buffer *>(raft_malloc(sizeof(struct raft_buffer)));
  void *base = raft_malloc(data.empty() ? 1 : data.size());
  if (buffers == nullptr || base == nullptr) {
    raft_free(buffers);
    raft_free(base);
    return RAFT_NOMEM;
  }
  if (!data.empty())
    std::memcpy(base, data.data(), data.size());
  buffers[0] = {base, data.size()};
  *bufs = buffers;
  *n_bufs = 1;
  return 0;
}

// libraft hands the buffer over on success (it frees it itself only on failure).
int RaftGroup::fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf) {
  RaftGroup &g = self(fsm);
  const auto *p = static_cast<const std::uint8_t *>(buf->base);
  Bytes data(p, p + buf->len);
  try {
    if (g.callbacks_.restore)
      g.callbacks_.restore(data, g.storage_->snapshot_index(), g.storage_->snapshot_term());
  } catch (const std::exception &e) {
    g.fail(std::string("restore failed: ") + e.what());
    return RAFT_IOERR;
  }
  raft_free(buf->base);
  return 0;
}

} // namespace

std::unique_ptr<ConsensusGroup> make_raft_group(RaftGroupOptions options,
                                                GroupCallbacks callbacks) {
  return std::make_unique<RaftGroup>(std::move(options), std::move(callbacks));
}

} // namespace mycelium::consensus
