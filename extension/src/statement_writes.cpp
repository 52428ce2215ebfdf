#include "mycelium/ext/statement_writes.hpp"

#include "mycelium/audit.hpp"
#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/epochs.hpp"
#include "mycelium/error.hpp"
#include "mycelium/ext/node_key.hpp"
#include "mycelium/ext/write_checks.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/ext/settings.hpp"
#include "mycelium/parallel_for.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/guard.hpp"
#include "mycelium/pg/transaction_callbacks.hpp"
#include "mycelium/pg/spi.hpp"
#include "mycelium/replica_signing.hpp"

extern "C" {
#include "access/xact.h"
#include "commands/trigger.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

#include <algorithm>

namespace mycelium::ext {

namespace {

// Below this many rows per thread, starting a thread costs more than it saves (an Ed25519
// check and a signature are ~70 µs together; a thread start is ~20 µs).
constexpr std::size_t kMinRowsPerThread = 8;

// The open batch of one subtransaction: its statements' rows, until the last one ends.
struct Level {
  SubTransactionId subxact = InvalidSubTransactionId;
  int statements = 0; // BEFORE STATEMENT triggers run minus AFTER STATEMENT triggers run
  // The deepest subtransaction (deeper than `subxact`) a flush of this batch ran in. If that
  // one rolls back, the audit entries and heads the flush wrote go with it while this
  // batch's rows stay: the batch is then broken, and its statement must fail.
  SubTransactionId flushed_in = InvalidSubTransactionId;
  bool broken = false;
  // Whether the batches below were flushed, as they must be before this one's first row
  // chains onto the heads they hold (done then, by the row trigger, which may write).
  bool below_flushed = false;
  std::unique_ptr<WriteBatch> batch;
};
std::vector<Level> levels;

void refuse_if_broken(const Level &level) {
  if (level.broken)
    throw Error(sqlstate::kInternalError,
                "signed writes of this statement were logged inside a subtransaction that "
                "rolled back; the statement cannot go on (write records in the statement's own "
                "subtransaction, or catch errors around whole statements)");
}

// Before a row of another subtransaction chains onto the shards' heads, the open batches up to
// `end` write theirs, and their audit entries.
void flush_open_batches(std::size_t end) {
  const SubTransactionId current = GetCurrentSubTransactionId(); // cannot raise: reads state
  for (std::size_t i = 0; i < end && i < levels.size(); ++i) {
    Level &level = levels[i];
    refuse_if_broken(level);
    if (level.batch && level.batch->flush() && current != level.subxact)
      level.flushed_in = std::max(level.flushed_in, current);
  }
}
void flush_open_batches() {
  flush_open_batches(levels.size());
}

void drop_levels_from(SubTransactionId aborted) {
  while (!levels.empty() && levels.back().subxact >= aborted)
    levels.pop_back();
  for (Level &level : levels)
    if (level.flushed_in != InvalidSubTransactionId && level.flushed_in >= aborted)
      level.broken = true;
}

// Called by PostgreSQL's C code: nothing here may throw. ereport is safe: this frame holds no
// C++ object.
void on_xact_event(XactEvent event, void *) {
  if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT ||
      event == XACT_EVENT_PRE_PREPARE) {
    bool unfinished = false;
    for (const Level &level : levels)
      unfinished = unfinished || level.broken || (level.batch && !level.batch->empty());
    if (unfinished)
      // Only when an AFTER STATEMENT trigger of mycelium.data or mycelium.tombstones was
      // disabled: rows whose signatures were never checked must not commit.
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("signed writes of this transaction were never verified"),
                      errhint("A statement on mycelium.data or mycelium.tombstones ended "
                              "without its AFTER STATEMENT trigger: the trigger was disabled, "
                              "or the statement was run through SPI with a row limit. Run it "
                              "whole, with the extension's triggers enabled (ENABLE ALWAYS).")));
    return;
  }
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
      event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
      event == XACT_EVENT_PREPARE)
    levels.clear();
}

void on_subxact_event(SubXactEvent event, SubTransactionId subxact, SubTransactionId parent,
                      void *) {
  if (event == SUBXACT_EVENT_ABORT_SUB) {
    drop_levels_from(subxact);
  } else if (event == SUBXACT_EVENT_COMMIT_SUB) {
    // Its rows are now the parent's.
    for (Level &level : levels)
      if (level.subxact == subxact)
        level.subxact = parent;
  }
}

