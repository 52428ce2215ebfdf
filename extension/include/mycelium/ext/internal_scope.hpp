// Marks the extension's own writes to tables that nobody else may change (the audit log,
// tombstones, a record's row on a signed delete). Only C++ code of this library can open a
// scope, so no SQL statement can claim one. Scopes nest and close on unwinding (RAII).
#pragma once

#include <string>

namespace mycelium::ext {

enum class InternalOp {
  AuditAppend,  // a verifying trigger appends to mycelium.audit_log
  SignedDelete, // a verified tombstone removes its record's row
  DropShard,    // drop_shard removes a shard's tombstones (and a replica's copied audit log)
  ReplicaApply, // the inbox writes a verified replicated entry into a replica shard
  StatusUpdate, // replication marks audit entries synced
  MoveAside,    // apply_shard_epoch moves an elected shard's superseded entries out of the log
                // and restores the keys' tombstones (schemas/CONSENSUS.md, "Elected shards")
};

class InternalScope {
public:
  explicit InternalScope(InternalOp op, std::string shard_id = {}, std::string key = {});
  ~InternalScope();
  InternalScope(const InternalScope &) = delete;
  InternalScope &operator=(const InternalScope &) = delete;

  // Whether a scope for `op` is open; for SignedDelete, DropShard, ReplicaApply and MoveAside it
  // must also
  // name the shard (and, for SignedDelete, the key) being changed.
  static bool active(InternalOp op, const std::string &shard_id = {}, const std::string &key = {});

private:
  InternalOp op_;
  std::string shard_id_;
  std::string key_;
  InternalScope *outer_;
};

} // namespace mycelium::ext
