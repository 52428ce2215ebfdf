#include "mycelium/lease_table.hpp"

#include <cstring>
#include <ctime>
#include <fstream>

namespace mycelium {

struct LeaseTable::Header {
  std::uint64_t capacity;
  std::uint64_t slot_count;
  std::uint64_t used;
};

namespace {

std::size_t slot_count_for(std::size_t capacity) {
  return capacity + capacity / 2 + 1;
}

void copy_id(char (&to)[kLeaseIdBytes], std::string_view from) {
  const std::size_t n = from.size() < kLeaseIdBytes ? from.size() : kLeaseIdBytes - 1;
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

bool holds(const LeaseSlot &slot, std::uint32_t database, std::string_view shard_id) {
  return slot.database == database && shard_id.size() < kLeaseIdBytes &&
         std::strncmp(slot.shard_id, shard_id.data(), shard_id.size()) == 0 &&
         slot.shard_id[shard_id.size()] == '\0';
}

Lease lease_of(const LeaseSlot &slot) {
  return Lease{slot.term, slot.leader, slot.expires_ms};
}

} // namespace

std::size_t LeaseTable::bytes_for(std::size_t capacity) {
  return sizeof(Header) + slot_count_for(capacity) * sizeof(LeaseSlot);
}

void LeaseTable::format(void *memory, std::size_t capacity) {
  std::memset(memory, 0, bytes_for(capacity));
  Header *header = static_cast<Header *>(memory);
  header->capacity = capacity;
  header->slot_count = slot_count_for(capacity);
  header->used = 0;
}

LeaseTable::LeaseTable(void *memory)
    : header_(static_cast<Header *>(memory)),
      slots_(reinterpret_cast<LeaseSlot *>(static_cast<char *>(memory) + sizeof(Header))) {}

std::size_t LeaseTable::capacity() const {
  return header_->capacity;
}

std::size_t LeaseTable::size() const {
  return header_->used;
}

// FNV-1a over the database oid and the shard id.
std::size_t LeaseTable::home(std::uint32_t database, std::string_view shard_id) const {
  std::uint64_t h = 1469598103934665603ull;
  const auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (int i = 0; i < 4; ++i)
    mix(static_cast<unsigned char>(database >> (8 * i)));
  for (const char c : shard_id)
    mix(static_cast<unsigned char>(c));
  return static_cast<std::size_t>(h % header_->slot_count);
}

std::size_t LeaseTable::probe(std::uint32_t database, std::string_view shard_id) const {
  // At least a third of the slots are always free, so the walk ends.
  std::size_t i = home(database, shard_id);
  while (slots_[i].database != 0 && !holds(slots_[i], database, shard_id))
    i = (i + 1) % header_->slot_count;
  return i;
}

std::optional<Lease> LeaseTable::find(std::uint32_t database, std::string_view shard_id) const {
  if (database == 0 || header_->slot_count == 0)
    return std::nullopt;
  const LeaseSlot &slot = slots_[probe(database, shard_id)];
  if (slot.database == 0)
    return std::nullopt;
  return lease_of(slot);
}

bool LeaseTable::erase(std::uint32_t database, std::string_view shard_id) {
  if (database == 0 || header_->slot_count == 0)
    return false;
  const std::size_t slot = probe(database, shard_id);
  if (slots_[slot].database == 0)
    return false;
  remove_at(slot);
  return true;
}

// Backward-shift deletion: the entries after the hole that would no longer be found from their
// home slot move into it, so that no tombstones are needed.
void LeaseTable::remove_at(std::size_t hole) {
  const std::size_t n = header_->slot_count;
  slots_[hole].database = 0;
  --header_->used;
  for (std::size_t j = (hole + 1) % n; slots_[j].database != 0; j = (j + 1) % n) {
    const std::size_t k = home(slots_[j].database, slots_[j].shard_id);
    // The entry at j stays if its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (stays)
      continue;
    slots_[hole] = slots_[j];
    slots_[j].database = 0;
    hole = j;
  }
}

void LeaseTable::remove_expired(std::int64_t now_ms) {
  for (std::size_t i = 0; i < header_->slot_count;) {
    if (slots_[i].database != 0 && slots_[i].expires_ms <= now_ms) {
      remove_at(i);
      continue; // an entry may have moved into slot i: look at it again
    }
    ++i;
  }
}

LeaseTable::StoreResult LeaseTable::store(std::uint32_t database,
                                          const std::vector<LeaseReport> &reports,
                                          std::int64_t now_ms) {
  std::size_t fresh = 0;
  for (const LeaseReport &r : reports)
    fresh += slots_[probe(database, r.shard_id)].database == 0 ? 1 : 0;
  if (header_->used + fresh > header_->capacity) {
    // Ended leases go only if that makes room: a refused call changes nothing.
    std::size_t ended = 0;
    for (std::size_t i = 0; i < header_->slot_count; ++i)
      ended += slots_[i].database != 0 && slots_[i].expires_ms <= now_ms ? 1 : 0;
    if (header_->used - ended + fresh > header_->capacity)
      return StoreResult::full;
    remove_expired(now_ms);
  }
  for (const LeaseReport &r : reports) {
    LeaseSlot &slot = slots_[probe(database, r.shard_id)];
    if (slot.database == 0) {
      slot.database = database;
      copy_id(slot.shard_id, r.shard_id);
      ++header_->used;
    } else if (r.lease.term < slot.term) {
      continue;
    }
    slot.term = r.lease.term;
    copy_id(slot.leader, r.lease.leader);
    slot.expires_ms = r.lease.expires_ms;
  }
  return StoreResult::stored;
}

std::vector<LeaseReport> LeaseTable::entries(std::uint32_t database) const {
  std::vector<LeaseReport> out;
  for (std::size_t i = 0; i < header_->slot_count; ++i)
    if (slots_[i].database == database && database != 0)
      out.push_back(LeaseReport{slots_[i].shard_id, lease_of(slots_[i])});
  return out;
}

std::int64_t monotonic_now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts); // cannot fail for CLOCK_MONOTONIC on Linux
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (!in || !std::getline(in, id))
    return {};
  return id;
}

} // namespace mycelium
