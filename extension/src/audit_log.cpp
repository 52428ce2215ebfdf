// The audit log's protection and verification.
//  - guard_audit_log: mycelium.audit_log is appended only by the verifying triggers; no row
//    is ever updated in its chained columns or deleted; the log (and the record tables) cannot
//    be truncated. A superuser can still disable the trigger: verify_audit is what catches that.
//  - verify_audit(shard_id): recomputes the shard's chain from the stored columns, checks the
//    primary's link signatures, and checks the shard's records and tombstones against the log.
#include "mycelium/audit.hpp"
#include "mycelium/canonical_json.hpp"
#include "mycelium/error.hpp"
#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/epochs.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/ext/node_key.hpp"
#include "mycelium/replica_signing.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/datum.h"
}

#include <cstring>
#include <map>
#include <optional>

using namespace mycelium;
using mycelium::ext::InternalOp;
using mycelium::ext::InternalScope;

namespace {

// The replication status columns are the only ones an UPDATE may touch.
bool only_status_changed(TriggerData *trigger) {
  const TupleDesc desc = trigger->tg_relation->rd_att;
  for (int i = 0; i < desc->natts; ++i) {
    const Form_pg_attribute att = TupleDescAttr(desc, i);
    const std::string name = NameStr(att->attname);
    if (att->attisdropped || name == "push_state" || name == "attempts" || name == "last_attempt" ||
        name == "last_error")
      continue;
    bool old_null = false, new_null = false;
    // heap_getattr cannot raise: it reads an in-memory tuple (no detoasting, no allocation).
    const Datum old_value = heap_getattr(trigger->tg_trigtuple, i + 1, desc, &old_null);
    const Datum new_value = heap_getattr(trigger->tg_newtuple, i + 1, desc, &new_null);
    if (old_null != new_null)
      return false;
    if (!old_null &&
        !pg::call([&] { return datumIsEqual(old_value, new_value, att->attbyval, att->attlen); }))
      return false;
  }
  return true;
}

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_guard_audit_log) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw Error("39P01", "guard_audit_log must be called as a trigger");
  auto *trigger = reinterpret_cast<TriggerData *>(fcinfo->context);
  const std::string table = RelationGetRelationName(trigger->tg_relation);
  if (TRIGGER_FIRED_BY_TRUNCATE(trigger->tg_event))
    throw Error(sqlstate::kAuditLogAppendOnly,
                "mycelium." + table +
                    " cannot be truncated; drop shards with mycelium.drop_shard()");
  if (TRIGGER_FIRED_BY_INSERT(trigger->tg_event) && InternalScope::active(InternalOp::AuditAppend))
    return PointerGetDatum(trigger->tg_trigtuple);
  if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) &&
      InternalScope::active(InternalOp::StatusUpdate) && only_status_changed(trigger))
    return PointerGetDatum(trigger->tg_newtuple);
  // A replica's copy of another node's log goes with the replica (remove_replica).
  if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event)) {
    bool is_null = false;
    const Datum shard = pg::call([&] {
      return SPI_getbinval(trigger->tg_trigtuple, trigger->tg_relation->rd_att,
                           SPI_fnumber(trigger->tg_relation->rd_att, "shard_id"), &is_null);
    });
    // An elected shard's entries a later epoch superseded move to moved_aside_entries.
    if (!is_null) {
      const std::string shard_id = pg::call([&] { return TextDatumGetCString(shard); });
      if (InternalScope::active(InternalOp::DropShard, shard_id) ||
          InternalScope::active(InternalOp::MoveAside, shard_id))
        return PointerGetDatum(trigger->tg_trigtuple);
    }
  }
  throw Error(sqlstate::kAuditLogAppendOnly,
              "mycelium.audit_log is append-only: entries are written by the verifying "
              "triggers and never changed or removed");
}

namespace {

struct Verdict {
  bool valid = true;
  std::int64_t entries = 0;
  std::optional<std::int64_t> first_broken;
  std::string reason;

