// mycelium.inbox: where a replica receives its primary's audit entries. Nothing is trusted:
// each entry must link to this node's copy of the shard's chain (seq and prev_hash), its hash
// must match its contents, its signer must be a validator registered here and its signature
// must verify with the key registered here, and its version must follow the key's current
// version. Only then is it applied and appended, verbatim, to this node's copy of the log.
// An elected shard's entries are believed by its epochs instead of its recorded primary: each was
// appended by the primary of its term's epoch and not superseded by a later one (check_epoch).
// A refused entry is recorded in mycelium.inbox_rejections and not applied; the statement
// succeeds, so the record of the refusal survives, and the sender learns of it by reading the
// replica's chain head (which did not move) and the rejection.
#include "mycelium/audit.hpp"
#include "mycelium/canonical_json.hpp"
#include "mycelium/error.hpp"
#include "mycelium/ext/settings.hpp"
#include "mycelium/parallel_for.hpp"
#include "mycelium/replica_signing.hpp"
#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/epochs.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/catalog/records.hpp"
#include "mycelium/catalog/replicas.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/ext/inbox.hpp"
#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/ext/shard_storage.hpp"
#include "mycelium/ext/write_checks.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"
#include "mycelium/pg/trigger_row.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <vector>

using namespace mycelium;
using mycelium::ext::InternalOp;
using mycelium::ext::InternalScope;