void require_statement_trigger(FunctionCallInfo fcinfo, const char *name) {
  if (!CALLED_AS_TRIGGER(fcinfo) ||
      !TRIGGER_FIRED_FOR_STATEMENT(reinterpret_cast<TriggerData *>(fcinfo->context)->tg_event))
    throw Error(sqlstate::kInternalError,
                std::string(name) + " must be a FOR EACH STATEMENT trigger");
}

void register_callbacks() {
  static bool registered = false;
  pg::register_transaction_callbacks(registered, on_xact_event, on_subxact_event);
}

} // namespace

WriteBatch::WriteBatch(MemoryContext parent)
    : memory_(pg::call([parent] {
        return AllocSetContextCreate(parent, "mycelium signed writes", ALLOCSET_DEFAULT_SIZES);
      })) {}

WriteBatch::~WriteBatch() {
  // Cannot raise: frees memory. A batch of a transaction that ended goes before its parent
  // context does (the transaction callbacks run first).
  MemoryContextDelete(memory_);
}

PublicKey WriteBatch::signer_key(const std::string &node_id) {
  if (auto it = signers_.find(node_id); it != signers_.end())
    return it->second;
  const PublicKey key = check_signer(node_id);
  signers_.emplace(node_id, key);
  return key;
}

const catalog::ShardHead &WriteBatch::head(const std::string &shard_id) {
  if (auto it = heads_.find(shard_id); it != heads_.end())
    return it->second.head;
  catalog::ShardHead head = catalog::lock_shard_for_write(shard_id);
  // The primary vouches for each link with its node key: a replica believes an entry only
  // with this signature by the node its shard row names as primary (SIGNING.md).
  const std::string own_key = to_hex(node_key().public_key().data(), kPublicKeySize);
  if (head.registered_key && *head.registered_key != own_key)
    throw Error(sqlstate::kNoNodeKey,
                "mycelium.node_key_file holds public key " + own_key + ", but this node (\"" +
                    head.origin_node + "\") is registered with " + *head.registered_key +
                    ": its replicas would refuse every entry; point the setting at the node's "
                    "own key file");
  if (head.elected) {
    // The epoch says this node appends after its start_seq: a head short of it (this node was
    // named primary before it held the chain up to there) would write entries every replica
    // refuses, and a primary takes no entries through its inbox to catch up.
    const std::optional<catalog::ShardEpoch> epoch = catalog::shard_epoch(shard_id, head.term);
    if (epoch && head.seq < epoch->start_seq)
      throw Error(sqlstate::kNotPrimary,
                  "shard \"" + shard_id + "\": this node is the primary of epoch " +
                      std::to_string(head.term) + ", which starts after seq " +
                      std::to_string(epoch->start_seq) + ", but holds the chain only up to seq " +
                      std::to_string(head.seq) + ": it cannot write until it has caught up");
  }
  return heads_.emplace(shard_id, Head{std::move(head), false}).first->second.head;
}

void WriteBatch::append(SignedChange change) {
  catalog::AuditAppend &e = change.entry;
  Head &current = heads_.at(e.shard_id);
  const TimestampTz now = GetCurrentTimestamp(); // cannot raise: reads the clock
  const std::int64_t seq = current.head.seq + 1;
  const Hash entry_hash = audit_entry_hash(
      current.head.hash, static_cast<std::uint64_t>(seq), change.payload, change.signature,
      current.head.origin_node, static_cast<std::uint64_t>(pg::unix_us(now)));
  e.seq = seq;
  e.created_at = now;
  e.origin_node = current.head.origin_node;
  // An elected shard's entries belong to the epoch this node is primary in (its v2 link signs
  // the term); a fixed primary's are term 0 (v1 link).
  e.term = current.head.elected ? current.head.term : 0;
  e.prev_hash.assign(current.head.hash.begin(), current.head.hash.end());
  e.entry_hash.assign(entry_hash.begin(), entry_hash.end());
  if (!e.value_null) {
    // The trigger's tuple is gone by the flush: keep a whole (detoasted) copy.
    e.value = pg::detoasted_copy(e.value, memory_);
  }
  current.head.seq = seq;
  current.head.hash = entry_hash;
  current.moved = true;
  changes_.push_back(std::move(change));
  if (changes_.size() >= kFlushRows)
    flush();
}

