// ConsensusGroup on libraft 0.15 over our own raft_io (message_io) and storage (raft_storage).
// Design, defaults and the libraft defects it avoids: schemas/CONSENSUS.md.
#pragma once

#include "mycelium/consensus/consensus_group.hpp"
#include "mycelium/consensus/raft_message_codec.hpp"

#include <string_view>

namespace mycelium::consensus {

struct RaftTiming {
  unsigned election_timeout_ms = 1000; // libraft randomises it between 1x and 2x
  unsigned heartbeat_ms = 100;
  // The lease is election_timeout_ms - lease_margin_ms. The margin covers the delay of a
  // follower's acknowledgement and the drift between clocks over one election timeout.
  unsigned lease_margin_ms = 250;
  // Log compaction: a snapshot every `threshold` applied entries, keeping `trailing` entries so
  // that a follower a little behind gets entries, not the whole snapshot (libraft 0.15 sends a
  // snapshot as one message). Without GroupCallbacks::snapshot and ::restore, never.
  unsigned snapshot_threshold = 8192;
  unsigned snapshot_trailing = 8192;
  bool pre_vote = true;
  // A leader that sent a snapshot waits this long for its answer before sending it again (a
  // lost InstallSnapshot stalls that follower until then). libraft's default.
  unsigned install_snapshot_timeout_ms = 30000;
};

struct RaftGroupOptions {
  std::uint64_t group_id = 0;
  std::uint64_t self_id = 0; // > 0
  std::string self_address;  // informational: libraft reports it for the leader
  std::string directory;     // this group's storage; created if missing
  Membership initial_configuration;
  std::function<std::uint64_t()> clock_ms;
  RaftTiming timing;
  CodecLimits limits;
  std::uint64_t random_seed = 0; // 0: derived from self_id (deterministic)
  // Refuse an AppendEntries that would make libraft 0.15 roll back to a configuration entry it
  // no longer has (its membershipRollback assertion, canonical/raft #250/#323), and restart the
  // group from its storage instead (CONSENSUS.md). Off only in the test that shows the abort.
  bool guard_membership_rollback = true;
  // Test hook passed to RaftStorage::Options::inject_fault.
  std::function<bool(std::string_view operation)> inject_storage_fault;
};

std::unique_ptr<ConsensusGroup> make_raft_group(RaftGroupOptions options, GroupCallbacks callbacks);

} // namespace mycelium::consensus