namespace {

struct Entry {
  std::string shard_id, op, key, created_by, signature_hex, origin_node;
  std::int64_t seq = 0, version = 0;
  Datum value = 0;
  bool value_null = true;
  TimestampTz created_at = 0;
  std::string prev_hash, entry_hash;
  std::string link_signature_hex;
  std::int64_t term = 0; // an elected shard's epoch term; 0 on a fixed-primary shard
};

Entry read_entry(const pg::TriggerRow &row, HeapTuple tuple, TupleDesc desc) {
  Entry e;
  e.shard_id = row.text("shard_id");
  e.op = row.text("op");
  e.key = row.text("key");
  e.created_by = row.text("created_by");
  e.signature_hex = row.text("signature");
  e.origin_node = row.text("origin_node");
  e.seq = DatumGetInt64(row.datum("seq"));
  e.version = row.int4("version");
  e.created_at = DatumGetTimestampTz(row.datum("created_at"));
  e.value = pg::call(
      [&] { return SPI_getbinval(tuple, desc, SPI_fnumber(desc, "value"), &e.value_null); });
  const auto bytes = [&](const char *column) {
    bytea *b = pg::call([&] { return DatumGetByteaPP(row.datum(column)); });
    return std::string(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
  };
  e.prev_hash = bytes("prev_hash");
  e.entry_hash = bytes("entry_hash");
  e.link_signature_hex = row.text("link_signature");
  e.term = DatumGetInt64(row.datum("term"));
  return e;
}

[[noreturn]] void refuse(const std::string &why) {
  throw Error(sqlstate::kReplicaRefused, why);
}

// A replica control message (seq 0) rather than an audit entry.
bool is_control(const std::string &op) {
  return op == "open" || op == "open-elected" || op == "close";
}

// The heads of the replica shards one INSERT statement on the inbox is applying. A shard's row
// is locked (FOR UPDATE) once, on its first entry, and written once, by the AFTER STATEMENT
// trigger: updating it for every entry piled up row versions that each later entry of the same
// transaction had to walk (bench/replication.sh: cost per entry grew with the push).
struct Head {
  std::int64_t seq = 0;
  std::string hash;
  Oid partition = InvalidOid;
  std::string primary_node;                           // whose signed links this replica follows
  std::optional<PublicKey> primary_key;               // as registered here; nullopt: not registered
  std::optional<std::vector<std::string>> validators; // responsible validators; nullopt: any
  // Elected shards (schemas/CONSENSUS.md, "Elected shards"): the epochs decide who may have
  // appended which entry, not primary_node. `term` is the latest epoch applied here; head_term
  // is the term of the entry at the head (terms never decrease along the chain).
  bool elected = false;
  std::int64_t term = 0;
  std::int64_t head_term = 0;
  bool dirty = false;
};
std::map<std::string, Head> statement_heads;
// The epochs of the elected shards the statement delivers to, read once per statement (the
// statement cannot apply an epoch: apply_shard_epoch refuses to run inside it).
std::map<std::string, std::vector<catalog::ShardEpoch>> statement_epochs;

// An entry delivered by the statement, applied at its end (inbox_statement_end), so that the
// signatures of all its entries are checked at once on every CPU. `checked` holds what that
// check found, with the keys it used: apply_entry() believes it only when the keys it finds then
// are the same (an open or close earlier in the statement may have changed them).
struct Checked {
  Bytes payload;
  mycelium::Hash expected{}; // the entry hash its contents give
  PublicKey link_key{};      // whose link signature: the primary's, or an elected entry's origin
  PublicKey signer_key{};
  Signature signature{};      // the record's, parsed
  Signature link_signature{}; // the primary's, parsed
  bool link_valid = false;
  bool record_valid = false;
};
struct Delivered {
  Entry entry;
  std::optional<Checked> checked;
};
std::vector<Delivered> statement_entries;
MemoryContext statement_memory = nullptr; // the entries' values, until the statement ends
// Signers' registered keys, looked up once per statement; likewise the keys of the nodes that
// appended an elected shard's entries (origin_node), which sign their links.
std::map<std::string, PublicKey> statement_signers;
std::map<std::string, PublicKey> statement_origins;
// The INSERT statement on the inbox now running, if any, and the subtransaction it runs in.
// One at a time: a nested one (from a function the outer statement calls) is refused, since it
// would read heads the outer statement has moved but not written yet.
bool statement_active = false;
SubTransactionId statement_subxact = InvalidSubTransactionId;

void forget_statement() {
  statement_heads.clear();
  statement_epochs.clear();
  statement_entries.clear();
  statement_signers.clear();
  statement_origins.clear();
  if (statement_memory) {
    MemoryContextDelete(statement_memory); // cannot raise: frees memory
    statement_memory = nullptr;
  }
  statement_active = false;
}

// Called by PostgreSQL's C code: nothing here may throw; ereport is safe, this frame holds no
// C++ object.
void forget_heads(XactEvent event, void *) {
  if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT ||
      event == XACT_EVENT_PRE_PREPARE) {
    if (!statement_entries.empty())
      // Only when the inbox's AFTER STATEMENT trigger did not run (disabled, or a row-limited
      // SPI execution): entries neither applied nor refused must not vanish silently.
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("entries delivered to mycelium.inbox were never applied"),
                      errhint("The statement triggers of mycelium.inbox must be enabled (ENABLE "
                              "ALWAYS), and an INSERT into it run whole.")));
    return;
  }
  forget_statement();
}
// Only the abort of a subtransaction the statement runs in ends the statement. Subtransactions
// inside it (an exception block in a function the statement calls) start, commit or abort
// while the statement goes on: its cached heads must survive them.
void forget_heads_sub(SubXactEvent event, SubTransactionId aborted, SubTransactionId, void *) {
  if (event == SUBXACT_EVENT_ABORT_SUB && statement_active && statement_subxact >= aborted)
    forget_statement();
}

void write_head(const std::string &shard_id, const Head &head) {
  catalog::write_shard_head(shard_id, head.seq,
                            reinterpret_cast<const std::uint8_t *>(head.hash.data()),
                            head.hash.size());
}

void head_of_callbacks() {
  static bool callbacks = false;
  if (!callbacks) {
    // Whatever ends a statement abnormally also ends or rolls back a (sub)transaction.
    pg::call([] { RegisterXactCallback(forget_heads, nullptr); });
    pg::call([] { RegisterSubXactCallback(forget_heads_sub, nullptr); });
    callbacks = true;
  }
}

