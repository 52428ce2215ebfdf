// The leases of elected shards as the local agent reports them (mycelium.report_consensus), kept
// by the extension in one fixed block of shared memory (schemas/CONSENSUS.md, "Elected shards:
// the write side"). Per (database, shard): the Raft term the agent's group is in, its leader's
// node id, and when this node's lease as leader ends, in CLOCK_MONOTONIC milliseconds.
//
// Pure logic over caller-provided memory: the extension places the table in shared memory and
// holds its lock around every call; ctest covers it without a server. Slots are plain bytes (no
// pointers, no constructors), so the same memory works in every process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mycelium {

// Bytes a shard id or a node id takes in a slot, with its terminating NUL: shard ids have at
// most 48 characters (shard_id.hpp), node ids 63 (node_id.hpp).
inline constexpr std::size_t kLeaseIdBytes = 64;

// What the agent reported for one shard.
struct Lease {
  std::int64_t term = 0;
  std::string leader;          // node id; empty: the group knows no leader
  std::int64_t expires_ms = 0; // CLOCK_MONOTONIC ms this node's lease ends; 0: no lease

  bool valid_at(std::int64_t now_ms) const { return expires_ms > now_ms; }
};

// One report, for LeaseTable::store.
struct LeaseReport {
  std::string shard_id;
  Lease lease;
};

struct LeaseSlot {
  std::uint32_t database; // 0: free (no database has oid 0)
  char shard_id[kLeaseIdBytes];
  std::int64_t term;
  char leader[kLeaseIdBytes];
  std::int64_t expires_ms;
};
static_assert(std::is_trivially_copyable_v<LeaseSlot>);

// An open-addressing hash table (linear probing, backward-shift deletion) of at most `capacity`
// entries in 1.5 x capacity slots, so that a lookup probes a few slots even when full.
class LeaseTable {
public:
  // Bytes of memory a table of `capacity` entries needs (header and slots).
  static std::size_t bytes_for(std::size_t capacity);
  // Formats zeroed `memory` of bytes_for(capacity) bytes as an empty table.
  static void format(void *memory, std::size_t capacity);
  // A view of memory formatted by `format` (in this process or another).
  explicit LeaseTable(void *memory);

  std::size_t capacity() const;
  std::size_t size() const;

  std::optional<Lease> find(std::uint32_t database, std::string_view shard_id) const;

  enum class StoreResult { stored, full };
  // Stores every report of `database`, all or none. A report whose term is lower than the one
  // held is skipped: a group's term never goes back, so such a report is a late one. When the
  // new shards do not fit, the entries whose lease has ended at `now_ms` make room (the agent
  // reports every group again within a moment); if even that is not enough, nothing changes and
  // the result is `full`. The reports must name distinct shards, and their shard ids
  // and leaders must be shorter than kLeaseIdBytes (the caller has checked both).
  StoreResult store(std::uint32_t database, const std::vector<LeaseReport> &reports,
                    std::int64_t now_ms);

  // Forgets the shard's entry, if any (the shard was dropped here: a shard created again with
  // the same id starts a new group, whose terms begin low again). Returns whether there was one.
  bool erase(std::uint32_t database, std::string_view shard_id);

  // Every entry of `database`, in slot order.
  std::vector<LeaseReport> entries(std::uint32_t database) const;

private:
  struct Header;
  Header *header_;
  LeaseSlot *slots_;

  std::size_t home(std::uint32_t database, std::string_view shard_id) const;
  // The slot holding the key, or where it would go.
  std::size_t probe(std::uint32_t database, std::string_view shard_id) const;
  void remove_at(std::size_t slot);
  void remove_expired(std::int64_t now_ms);
};

// CLOCK_MONOTONIC in milliseconds: the clock leases are measured on, by the agent and by the
// database host alike (both must run on the same host: see read_boot_id).
std::int64_t monotonic_now_ms();

// This host's /proc/sys/kernel/random/boot_id without its newline: a CLOCK_MONOTONIC time means
// something only on the host, and since the boot, it was read on. Empty if it cannot be read.
std::string read_boot_id();

} // namespace mycelium
