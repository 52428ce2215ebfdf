// Durable Raft state of one group in one directory: the current term and vote, the log, and the
// latest snapshot (schemas/CONSENSUS.md, "Storage").
//
// Every write is on disk (fdatasync, and an fsync of the directory after a create or rename)
// before the call returns, so the caller may acknowledge at once. The files survive a crash
// between any two writes: term/vote and the snapshot are replaced by atomic rename; the log is
// append-only with a length and CRC-32C per record, and a torn last record is cut off on load. A
// bad record that is not the last one is corruption, not a torn write, and load() refuses it.
//
// A failed write throws StorageError and leaves the storage failed: every later write throws
// too. After a failed fsync the kernel may have dropped the dirty pages, so retrying could
// report success for data that is not on disk; the only safe recovery is to reopen from the
// files (a restart), which is what the group does.
#pragma once

#include "mycelium/consensus/raft_wire_types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::consensus {

class StorageError : public std::runtime_error {
public:
  StorageError(const std::string &message, int error_number)
      : std::runtime_error(message), error_number_(error_number) {}
  int error_number() const { return error_number_; } // errno, or 0 for a format problem
  bool out_of_space() const;

private:
  int error_number_;
};

struct StoredSnapshot {
  std::uint64_t index = 0; // last entry the snapshot covers
  std::uint64_t term = 0;
  Membership configuration;
  std::uint64_t conf_index = 0;
  Bytes data;
};

struct LoadedState {
  std::uint64_t term = 0;
  std::uint64_t voted_for = 0;
  std::optional<StoredSnapshot> snapshot;
  std::uint64_t first_index = 1; // index of entries[0]
  std::vector<LogEntry> entries;
  std::uint64_t torn_bytes_cut = 0; // bytes of a torn last record removed by this load
};

// An entry to append, by reference: the caller's buffers are written, not copied first.
struct EntryRef {
  std::uint64_t term;
  EntryType type;
  const std::uint8_t *data;
  std::size_t size;
};

class RaftStorage {
public:
  struct Options {
    std::string directory; // created if missing (its parent must exist)
    // Test hook: called with the operation name ("set_term", "set_vote", "append", "truncate",
    // "snapshot", "bootstrap") before each write; returning true makes that write fail as if
    // the disk had returned EIO.
    std::function<bool(std::string_view operation)> inject_fault;
  };

  explicit RaftStorage(Options options);
  ~RaftStorage();
  RaftStorage(const RaftStorage &) = delete;
  RaftStorage &operator=(const RaftStorage &) = delete;

  // Reads everything from disk (cutting a torn log tail) and makes it the state later writes
  // continue from. Throws StorageError on corruption.
  LoadedState load();

  // No log entry and no snapshot: the group was never bootstrapped nor joined.
  bool pristine() const;

  void set_term(std::uint64_t term); // and clears the vote
  void set_vote(std::uint64_t server_id);
  // Term 1, no vote, and `configuration` as the CHANGE entry at index 1. Throws StorageError if
  // the log is not empty.
  void bootstrap(const Bytes &configuration);
  // Appends after the last entry; returns the index of the first one.
  std::uint64_t append(const std::vector<EntryRef> &entries);
  // Removes the entries from `index` on; returns how many there were.
  std::uint64_t truncate_from(std::uint64_t index);
  // Stores `snapshot` and drops the log entries older than snapshot.index - trailing (all of
  // them when trailing is 0: an installed snapshot replaces the log).
  void put_snapshot(const StoredSnapshot &snapshot, std::uint64_t trailing);
  std::optional<StoredSnapshot> read_snapshot() const;

  std::uint64_t term() const { return term_; }
  std::uint64_t voted_for() const { return voted_for_; }
  std::uint64_t first_index() const { return first_index_; }
  std::uint64_t last_index() const; // first_index - 1 when the log is empty
  // Term of a stored entry (or of the snapshot's last index); 0 when unknown.
  std::uint64_t term_at(std::uint64_t index) const;
  bool failed() const { return failed_; }
  bool has_snapshot() const { return has_snapshot_; }
  std::uint64_t snapshot_index() const { return snapshot_index_; }
  std::uint64_t snapshot_term() const { return snapshot_term_; }

private:
  void check_writable(std::string_view operation);
  void write_meta(std::uint64_t term, std::uint64_t vote);
  void rewrite_log(std::uint64_t first_index, std::uint64_t keep_from);
  void open_log_for_append();
  [[noreturn]] void fail(const std::string &what, int error_number);

  Options options_;
  std::uint64_t term_ = 0;
  std::uint64_t voted_for_ = 0;
  std::uint64_t first_index_ = 1;
  std::vector<std::uint64_t> entry_terms_;   // of the log entries, from first_index_
  std::vector<std::uint64_t> entry_offsets_; // file offset of each record
  std::uint64_t log_end_ = 0;                // file offset after the last good record
  std::uint64_t snapshot_index_ = 0;
  std::uint64_t snapshot_term_ = 0;
  bool has_snapshot_ = false;
  int log_fd_ = -1;
  bool failed_ = false;
};

} // namespace mycelium::consensus