Head &head_of(const std::string &shard_id) {
  head_of_callbacks();
  auto it = statement_heads.find(shard_id);
  if (it != statement_heads.end())
    return it->second;
  std::optional<catalog::ShardRow> row =
      catalog::find_shard(shard_id, catalog::RowLock::for_update);
  if (!row)
    refuse("shard \"" + shard_id + "\" has no replica on this node");
  if (row->kind != catalog::ShardKind::Replica)
    refuse("shard \"" + shard_id + "\" is a " + catalog::to_string(row->kind) +
           " on this node, not a replica");
  Head head;
  head.seq = row->head_seq;
  head.hash = std::move(row->head_hash);
  head.partition = row->partition;
  head.primary_node = row->primary_node.value_or("");
  if (row->primary_key)
    head.primary_key = parse_public_key(*row->primary_key);
  head.validators = std::move(row->validators);
  head.elected = row->elected;
  head.term = row->term;
  if (head.elected && head.seq > 0)
    head.head_term = catalog::audit_term_at(shard_id, head.seq).value_or(0);
  return statement_heads.emplace(shard_id, std::move(head)).first->second;
}

// The epochs applied here for an elected shard, by term, once per statement.
const std::vector<catalog::ShardEpoch> &epochs_of(const std::string &shard_id) {
  auto it = statement_epochs.find(shard_id);
  if (it == statement_epochs.end())
    it = statement_epochs.emplace(shard_id, catalog::shard_epochs(shard_id)).first;
  return it->second;
}

void record_rejection(const Entry &e, const Error &error) {
  catalog::record_inbox_rejection(e.shard_id, e.seq, e.origin_node, error.sqlstate(), error.what());
}

using pg::unix_us;

PublicKey registered_validator_key(const std::string &node_id, const char *role);

// The signer's key as registered_validator_key finds it, once per statement.
PublicKey signer_key(const std::string &node_id) {
  if (auto it = statement_signers.find(node_id); it != statement_signers.end())
    return it->second;
  const PublicKey key = registered_validator_key(node_id, "signer");
  statement_signers.emplace(node_id, key);
  return key;
}

// The key an elected shard's entry's link is checked with: its origin's, a validator registered
// here (the epoch rules decide whether that origin may have appended the entry).
PublicKey origin_key(const std::string &node_id) {
  if (auto it = statement_origins.find(node_id); it != statement_origins.end())
    return it->second;
  const PublicKey key = registered_validator_key(node_id, "origin");
  statement_origins.emplace(node_id, key);
  return key;
}

// A node registered here that may sign for a shard: a validator. Returns its key.
PublicKey registered_validator_key(const std::string &node_id, const char *role) {
  const std::optional<catalog::NodeRow> node = catalog::find_node(node_id);
  if (!node)
    throw Error(sqlstate::kUnknownSigner,
                std::string(role) + " \"" + node_id + "\" is not a registered node here");
  if (node->type != catalog::NodeType::Validator)
    throw Error(sqlstate::kSignerNotValidator,
                std::string(role) + " \"" + node_id + "\" is not a validator");
  return parse_public_key(node->public_key);
}

