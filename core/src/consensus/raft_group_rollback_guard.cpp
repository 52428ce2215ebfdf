#include "raft_group_impl.hpp"

namespace mycelium::consensus::detail {

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

} // namespace mycelium::consensus::detail
