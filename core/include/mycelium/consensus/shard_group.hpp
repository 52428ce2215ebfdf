// The pure rules of an elected shard's Raft group as the agent hosts it (issue 14;
// schemas/CONSENSUS.md, "Elected shards: the agent"): how node and shard ids become Raft ids,
// the Epoch command the group's log carries and its strict byte format, the state machine (the
// history of committed epochs) and its snapshot format, which membership change
// a leader makes next, and the steps a new leader takes before its epoch is proposed. No I/O:
// the agent (agent/consensus_host.*) moves bytes and rows; these decide.
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/consensus/raft_wire_types.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::consensus {

// --- Raft ids ------------------------------------------------------------------------------

// The Raft id of a node: the first 8 bytes, read as a little-endian u64, of
// BLAKE2b-256(frame("mycelium/v1/raft-id") || frame(node_id)) (framing as SIGNING.md); 0,
// which Raft reserves, becomes 1. The member's address in a configuration is the node id itself.
std::uint64_t raft_id(std::string_view node_id);
// The group id of a shard: the same with the tag "mycelium/v1/raft-group" over the shard id.
std::uint64_t raft_group_id(std::string_view shard_id);

// The group id a Raft message names (raft_message_codec's header: version 1, then the id), or 0
// when the bytes are too short or of another version. Routing only: the group's deliver()
// decodes the whole message strictly.
std::uint64_t peek_group_id(const Bytes &message);

// --- The Epoch command ---------------------------------------------------------------------

using Hash32 = std::array<std::uint8_t, 32>;

// "From Raft term `term`, `primary_node` appends the shard's chain entries after seq
// `start_seq`, whose entry hash is `start_hash` (32 zero bytes when start_seq = 0)."
struct Epoch {
  std::uint64_t term = 0; // >= 1
  std::string primary_node;
  std::int64_t start_seq = 0; // >= 0
  Hash32 start_hash{};
  bool operator==(const Epoch &o) const {
    return term == o.term && primary_node == o.primary_node && start_seq == o.start_seq &&
           start_hash == o.start_hash;
  }
  bool operator!=(const Epoch &o) const { return !(*this == o); }
};

// Thrown by decode_epoch and encode_epoch; what() names the field.
class EpochCodecError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The command's bytes (CONSENSUS.md, "The Epoch command"), integers little-endian as in the
// Raft message format:
//   u8 version = 1, u8 kind = 1 (epoch), u64 term, u8 n, n bytes primary_node,
//   u64 start_seq, 32 bytes start_hash
// encode_epoch refuses what decode_epoch would refuse, so a node never proposes a command that
// its peers cannot read.
Bytes encode_epoch(const Epoch &epoch);
// Strict: a wrong version or kind, term 0, a primary_node that is not a node id, start_seq
// above 2^63 - 1 (a SQL bigint), a non-zero hash with start_seq 0, a short message and
// trailing bytes are all refused.
Epoch decode_epoch(const std::uint8_t *data, std::size_t size);
inline Epoch decode_epoch(const Bytes &bytes) {
  return decode_epoch(bytes.data(), bytes.size());
}

// --- The state machine: the epoch history --------------------------------------------------

// A group's state machine is every committed epoch, in term order: each member's database must
// apply every one of them, in order (a replica accepts an entry of term t only once epoch t is
// in its mycelium.shard_epochs), so a member brought up to date by a snapshot must find in it
// the epochs it missed, not only the latest.
//
// At most kMaxEpochHistory epochs are kept (one per failover); beyond that the oldest is
// dropped. A member whose database is further behind than the oldest epoch kept cannot catch
// up from the group any more and needs a fresh copy of the shard. The cap keeps the largest
// snapshot (6 + 8192 x 116 bytes = 950,278 bytes, node ids of 63 bytes) below the links'
// default max_frame_bytes (1 MiB), since a snapshot travels as one InstallSnapshot message.
constexpr std::size_t kMaxEpochHistory = 8192;

// The snapshot's bytes (CONSENSUS.md, "Elected shards: the agent"), integers little-endian:
//   u8 version = 1, u8 kind = 2 (epoch history), u32 count,
//   count times: u16 length, then `length` bytes: one Epoch command (encode_epoch)
// Refuses (EpochCodecError) what decode_epoch_history would refuse: more than
// kMaxEpochHistory epochs, terms not strictly increasing, an epoch encode_epoch refuses.
Bytes encode_epoch_history(const std::vector<Epoch> &history);
// Strict: a wrong version or kind, a count above kMaxEpochHistory, an epoch decode_epoch
// refuses, terms not strictly increasing, a short snapshot and trailing bytes are all refused.
// Snapshots of the earlier format are read too: empty bytes (no epoch yet) are an empty
// history, and one Epoch command (version 1, kind 1) a history of that one epoch.
std::vector<Epoch> decode_epoch_history(const std::uint8_t *data, std::size_t size);
inline std::vector<Epoch> decode_epoch_history(const Bytes &bytes) {
  return decode_epoch_history(bytes.data(), bytes.size());
}

// A committed entry's epoch: appended when its term is above the last epoch's (true; the
// owner queues it for the database), ignored otherwise (false: a replay after a restart, or an
// entry the history holds already). Drops the oldest beyond kMaxEpochHistory.
bool record_epoch(std::vector<Epoch> &history, const Epoch &epoch);

// A snapshot was restored: `history` becomes the union of itself and `restored` (by term, in
// term order, the snapshot's epoch winning a term both hold, capped at kMaxEpochHistory). Returns
// the epochs for the owner to queue for the database, in term order: those of `restored`
// newer than the last epoch `history` held before (that one and older are queued or applied
// already) and not older than `database_term` (the term the database holds: it would answer
// 'stale' to an older one; the epoch of its own term is queued again, since
// apply_shard_epoch's 'already' refreshes a primary's replicas from the group's members).
std::vector<Epoch> restore_epoch_history(std::vector<Epoch> &history,
                                         const std::vector<Epoch> &restored,
                                         std::uint64_t database_term);

// --- Membership ----------------------------------------------------------------------------

struct MembershipStep {
  enum class Kind { None, AddNonvoter, Promote, Remove };
  Kind kind = Kind::None;
  std::uint64_t id = 0;
  std::string address; // the node id (AddNonvoter)
  bool operator==(const MembershipStep &o) const {
    return kind == o.kind && id == o.id && address == o.address;
  }
};
const char *to_string(MembershipStep::Kind kind);

// The one change a leader makes next to bring `current` to `voters` (node ids; `self` is always
// kept and never removed). Additions come first (a missing node joins as a standby; a spare is
// added again, which makes it a standby), then promotions of standbys, and only then removals,
// so that the group never shrinks while it is short of the voters it should have. Within each
// kind, node ids in order. Kind::None when nothing is to change.
MembershipStep next_membership_step(const Membership &current,
                                    const std::vector<std::string> &voters,
                                    const std::string &self);

// --- Taking office -------------------------------------------------------------------------

// What a node that has just become leader of a term does before its epoch is proposed
// (CONSENSUS.md, "Taking office"). Pure: the owner feeds it events and the time and does what
// step() says. Phases:
//   Syncing: ask every linked member for the shard's entries (DB sync); wait for answers from
//            a majority of the voters (this node counts), asking again every `sync_timeout_ms`
//            until they came (never proposing without them); and wait, in
//            any case, one lease (`lease_ms`) from when leadership began, so that a previous
//            leader deposed by a transfer (which bypasses its followers' refusal to vote) has
//            no lease left in its database when this node reads the head.
//   ReadingHead: read mycelium.shard_head (the owner reports it with head_read()).
//   Proposing: propose Epoch{term, self, seq, hash} (the owner reports the outcome).
//   Done: the proposal committed. Failed attempts go back to Idle: the owner starts again
//   if it is still leader.
class TakeOffice {
public:
  enum class Phase { Idle, Syncing, ReadingHead, Proposing, Done };
  enum class Action { None, AskSync, ReadHead, Propose };

  TakeOffice(std::uint64_t sync_timeout_ms, std::uint64_t lease_ms)
      : sync_timeout_ms_(sync_timeout_ms), lease_ms_(lease_ms) {}

  // Leadership of `term` began at `leader_since_ms`; `voters` is the number of voters in the
  // configuration (this node included). Returns AskSync: the owner asks the linked members.
  Action begin(std::uint64_t term, std::uint64_t leader_since_ms, std::size_t voters,
               std::uint64_t now_ms);
  // A member answered the shard's DB sync (answered its last page, or failed to).
  void sync_answered(const std::string &node_id);
  // Called often: ReadHead once the sync phase is over; AskSync when the members are to be asked
  // again (no majority answered within sync_timeout_ms).
  Action step(std::uint64_t now_ms);
  // The head was read: Propose (with the epoch from epoch_to_propose()).
  Action head_read(const std::string &self, std::int64_t seq, const Hash32 &hash);
  // The head could not be read, or the proposal failed: back to Idle.
  void failed() { phase_ = Phase::Idle; }
  void committed() { phase_ = Phase::Done; }
  // Leadership lost or the term moved on: forget the attempt.
  void reset() { phase_ = Phase::Idle; }

  Phase phase() const { return phase_; }
  std::uint64_t term() const { return term_; }
  const Epoch &epoch_to_propose() const { return epoch_; }
  std::size_t answers() const { return answered_.size(); }

private:
  std::uint64_t sync_timeout_ms_;
  std::uint64_t lease_ms_;
  Phase phase_ = Phase::Idle;
  std::uint64_t term_ = 0;
  std::uint64_t started_ms_ = 0;
  std::uint64_t leader_since_ms_ = 0;
  std::size_t voters_ = 0;
  std::set<std::string> answered_;
  Epoch epoch_;
};
const char *to_string(TakeOffice::Phase phase);

} // namespace mycelium::consensus