// 'open' creates this node's replica of the shard; 'close' drops it. A control row carries:
// seq 0, op, key = the node it is meant for, value = the shard's responsible validators (open;
// NULL: any), created_at = when the primary issued it, origin_node = the primary, signature =
// the primary's signature of the control message (SIGNING.md, "Replica control"). It is
// believed only when signed by the node it names as primary, meant for this node, fresh, and
// newer than the last control accepted for the shard (so no replay, here or elsewhere).
void apply_control(const Entry &e) {
  // Entries of this shard applied earlier in the statement: their head is written now, before
  // the control message looks at the shard.
  if (const auto cached = statement_heads.find(e.shard_id); cached != statement_heads.end()) {
    if (cached->second.dirty)
      write_head(e.shard_id, cached->second);
    statement_heads.erase(cached);
  }
  // Whatever epochs were read for the shard, an open or close changes what holds them.
  statement_epochs.erase(e.shard_id);
  const std::string self = catalog::local_node_id();
  if (e.key != self)
    refuse(e.op + " of shard \"" + e.shard_id + "\" is meant for node \"" + e.key +
           "\", and this node is \"" + self + "\"");
  const PublicKey key = registered_validator_key(e.origin_node, "primary");
  // open-elected: the open of an elected shard's replica, which then follows the shard's epochs.
  const bool opens = e.op == "open" || e.op == "open-elected";
  const bool elected = e.op == "open-elected";
  if (e.op == "close" && !e.value_null)
    refuse("a close message carries no validators");
  const std::string validators =
      e.value_null ? "null" : canonical_json(pg::jsonb_text(e.value), "validators");
  const Bytes payload = replica_control_payload(e.op, e.shard_id, e.origin_node, e.key,
                                                unix_us(e.created_at), validators);
  if (!verify(parse_signature(e.signature_hex), payload, key))
    throw Error(sqlstate::kSignatureInvalid, e.op + " of shard \"" + e.shard_id +
                                                 "\": signature does not verify with the key "
                                                 "registered for its primary \"" +
                                                 e.origin_node + "\"");
  const std::int64_t last_us = catalog::lock_last_control(e.shard_id);
  // GetCurrentTimestamp cannot raise: it reads the clock.
  check_control_time(unix_us(e.created_at), unix_us(GetCurrentTimestamp()), last_us);

  const std::optional<catalog::ShardRow> held =
      catalog::find_shard(e.shard_id, catalog::RowLock::for_update);
  if (held && held->kind != catalog::ShardKind::Replica)
    refuse("shard \"" + e.shard_id + "\" exists on this node as a " +
           catalog::to_string(held->kind) + ", not as a replica");
  if (held && held->primary_node != e.origin_node)
    refuse("shard \"" + e.shard_id + "\" is held here as a replica of \"" +
           held->primary_node.value_or("") + "\", not of \"" + e.origin_node + "\"");
  if (opens && held && held->elected != elected)
    refuse("shard \"" + e.shard_id + "\" is held here as a replica of " +
           (held->elected ? "an elected" : "a fixed-primary") + " shard; an " + e.op +
           " message cannot make it " + (elected ? "elected" : "fixed-primary"));
  if (opens) {
    if (!held) {
      if (!e.value_null) {
        static pg::Statement shape(
            "SELECT jsonb_typeof($1) = 'array' AND NOT EXISTS ("
            "  SELECT FROM jsonb_array_elements($1) v WHERE jsonb_typeof(v) <> 'string')");
        shape.execute({pg::datum_param(JSONBOID, e.value)});
        if (!pg::result_bool(0, 1).value_or(false))
          refuse("an open message's validators must be an array of node ids");
      }
      ext::create_shard_storage(e.shard_id, catalog::ShardKind::Replica, e.origin_node, 0, Datum(0),
                                true);
      catalog::set_shard_validators(e.shard_id, e.value, e.value_null);
      if (elected)
        catalog::set_shard_elected(e.shard_id);
    }
  } else if (held) {
    ext::drop_shard_storage(e.shard_id, held->partition_name, true);
  }
  catalog::record_control(e.shard_id, e.origin_node, e.op, unix_us(e.created_at), e.signature_hex);
}

// The checks, in order: the chain (MC013), the primary's link signature (MC001), then what
// the primary checked when it accepted the write, in the primary's order: the signer (MC002,
// MC004), the responsible validators (MC005), a delete's live record (MC011), the version
// (MC006, MC007) and the record's signature (MC001). Only a signer's being active is not
// required again: a change is history, valid when its signer wrote it.
// The bytes the entry's signer signed (SIGNING.md): MC013 for an entry that is neither a put
// with a value nor a delete.
Bytes entry_payload(const Entry &e) {
  if (e.op == "put") {
    if (e.value_null)
      refuse("a put entry has no value");
    return put_payload(e.shard_id, e.key, e.version, e.created_by,
                       canonical_json(pg::jsonb_text(e.value), "value"));
  }
  if (e.op == "delete")
    return delete_payload(e.shard_id, e.key, e.version, e.created_by);
  refuse("unknown entry op \"" + e.op + "\"");
}

// The entry hash the entry's contents give, linked to `prev` (raw).
mycelium::Hash expected_hash(const Entry &e, const Bytes &payload, const std::string &prev) {
  mycelium::Hash prev_hash{};
  std::memcpy(prev_hash.data(), prev.data(), std::min(prev.size(), prev_hash.size()));
  return audit_entry_hash(prev_hash, static_cast<std::uint64_t>(e.seq), payload,
                          parse_signature(e.signature_hex), e.origin_node,
                          static_cast<std::uint64_t>(unix_us(e.created_at)));
}

