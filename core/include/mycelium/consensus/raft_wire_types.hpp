// Raft messages and log records as plain C++ values, independent of any Raft library.
//
// The codec (raft_message_codec.hpp) turns these into bytes for the peer links and back, and the
// storage (raft_storage.hpp) keeps entries and snapshots in this form. Only message_io converts
// between these values and libraft's structs, so a newer libraft (or the cowsql/raft fork) changes
// one file. Field meanings follow the Raft paper (figure 3.1) and libraft's raft.h.
#pragma once

#include "mycelium/bytes.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace mycelium::consensus {

// Log entry kinds; the values are libraft's RAFT_COMMAND, RAFT_BARRIER and RAFT_CHANGE.
enum class EntryType : std::uint8_t { Command = 1, Barrier = 2, Change = 3 };

// A member's part in a group; the values are libraft's RAFT_STANDBY, RAFT_VOTER, RAFT_SPARE.
// A standby receives the log but does not vote (a "non-voter" catching up); a spare receives
// nothing.
enum class MemberRole : std::uint8_t { Standby = 0, Voter = 1, Spare = 2 };

struct LogEntry {
  std::uint64_t term = 0;
  EntryType type = EntryType::Command;
  Bytes data;
  bool operator==(const LogEntry &o) const {
    return term == o.term && type == o.type && data == o.data;
  }
};

struct Member {
  std::uint64_t id = 0;
  std::string address;
  MemberRole role = MemberRole::Voter;
  bool operator==(const Member &o) const {
    return id == o.id && address == o.address && role == o.role;
  }
};
using Membership = std::vector<Member>;

struct RequestVote {
  std::uint64_t term = 0;
  std::uint64_t candidate_id = 0;
  std::uint64_t last_log_index = 0;
  std::uint64_t last_log_term = 0;
  bool disrupt_leader = false; // a leadership transfer told the candidate to run
  bool pre_vote = false;
};

// Whether a vote result answers a pre-vote; "unknown" comes from peers that predate pre-vote.
enum class PreVoteFlag : std::uint8_t { Unknown = 0, Yes = 1, No = 2 };

struct RequestVoteResult {
  std::uint64_t term = 0;
  bool vote_granted = false;
  PreVoteFlag pre_vote = PreVoteFlag::Unknown;
};

struct AppendEntries {
  std::uint64_t term = 0;
  std::uint64_t prev_log_index = 0;
  std::uint64_t prev_log_term = 0;
  std::uint64_t leader_commit = 0;
  std::vector<LogEntry> entries; // empty for a heartbeat
};

struct AppendEntriesResult {
  std::uint64_t term = 0;
  std::uint64_t rejected = 0; // the index that was rejected, 0 on success
  std::uint64_t last_log_index = 0;
};

struct InstallSnapshot {
  std::uint64_t term = 0;
  std::uint64_t last_index = 0;
  std::uint64_t last_term = 0;
  Membership configuration; // as of conf_index
  std::uint64_t conf_index = 0;
  Bytes data; // the whole state machine snapshot (libraft 0.15 does not chunk)
};

struct TimeoutNow {
  std::uint64_t term = 0;
  std::uint64_t last_log_index = 0;
  std::uint64_t last_log_term = 0;
};

using RaftMessageBody = std::variant<AppendEntries, AppendEntriesResult, RequestVote,
                                     RequestVoteResult, InstallSnapshot, TimeoutNow>;

// One message of one group. The sender is not in the bytes: it is the authenticated peer of the
// link the message arrived on.
struct RaftEnvelope {
  std::uint64_t group_id = 0;
  RaftMessageBody body;
};

// The message kind byte on the wire: libraft's RAFT_IO_* codes.
enum class MessageKind : std::uint8_t {
  AppendEntries = 1,
  AppendEntriesResult = 2,
  RequestVote = 3,
  RequestVoteResult = 4,
  InstallSnapshot = 5,
  TimeoutNow = 6,
};
MessageKind kind_of(const RaftMessageBody &body);
std::uint64_t term_of(const RaftMessageBody &body);

} // namespace mycelium::consensus