  void fail(std::int64_t change_id, std::string why) {
    valid = false;
    first_broken = change_id;
    reason = std::move(why);
  }
};

mycelium::Hash to_hash(const std::optional<std::string> &bytes) {
  mycelium::Hash h{};
  if (bytes && bytes->size() == h.size())
    std::memcpy(h.data(), bytes->data(), h.size());
  return h;
}

// The key each origin node signed its links with: as registered here; for this node itself,
// when it is not registered (a single node), the key of mycelium.node_key_file.
using OriginKeys = std::map<std::string, std::optional<PublicKey>>;
OriginKeys origin_keys(const std::string &shard_id) {
  OriginKeys keys;
  for (const std::string &origin : catalog::audit_origins(shard_id)) {
    std::optional<PublicKey> key;
    const std::optional<catalog::NodeRow> node = catalog::find_node(origin);
    if (node) {
      key = parse_public_key(node->public_key);
    } else if (origin == catalog::local_node_id()) {
      try {
        key = ext::node_key().public_key();
      } catch (const Error &) {
        // No key configured: the links cannot be checked, which check_entry reports.
      }
    }
    keys.emplace(origin, key);
  }
  return keys;
}

// Which terms the shard's entries may carry. A fixed-primary shard: term 0 only (v1 links). An
// elected shard: each entry's term is an epoch applied here, whose primary appended it after the
// epoch's start and which no later epoch superseded; terms never decrease (v2 links).
// `known` is false for a shard that no longer exists here: each entry's own term picks its link.
struct TermRules {
  bool known = true;
  bool elected = false;
  std::vector<catalog::ShardEpoch> epochs;
};

// Why an entry's term is not one the shard's rules allow; empty when it is.
std::string term_problem(const catalog::AuditEntry &e, const TermRules &rules,
                         std::int64_t prev_term) {
  const std::string term = "term " + std::to_string(e.term);
  if (!rules.known)
    return {};
  if (!rules.elected)
    return e.term == 0 ? std::string()
                       : "entry has " + term + ", but the shard is a fixed-primary shard (term 0)";
  if (e.term <= 0)
    return "entry has term 0, but the shard is elected (its entries carry their epoch's term)";
  if (e.term < prev_term)
    return "entry has " + term + ", lower than the entry before it (term " +
           std::to_string(prev_term) + "): terms never decrease along the chain";
  const catalog::ShardEpoch *epoch = nullptr;
  for (const catalog::ShardEpoch &x : rules.epochs)
    if (x.term == e.term)
      epoch = &x;
  if (!epoch)
    return "entry has " + term + ", an epoch never applied here";
  if (epoch->primary_node != e.origin_node)
    return "entry has " + term + " and origin \"" + e.origin_node + "\", but epoch " +
           std::to_string(e.term) + "'s primary is \"" + epoch->primary_node + "\"";
  if (e.seq <= epoch->start_seq)
    return "entry has " + term + ", whose epoch appends only after seq " +
           std::to_string(epoch->start_seq);
  for (const catalog::ShardEpoch &later : rules.epochs)
    if (later.term > e.term && later.start_seq < e.seq)
      return "entry has " + term + " but epoch " + std::to_string(later.term) +
             " superseded it (appends after seq " + std::to_string(later.start_seq) +
             "): it should have been moved aside";
  return {};
}

// Checks one entry against the running chain state.
void check_entry(const catalog::AuditEntry &e, const std::string &shard_id, const OriginKeys &keys,
                 const TermRules &rules, std::int64_t &seq, std::int64_t &prev_term,
                 mycelium::Hash &prev, Verdict &verdict) {
  if (e.seq != seq + 1)
    return verdict.fail(e.change_id, "entry has seq " + std::to_string(e.seq) + ", expected " +
                                         std::to_string(seq + 1) + " (an entry is missing)");
  if (!e.prev_hash || *e.prev_hash != std::string(prev.begin(), prev.end()))
    return verdict.fail(e.change_id, "prev_hash does not link to the previous entry");

  Bytes payload;
  Signature signature{};
  try {
    if (e.op == "put")
      payload = put_payload(shard_id, e.key, e.version, e.created_by,
                            canonical_json(e.value_json.value_or("null")));
    else
      payload = delete_payload(shard_id, e.key, e.version, e.created_by);
    signature = parse_signature(e.signature_hex);
  } catch (const Error &error) {
    return verdict.fail(e.change_id, std::string("entry cannot be re-encoded: ") + error.what());
  }
  const mycelium::Hash expected =
      audit_entry_hash(prev, static_cast<std::uint64_t>(e.seq), payload, signature, e.origin_node,
                       static_cast<std::uint64_t>(e.created_at_us));
  if (to_hash(e.entry_hash) != expected)
    return verdict.fail(e.change_id, "entry_hash does not match the entry's contents");
  if (const std::string problem = term_problem(e, rules, prev_term); !problem.empty())
    return verdict.fail(e.change_id, problem);
  const auto origin_key = keys.find(e.origin_node);
  if (origin_key == keys.end() || !origin_key->second)
    return verdict.fail(e.change_id, "the link signature cannot be checked: origin node \"" +
                                         e.origin_node + "\" is not registered here");
  Signature link{};
  try {
    link = parse_signature(e.link_signature_hex, "link_signature");
  } catch (const Error &error) {
    return verdict.fail(e.change_id, error.what());
  }
  // The entry's term picks the link: v1 at term 0, v2 (covering the term) after.
  if (!verify(link,
              link_payload(shard_id, static_cast<std::uint64_t>(e.seq), expected, e.origin_node,
                           static_cast<std::uint64_t>(e.term)),
              *origin_key->second))
    return verdict.fail(e.change_id,
                        "the link signature does not verify with the key of origin "
                        "node \"" +
                            e.origin_node + "\"" +
                            (e.term > 0 ? " over term " + std::to_string(e.term) : std::string()));
  seq = e.seq;
  prev_term = e.term;
  prev = expected;
  ++verdict.entries;
}

// Every record and tombstone of the shard against the log's latest entry for its key (entries
// after base_seq: a re-created primary shard continues its old chain but starts empty). A
// record changed behind the triggers' back (a rollback to an older, genuinely signed version;
// an edited value; a record with no entry; a missing one) is found here even though every
// signature verifies.
void check_records(const std::string &shard_id, std::int64_t base_seq, Verdict &verdict) {
  const std::optional<catalog::RecordMismatch> mismatch =
      catalog::first_record_mismatch(shard_id, base_seq);
  if (!mismatch)
    return;
  verdict.valid = false;
  if (mismatch->change_id)
    verdict.first_broken = *mismatch->change_id;
  verdict.reason = mismatch->problem;
  if (mismatch->keys > 1)
    verdict.reason += " (and " + std::to_string(mismatch->keys - 1) + " more key" +
                      (mismatch->keys > 2 ? "s" : "") + ")";
}

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_verify_audit) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  Verdict verdict;
  {
    pg::SpiConnection spi;
    const std::optional<catalog::ShardRow> shard =
        catalog::find_shard(shard_id, catalog::RowLock::none);
    const bool shard_exists = shard.has_value();
    const std::int64_t head_seq = shard_exists ? shard->head_seq : 0;
    const mycelium::Hash head_hash =
        to_hash(shard_exists ? std::optional<std::string>(shard->head_hash) : std::nullopt);
    const std::int64_t base_seq = shard_exists ? shard->base_seq : 0;
    // A remote shard's records live on its primary, which verifies them there.
    const bool has_records = shard_exists && shard->kind != catalog::ShardKind::Remote;

    // Read in pages keyed by seq so that a large shard is never held in memory at once.
    constexpr std::int64_t kPage = 1000;
    const OriginKeys keys = origin_keys(shard_id);
    TermRules rules;
    rules.known = shard_exists;
    rules.elected = shard_exists && shard->elected;
    if (rules.elected)
      rules.epochs = catalog::shard_epochs(shard_id);
    std::int64_t seq = 0;
    std::int64_t prev_term = 0;
    mycelium::Hash prev{};
    bool any = false;
    for (;;) {
      const std::vector<catalog::AuditEntry> page =
          catalog::audit_entries_after(shard_id, seq, kPage);
      for (const catalog::AuditEntry &entry : page) {
        if (!verdict.valid)
          break;
        any = true;
        check_entry(entry, shard_id, keys, rules, seq, prev_term, prev, verdict);
      }
      if (static_cast<std::int64_t>(page.size()) < kPage || !verdict.valid)
        break;
    }
    if (!shard_exists && !any)
      throw Error(sqlstate::kUndefinedObject, "shard \"" + shard_id + "\" does not exist");
    if (verdict.valid && shard_exists && (seq != head_seq || prev != head_hash)) {
      verdict.valid = false;
      verdict.reason = "the chain ends at seq " + std::to_string(seq) +
                       " but the shard's recorded head is seq " + std::to_string(head_seq) +
                       " (entries were removed or the head was changed)";
    }
    if (verdict.valid && has_records)
      check_records(shard_id, base_seq, verdict);
  }

  TupleDesc desc;
  pg::call([&] { return get_call_result_type(fcinfo, nullptr, &desc); });
  Datum values[4];
  bool nulls[4] = {false, false, !verdict.first_broken.has_value(), verdict.reason.empty()};
  values[0] = BoolGetDatum(verdict.valid);
  values[1] = Int64GetDatum(verdict.entries);
  values[2] = Int64GetDatum(verdict.first_broken.value_or(0));
  values[3] = verdict.reason.empty() ? Datum(0) : pg::text_datum(verdict.reason);
  HeapTuple tuple = pg::call([&] { return heap_form_tuple(BlessTupleDesc(desc), values, nulls); });
  return HeapTupleGetDatum(tuple); // cannot raise: no TOAST pointer in it, nothing to flatten
}