// Rule 1 of an elected shard (schemas/CONSENSUS.md, "Elected shards: epochs, terms and
// moved-aside entries"): entry (seq s, term t, origin o) was appended by the primary of epoch t,
// after that epoch's start, and no later epoch known here starts before s (which would have
// superseded it); terms never decrease along the chain. Whoever delivers it does not matter:
// the link signature (checked next) is o's over the term.
void check_epoch(const Entry &e, const Head &head) {
  const std::string entry = "entry " + std::to_string(e.seq) + " (term " + std::to_string(e.term) +
                            ") of elected shard \"" + e.shard_id + "\"";
  if (e.term <= 0)
    refuse(entry + ": an elected shard's entries carry the term of the epoch they were written "
                   "in (term 0 is a fixed primary's, with a v1 link)");
  if (e.term > head.term)
    refuse("epoch " + std::to_string(e.term) + " of shard \"" + e.shard_id +
           "\" is not known here yet (this node applied epochs up to term " +
           std::to_string(head.term) + "); " + entry + " is refused until it is");
  if (e.term < head.head_term)
    refuse(entry + " has a lower term than the entry before it (term " +
           std::to_string(head.head_term) + "): terms never decrease along the chain");
  const std::vector<catalog::ShardEpoch> &epochs = epochs_of(e.shard_id);
  const auto epoch = std::find_if(epochs.begin(), epochs.end(),
                                  [&](const catalog::ShardEpoch &x) { return x.term == e.term; });
  if (epoch == epochs.end())
    refuse(entry + ": epoch " + std::to_string(e.term) +
           " was never applied here (no primary is known for that term)");
  if (epoch->primary_node != e.origin_node)
    refuse(entry + " comes from \"" + e.origin_node + "\", but the primary of epoch " +
           std::to_string(e.term) + " is \"" + epoch->primary_node + "\"");
  if (e.seq <= epoch->start_seq)
    refuse(entry + " is not after the start of its epoch (epoch " + std::to_string(e.term) +
           " appends after seq " + std::to_string(epoch->start_seq) + ")");
  for (const catalog::ShardEpoch &later : epochs)
    if (later.term > e.term && later.start_seq < e.seq)
      refuse(entry + " was superseded: epoch " + std::to_string(later.term) + " (primary \"" +
             later.primary_node + "\") appends after seq " + std::to_string(later.start_seq));
}

