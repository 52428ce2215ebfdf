#include "raft_group_impl.hpp"

#include <cstring>

namespace mycelium::consensus::detail {

void RaftGroup::finish_now(const RequestDone &done, RequestOutcome outcome) {
  // Never inside the caller's call: the owner may hold locks or iterate.
  if (io_) {
    io_->defer([done, outcome] { done(outcome); });
    return;
  }
  unstarted_completions_.push_back([done, outcome] { done(outcome); }); // runs at tick()
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

static raft_change_cb change_callback() {
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

} // namespace mycelium::consensus::detail
