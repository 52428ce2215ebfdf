// The signed writes of one statement on mycelium.data or mycelium.tombstones, batched: the
// record triggers (record_triggers.cpp) check each row as it comes and chain it to its shard's
// head, while what costs most is done for many rows at once, at the statement's end (or every
// kFlushRows rows):
//  - the Ed25519 checks of the rows' signatures and the signing of their chain links, in
//    parallel on every CPU (pure libsodium work on threads that never call PostgreSQL);
//  - the audit-log appends;
//  - one write of each shard's head, which a row-by-row write made into a chain of row versions
//    every later row of the transaction had to walk.
// A statement whose signatures do not all verify fails as a whole, so nothing it wrote stays.
//
// A batch belongs to the statements of one subtransaction: the BEFORE STATEMENT trigger opens
// it (or joins the open one: a function called by the statement may write too), the AFTER
// STATEMENT trigger flushes it and closes it after the last. A row written where no batch of
// its own subtransaction is open (a statement naming a partition, whose own statement triggers
// the partitioned table's do not fire) goes through a batch of one row, flushed at once, after
// the open batches were flushed so that it chains onto their heads. Callers hold an SPI
// connection.
#pragma once

#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/pg/postgres.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mycelium::ext {

// One signed change, checked for everything but its signature: the signature check waits for
// the batch's flush.
struct SignedChange {
  catalog::AuditAppend entry; // seq, hashes and created_at set by WriteBatch::append
  Signature signature{};
  Bytes payload;    // the signed bytes (SIGNING.md)
  PublicKey key{};  // the signer's registered key
  const char *what; // "put" or "delete", for the error
};

class WriteBatch {
public:
  // Rows held before a flush: bounds the memory of a long COPY.
  static constexpr std::size_t kFlushRows = 4096;

  explicit WriteBatch(MemoryContext parent);
  ~WriteBatch();
  WriteBatch(const WriteBatch &) = delete;
  WriteBatch &operator=(const WriteBatch &) = delete;

  // created_by must be a registered, active validator (check_signer); its key, looked up once.
  PublicKey signer_key(const std::string &node_id);
  // The shard's head, locked on first use for the rest of the transaction; moved by append.
  const catalog::ShardHead &head(const std::string &shard_id);
  // Chains the change onto its shard's head (which head() returned before) and holds it for the
  // flush. The entry's value is copied, detoasted, into the batch's memory.
  void append(SignedChange change);
  // Verifies every held signature (the first bad one, in row order, is the error), signs the
  // links, appends the entries to the audit log and writes the moved heads. Whether it wrote
  // anything.
  bool flush();
  bool empty() const { return changes_.empty(); }

private:
  struct Head {
    catalog::ShardHead head;
    bool moved = false; // differs from mycelium.shards
  };
  MemoryContext memory_;
  std::map<std::string, PublicKey> signers_;
  std::map<std::string, Head> heads_;
  std::vector<SignedChange> changes_;
};

// The batch a row trigger appends to. With no batch of the current subtransaction open, the
// open batches are flushed and a batch of one row is made; its owner flushes it before the
// trigger returns (finish_row).
class RowBatch {
public:
  RowBatch();
  WriteBatch &operator*() { return *batch_; }
  WriteBatch *operator->() { return batch_; }
  // Flushes a batch of one row; the statement's batch waits for the statement's end, or for
  // kFlushRows rows.
  void finish_row();

private:
  WriteBatch *batch_;
  std::unique_ptr<WriteBatch> own_;
};

} // namespace mycelium::ext