void apply_entry(const Entry &e, const std::optional<Checked> &checked) {
  Head &head = head_of(e.shard_id);
  const std::int64_t head_seq = head.seq;
  const std::string head_hash = head.hash;
  const Oid partition = head.partition;

  if (e.seq <= head_seq) {
    // Already here: a resent entry is a no-op when it is the same entry.
    if (catalog::audit_entry_hash_at(e.shard_id, e.seq) == e.entry_hash)
      return;
    refuse("entry " + std::to_string(e.seq) + " differs from the entry already applied here");
  }
  if (e.seq != head_seq + 1)
    refuse("entry " + std::to_string(e.seq) + " does not follow this replica's head " +
           std::to_string(head_seq) + " (entries must arrive in order)");
  if (e.prev_hash != head_hash)
    refuse("entry " + std::to_string(e.seq) + " does not link to this replica's chain head");
  if (head.elected) {
    check_epoch(e, head);
  } else {
    if (e.term != 0)
      refuse("entry " + std::to_string(e.seq) + " has term " + std::to_string(e.term) +
             ", but shard \"" + e.shard_id +
             "\" is a fixed-primary shard here (its entries are term 0)");
    if (e.origin_node != head.primary_node)
      refuse("entry " + std::to_string(e.seq) + " comes from \"" + e.origin_node +
             "\", but this replica follows primary \"" + head.primary_node + "\"");
  }

  // prev_hash is the head's (checked above), as the statement's signature check assumed.
  const Bytes payload = checked ? checked->payload : entry_payload(e);
  const Signature signature = parse_signature(e.signature_hex);
  const mycelium::Hash expected =
      checked ? checked->expected : expected_hash(e, payload, head_hash);
  if (e.entry_hash != std::string(expected.begin(), expected.end()))
    refuse("entry " + std::to_string(e.seq) + ": entry_hash does not match its contents");
  // A fixed shard's links are its primary's; an elected shard's, the origin's that the epoch
  // rules allowed (check_epoch), over the v2 link with the entry's term.
  if (!head.elected && !head.primary_key)
    throw Error(sqlstate::kUnknownSigner,
                "primary \"" + head.primary_node + "\" is not a registered node here");
  const PublicKey link_key = head.elected ? origin_key(e.origin_node) : *head.primary_key;
  const bool link_valid =
      checked && checked->link_key == link_key
          ? checked->link_valid
          : verify(parse_signature(e.link_signature_hex, "link_signature"),
                   link_payload(e.shard_id, static_cast<std::uint64_t>(e.seq), expected,
                                e.origin_node, static_cast<std::uint64_t>(e.term)),
                   link_key);
  if (!link_valid)
    throw Error(
        sqlstate::kSignatureInvalid,
        "entry " + std::to_string(e.seq) +
            (head.elected ? " (term " + std::to_string(e.term) + ")" : std::string()) +
            ": link signature does not verify with the key registered for " +
            (head.elected ? "its origin \"" + e.origin_node : "primary \"" + head.primary_node) +
            "\"");

  const PublicKey key = signer_key(e.created_by);
  if (head.validators && std::find(head.validators->begin(), head.validators->end(),
                                   e.created_by) == head.validators->end())
    throw Error(sqlstate::kSignerNotResponsible, "signer \"" + e.created_by +
                                                     "\" is not a responsible validator of "
                                                     "shard \"" +
                                                     e.shard_id + "\"");
  const std::string what = e.op + " of \"" + e.key + "\"";
  if (e.op == "delete") {
    const std::optional<std::int64_t> live = catalog::live_version(partition, e.key);
    if (!live)
      throw Error(sqlstate::kNothingToDelete,
                  what + ": shard \"" + e.shard_id + "\" holds no such record");
    ext::check_next_version(e.version, *live, what);
  } else {
    ext::check_next_version(e.version, catalog::current_version(partition, e.shard_id, e.key),
                            what);
  }
  if (checked && checked->signer_key == key) {
    if (!checked->record_valid)
      throw Error(sqlstate::kSignatureInvalid,
                  e.op + ": signature does not verify with the signer's registered key");
  } else {
    ext::check_signature(signature, payload, key, e.op.c_str());
  }

  {
    InternalScope scope(InternalOp::ReplicaApply, e.shard_id);
    if (e.op == "put") {
      catalog::upsert_record(partition,
                             {e.shard_id, e.key, e.value, static_cast<std::int32_t>(e.version),
                              e.created_by, e.signature_hex});
    } else {
      catalog::upsert_tombstone(e.shard_id, e.key, static_cast<std::int32_t>(e.version),
                                e.created_by, e.signature_hex);
      catalog::remove_record(partition, e.shard_id, e.key);
    }
  }

  // The primary's entry, verbatim: both nodes' chains are then identical and comparable.
  catalog::AuditAppend entry;
  entry.shard_id = e.shard_id;
  entry.seq = e.seq;
  entry.op = e.op;
  entry.key = e.key;
  entry.version = static_cast<std::int32_t>(e.version);
  entry.value = e.value;
  entry.value_null = e.value_null;
  entry.created_by = e.created_by;
  entry.signature_hex = e.signature_hex;
  entry.created_at = e.created_at;
  entry.origin_node = e.origin_node;
  entry.prev_hash = e.prev_hash;
  entry.entry_hash.assign(expected.begin(), expected.end());
  entry.link_signature_hex = e.link_signature_hex;
  entry.term = e.term;
  catalog::append_audit_entry(entry, catalog::AuditSource::Replica);
  // The shard's row is written once, at the end of the statement (inbox_statement_end).
  head.seq = e.seq;
  head.hash.assign(expected.begin(), expected.end());
  head.head_term = e.term;
  head.dirty = true;
}

// Where a shard's chain stands for the entries of a delivery not applied yet: the next seq and
// the hash it must link to, from this node's head and then from each entry that would follow
// it. Only entries that chain on are worth checking ahead: the rest (a resend, a gap, another
// primary's) are refused, or skipped, by apply_entry without a signature check, as before.
struct ChainTip {
  std::int64_t next_seq = 0;
  std::string prev_hash;
  bool elected = false;     // links checked with each entry's origin's key, not the primary's
  std::string primary_node; // fixed-primary shards: whose links
  PublicKey primary_key{};
};

