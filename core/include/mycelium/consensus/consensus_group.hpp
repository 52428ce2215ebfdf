// One replicated log per shard: the interface the agent and the extension program against
// (issue 14). Its leader is the shard's primary and its term the primary's epoch.
//
// The implementation today is libraft 0.15 (raft_group.hpp); nothing here names a libraft type,
// so a newer libraft, its fork cowsql/raft, or another Raft can replace it.
//
// Threading and re-entrancy: a group is driven from one thread. Callbacks run inside deliver(),
// tick(), propose() and the membership calls. From inside a callback the owner may queue work
// but must not destroy the group; stop() is safe anywhere (the close happens at the next
// tick()). apply must not call back into the group. A callback that throws fails the group
// (Role::Failed) instead of unwinding through libraft.
#pragma once

#include "mycelium/consensus/raft_wire_types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mycelium::consensus {

enum class Role { Unavailable, Follower, Candidate, Leader, Failed };
const char *to_string(Role role);

// Why a request did not succeed. The distinction matters for retries:
// - NotLeader: refused before anything was appended; retry on leader_id (0 = unknown).
// - LeadershipLost, Shutdown: the entry was appended but this node lost the leadership or
//   stopped before it committed. Its outcome is unknown: a new leader may still commit it, and
//   the apply stream is the only truth. Commands must carry their own id so that a retry is
//   recognised (at-most-once is the state machine's job).
// - Busy: another membership change is not committed yet (one change at a time).
// - IoError: this node's disk failed; the group is Failed and must be restarted.
enum class RequestError {
  None,
  NotLeader,
  LeadershipLost,
  Shutdown,
  Busy,
  IoError,
  Invalid, // unknown member, bad role, a member already there
  Other,
};
const char *to_string(RequestError error);

struct RequestOutcome {
  RequestError error = RequestError::None;
  std::uint64_t index = 0;     // log index of the entry (proposals and changes that succeeded)
  std::uint64_t term = 0;      // term the entry was proposed in
  std::uint64_t leader_id = 0; // with NotLeader: the leader this node knows, or 0
  std::string message;
  bool ok() const { return error == RequestError::None; }
};
using RequestDone = std::function<void(const RequestOutcome &)>;

// The data is valid during the apply callback only.
struct CommittedEntry {
  std::uint64_t index;
  std::uint64_t term;
  const std::uint8_t *data;
  std::size_t size;
  Bytes copy() const { return Bytes(data, data + size); }
};

struct LeadershipChange {
  Role role;
  std::uint64_t term;
  std::uint64_t leader_id; // 0 when unknown
};

struct GroupStatus {
  std::uint64_t group_id = 0;
  std::uint64_t self_id = 0;
  Role role = Role::Unavailable;
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t last_applied = 0;
  std::uint64_t last_index = 0;
  Membership configuration;
  bool configuration_committed = true;
  std::string failure; // why the group is Failed
  // Times the group closed libraft and reopened it from its storage, within the process, to
  // step around a libraft defect (CONSENSUS.md, "libraft 0.15 defects").
  std::uint64_t restarts = 0;
};

struct GroupCallbacks {
  // Bytes for peer `to` (the owner's link carries them to that peer's deliver()).
  std::function<void(std::uint64_t to, Bytes bytes)> send;
  // Each committed command in log order, on every member. Barrier and configuration entries
  // are not passed (their indexes are skipped). After a restart (of the process, or of the
  // group from its storage: GroupStatus::restarts) libraft applies again from its last
  // snapshot, so the state machine must skip indexes it has already applied. Throwing makes the
  // group Failed.
  std::function<void(const CommittedEntry &entry)> apply;
  // The state machine as bytes, and its replacement by a snapshot from the leader (a follower
  // too far behind). Without them the group never compacts its log.
  std::function<Bytes()> snapshot;
  std::function<void(const Bytes &data, std::uint64_t index, std::uint64_t term)> restore;
  // The role, term or known leader changed. A node that stops being leader is told here at
  // once, but a leader that is cut off learns it only from is_leader_with_lease().
  std::function<void(const LeadershipChange &change)> leadership_changed;
  // Entries this node had appended but never saw committed were removed because they
  // conflicted with a newer leader's log: their proposals did not happen.
  std::function<void(std::uint64_t first_index, std::uint64_t count)> entries_discarded;
};

class ConsensusGroup {
public:
  virtual ~ConsensusGroup() = default;

  // Loads the storage and starts. A pristine node with a non-empty initial configuration
  // bootstraps the group with it; one without waits to be added by a leader.
  virtual void start() = 0;
  // Asks for a close at the next tick(), outside any callback (libraft aborts when closed from
  // inside its own callbacks).
  virtual void stop() = 0;

  // A message from peer `from`, as the link authenticated it. Returns false (and the reason)
  // for bytes that are rejected; nothing else happens then.
  virtual bool deliver(std::uint64_t from, const Bytes &bytes, std::string *error = nullptr) = 0;
  // Drives timers (elections, heartbeats) from the owner's clock; call it often (every
  // heartbeat / 10 or so).
  virtual void tick() = 0;

  // Appends `command` if this node is the leader; `done` runs when it is committed and applied
  // here, or when it fails. `done` never runs inside propose().
  virtual void propose(Bytes command, RequestDone done) = 0;

  // Membership, one server at a time; each waits for the previous change to be committed.
  // Each call names the state to reach, so it succeeds at once when the configuration is
  // already there, and a retry after a failure finishes what the failed call began.
  // add_nonvoter: the server joins as a standby (receives the log, does not vote).
  // promote: the leader catches it up, then makes it a voter.
  virtual void add_nonvoter(std::uint64_t id, const std::string &address, RequestDone done) = 0;
  virtual void promote(std::uint64_t id, RequestDone done) = 0;
  virtual void remove(std::uint64_t id, RequestDone done) = 0;
  virtual void transfer_leadership(std::uint64_t to_id) = 0;

  // The fencing check: true only while this node is the leader, has applied everything
  // committed before its term (its opening barrier), and has heard, within the lease (election
  // timeout minus a margin), from enough voters to make a majority with itself. A write
  // accepted only while this holds cannot overlap another leader's writes.
  virtual bool is_leader_with_lease(std::uint64_t now_ms) const = 0;
  // When that lease ends, on the same clock: 0 when there is none (not leader, no majority
  // heard within the lease, a transfer in progress, the opening barrier not applied yet);
  // otherwise a time > now_ms, and is_leader_with_lease(now_ms) is true exactly then. The end
  // is when the acknowledgements of a majority run out (this node's own counting as received
  // now), so it is what the agent publishes to its database for the extension's write check.
  // It only moves forward while acknowledgements keep coming; without them the lease runs out.
  virtual std::uint64_t lease_expires_ms(std::uint64_t now_ms) const = 0;
  virtual GroupStatus status() const = 0;
};

} // namespace mycelium::consensus