bool WriteBatch::flush() {
  bool wrote = !changes_.empty();
  if (!changes_.empty()) {
    const SecretKey &node = node_key();
    const std::size_t n = changes_.size();
    std::vector<char> valid(n, 0);
    std::vector<Signature> links(n);
    // Pure libsodium work on every CPU; the inputs are C++ values, never PostgreSQL memory.
    parallel_for(n, verify_thread_count(), kMinRowsPerThread, [&](std::size_t i) {
      const SignedChange &c = changes_[i];
      valid[i] = verify(c.signature, c.payload, c.key);
      Hash entry_hash;
      std::copy(c.entry.entry_hash.begin(), c.entry.entry_hash.end(), entry_hash.begin());
      links[i] = node.sign(link_payload(c.entry.shard_id, static_cast<std::uint64_t>(c.entry.seq),
                                        entry_hash, c.entry.origin_node,
                                        static_cast<std::uint64_t>(c.entry.term)));
    });
    for (std::size_t i = 0; i < n; ++i)
      if (!valid[i])
        throw Error(sqlstate::kSignatureInvalid,
                    std::string(changes_[i].what) +
                        ": signature does not verify with the signer's registered key");
    for (std::size_t i = 0; i < n; ++i) {
      changes_[i].entry.link_signature_hex = to_hex(links[i].data(), links[i].size());
      catalog::append_audit_entry(changes_[i].entry, catalog::AuditSource::Primary);
    }
  }
  for (const auto &[shard_id, head] : heads_)
    if (head.moved) {
      catalog::write_shard_head(shard_id, head.head.seq, head.head.hash.data(),
                                head.head.hash.size());
      wrote = true;
    }
  // Heads are read again (still locked) by the next row: a row of another batch may have moved
  // them meanwhile. Signers too, in case a statement changed a node between two flushes.
  heads_.clear();
  signers_.clear();
  changes_.clear();
  MemoryContextReset(memory_); // cannot raise: frees memory
  return wrote;
}

RowBatch::RowBatch() {
  register_callbacks();
  const SubTransactionId current = GetCurrentSubTransactionId(); // cannot raise: reads state
  if (!levels.empty() && levels.back().subxact == current) {
    Level &top = levels.back();
    refuse_if_broken(top);
    if (!top.below_flushed) {
      flush_open_batches(levels.size() - 1);
      top.below_flushed = true;
    }
    // Made at its first row: statements that write no signed row (a replica's tombstone
    // upsert, which the inbox has verified) cost no batch.
    if (!top.batch)
      top.batch = std::make_unique<WriteBatch>(TopTransactionContext);
    batch_ = top.batch.get();
    return;
  }
  flush_open_batches();
  own_ = std::make_unique<WriteBatch>(CurTransactionContext);
  batch_ = own_.get();
}

void RowBatch::finish_row() {
  if (own_)
    own_->flush();
}

} // namespace mycelium::ext

// BEFORE INSERT OR UPDATE ON mycelium.data and mycelium.tombstones, FOR EACH STATEMENT: opens
// the subtransaction's batch, or joins it. Neither SECURITY DEFINER nor SET search_path: it runs
// no statement, and those cost every single-row statement a GUC switch.
MYCELIUM_SQL_FUNCTION(mycelium_signed_writes_start) {
  using namespace mycelium::ext;
  require_statement_trigger(fcinfo, "signed_writes_start");
  register_callbacks();
  const SubTransactionId current = GetCurrentSubTransactionId(); // cannot raise: reads state
  if (!levels.empty() && levels.back().subxact == current) {
    refuse_if_broken(levels.back());
    ++levels.back().statements;
    return PointerGetDatum(nullptr);
  }
  // No statement here: this trigger runs as the caller (it writes nothing), and the batches
  // below are flushed by this batch's first row (RowBatch).
  Level level;
  level.subxact = current;
  level.statements = 1;
  levels.push_back(std::move(level));
  return PointerGetDatum(nullptr);
}

// AFTER INSERT OR UPDATE ON mycelium.data and mycelium.tombstones, FOR EACH STATEMENT: verifies
// and logs what the statement wrote; the batch closes with the subtransaction's last statement.
MYCELIUM_SQL_FUNCTION(mycelium_signed_writes_end) {
  using namespace mycelium::ext;
  require_statement_trigger(fcinfo, "signed_writes_end");
  if (levels.empty())
    return PointerGetDatum(nullptr);
  const SubTransactionId current = GetCurrentSubTransactionId(); // cannot raise: reads state
  if (levels.back().subxact != current) {
    // Not the batch this statement opened (its BEFORE trigger was disabled): whatever is open
    // is written out now.
    mycelium::pg::SpiConnection spi;
    flush_open_batches();
    return PointerGetDatum(nullptr);
  }
  refuse_if_broken(levels.back());
  if (levels.back().batch) {
    mycelium::pg::SpiConnection spi;
    levels.back().batch->flush();
  }
  if (--levels.back().statements <= 0)
    levels.pop_back();
  return PointerGetDatum(nullptr);
}