std::optional<ChainTip> chain_tip(const std::string &shard_id) {
  ChainTip tip;
  if (const auto cached = statement_heads.find(shard_id); cached != statement_heads.end()) {
    if (!cached->second.elected && !cached->second.primary_key)
      return std::nullopt;
    tip.next_seq = cached->second.seq + 1;
    tip.prev_hash = cached->second.hash;
    tip.elected = cached->second.elected;
    tip.primary_node = cached->second.primary_node;
    if (!tip.elected)
      tip.primary_key = *cached->second.primary_key;
    return tip;
  }
  const std::optional<catalog::ShardRow> shard =
      catalog::find_shard(shard_id, catalog::RowLock::none);
  if (!shard || shard->kind != catalog::ShardKind::Replica)
    return std::nullopt;
  tip.next_seq = shard->head_seq + 1;
  tip.prev_hash = shard->head_hash;
  tip.elected = shard->elected;
  if (tip.elected)
    return tip;
  if (!shard->primary_key || !shard->primary_node)
    return std::nullopt;
  tip.primary_node = *shard->primary_node;
  tip.primary_key = parse_public_key(*shard->primary_key);
  return tip;
}

// What the signature checks of a put or delete that chains onto `tip` need, with the keys
// registered now (and `tip` moved past it); nullopt when it does not chain on or something is
// missing or malformed (apply_entry() then finds it and says so, in order).
std::optional<Checked> prepare_check(const Entry &e, ChainTip &tip) {
  if ((e.op != "put" && e.op != "delete") || e.seq != tip.next_seq || e.prev_hash != tip.prev_hash)
    return std::nullopt;
  // What apply_entry() refuses before any signature check is not worth one here either (the
  // epoch rules of an elected shard are checked there, in order).
  if (tip.elected ? e.term <= 0 : (e.term != 0 || e.origin_node != tip.primary_node))
    return std::nullopt;
  try {
    Checked c;
    c.payload = entry_payload(e);
    c.expected = expected_hash(e, c.payload, e.prev_hash);
    c.link_key = tip.elected ? origin_key(e.origin_node) : tip.primary_key;
    c.signer_key = signer_key(e.created_by);
    c.signature = parse_signature(e.signature_hex);
    c.link_signature = parse_signature(e.link_signature_hex, "link_signature");
    tip.next_seq = e.seq + 1;
    tip.prev_hash = e.entry_hash;
    return c;
  } catch (const Error &) {
    return std::nullopt; // our own checks only: apply_entry() raises the same error in its turn
  }
}

// Applies the entries delivered so far in order, the signatures of those that chain on checked
// first, all at once, on every CPU (threads doing libsodium work only; parallel_for.hpp).
void apply_delivered() {
  std::map<std::string, std::optional<ChainTip>> tips; // one lookup per shard
  std::vector<std::size_t> to_check;
  for (std::size_t i = 0; i < statement_entries.size(); ++i) {
    Delivered &d = statement_entries[i];
    if (is_control(d.entry.op)) {
      // The shard's replica, primary or key may change here: its later entries are checked
      // when applied.
      tips[d.entry.shard_id] = std::nullopt;
      continue;
    }
    auto tip = tips.find(d.entry.shard_id);
    if (tip == tips.end())
      tip = tips.emplace(d.entry.shard_id, chain_tip(d.entry.shard_id)).first;
    if (tip->second)
      d.checked = prepare_check(d.entry, *tip->second);
    if (d.checked)
      to_check.push_back(i);
  }
  parallel_for(to_check.size(), ext::verify_thread_count(), 8, [&](std::size_t k) {
    Delivered &d = statement_entries[to_check[k]];
    Checked &c = *d.checked;
    const Entry &e = d.entry;
    c.link_valid = verify(c.link_signature,
                          link_payload(e.shard_id, static_cast<std::uint64_t>(e.seq), c.expected,
                                       e.origin_node, static_cast<std::uint64_t>(e.term)),
                          c.link_key);
    c.record_valid = verify(c.signature, c.payload, c.signer_key);
  });
  for (const Delivered &d : statement_entries) {
    try {
      if (is_control(d.entry.op))
        apply_control(d.entry);
      else
        apply_entry(d.entry, d.checked);
    } catch (const Error &error) {
      // Refusals are our own checks, raised before anything was written for this entry.
      record_rejection(d.entry, error);
    }
  }
  statement_entries.clear();
  if (statement_memory)
    MemoryContextReset(statement_memory); // cannot raise: frees memory
}

