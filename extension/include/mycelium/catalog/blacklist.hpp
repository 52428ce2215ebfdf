// The blacklist (mycelium.blacklist: one signed entry per banned node and creator) and its lifts
// (mycelium.blacklist_lifts), through typed functions. Part of the catalog
// (extension/src/catalog/); lifting, expiry and listing are SQL functions in the extension
// script. Callers hold an SPI connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mycelium::catalog {

// Until the end of the transaction, no lift of the node runs beside this add (adds share the
// lock; blacklist_lift takes it alone): an add that read "no lift" and inserted after the lift's
// DELETE would undo the lift.
void lock_blacklist_for_add(const std::string &node_id);

// A lift of the node at or after `created_at_ms` exists: the entry is covered by it.
bool lifted_since(const std::string &node_id, std::int64_t created_at_ms);

struct BlacklistEntryRow {
  std::string node_id;
  std::string created_by;
  std::string reason;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::string signature_hex;
  std::optional<std::string> received_from;
};
// Stores the entry unless the creator's entry held for the node is as new or newer; true when
// stored. A conflicting row is locked even when not replaced.
bool store_blacklist_entry(const BlacklistEntryRow &entry);
// The very entry (every signed field) is held.
bool holds_blacklist_entry(const BlacklistEntryRow &entry);

} // namespace mycelium::catalog