// Entries held before they are applied, within a statement: bounds the memory of a long
// delivery (a replicator's INSERT ... SELECT of millions of rows).
constexpr std::size_t kApplyEvery = 1000;

// Keeps the entry for the statement's end, its value copied (detoasted) out of the trigger's
// tuple, which is gone by then.
void deliver(Entry entry) {
  if (!statement_memory)
    statement_memory = pg::call([] {
      return AllocSetContextCreate(TopTransactionContext, "mycelium inbox statement",
                                   ALLOCSET_DEFAULT_SIZES);
    });
  if (!entry.value_null) {
    entry.value = pg::detoasted_copy(entry.value, statement_memory);
  }
  statement_entries.push_back(Delivered{std::move(entry), std::nullopt});
}

} // namespace

bool mycelium::ext::inbox_statement_running() {
  return statement_active;
}

MYCELIUM_SQL_FUNCTION(mycelium_apply_inbox_entry) {
  TriggerData *trigger = pg::row_trigger_data(fcinfo, "apply_inbox_entry");
  if (!TRIGGER_FIRED_BY_INSERT(trigger->tg_event))
    throw Error("39P01", "apply_inbox_entry must be an INSERT trigger");
  const TupleDesc desc = trigger->tg_relation->rd_att;
  const pg::TriggerRow row(trigger->tg_trigtuple, desc);

  pg::SpiConnection spi;
  Entry entry;
  try {
    entry = read_entry(row, trigger->tg_trigtuple, desc);
    if (statement_active) {
      // Applied with the statement's other entries at its end (inbox_statement_end).
      deliver(std::move(entry));
      if (statement_entries.size() >= kApplyEvery)
        apply_delivered();
      return PointerGetDatum(nullptr);
    }
    // Without its statement triggers (disabled), one entry at a time.
    if (is_control(entry.op))
      apply_control(entry);
    else
      apply_entry(entry, std::nullopt);
  } catch (const Error &error) {
    // Refusals are our own checks, raised before anything was written for this entry.
    record_rejection(entry, error);
  }
  if (!statement_active) {
    // One entry at a time, no statement end to write the head it moved: written now, and
    // nothing kept for the next row (the head stayed behind its entries, which verify_audit
    // reported as a broken chain).
    for (const auto &[shard_id, head] : statement_heads)
      if (head.dirty)
        write_head(shard_id, head);
    statement_heads.clear();
    statement_epochs.clear();
  }
  // Nothing is stored in the inbox itself.
  return PointerGetDatum(nullptr);
}

// BEFORE STATEMENT: a statement starts with no cached heads.
MYCELIUM_SQL_FUNCTION(mycelium_inbox_statement_start) {
  (void)fcinfo;
  if (statement_active)
    throw Error(sqlstate::kReplicaRefused,
                "mycelium.inbox cannot be written from inside a statement that writes it");
  head_of_callbacks();
  forget_statement();
  statement_active = true;
  statement_subxact = GetCurrentSubTransactionId(); // cannot raise: reads the xact state
  return PointerGetDatum(nullptr);
}

// AFTER STATEMENT: the statement's entries are applied, and the heads they moved written to
// mycelium.shards, once each.
MYCELIUM_SQL_FUNCTION(mycelium_inbox_statement_end) {
  (void)fcinfo;
  if (!statement_entries.empty() || !statement_heads.empty()) {
    pg::SpiConnection spi;
    apply_delivered();
    for (const auto &[shard_id, head] : statement_heads)
      if (head.dirty)
        write_head(shard_id, head);
  }
  forget_statement();
  return PointerGetDatum(nullptr);
}
