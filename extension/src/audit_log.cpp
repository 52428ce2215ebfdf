// The audit log's protection and verification.
//  - guard_audit_log: mycelium.sync_changes is appended only by the verifying triggers; no row
//    is ever updated in its chained columns or deleted; the log (and the record tables) cannot
//    be truncated. A superuser can still disable the trigger: verify_audit is what catches that.
//  - verify_audit(shard_id): recomputes the shard's chain from the stored columns, checks the
//    primary's link signatures, and checks the shard's records and tombstones against the log.
#include "mycelium/audit.hpp"
#include "mycelium/canonical_json.hpp"
#include "mycelium/error.hpp"
#include "mycelium/ext/shard_catalog.hpp"
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
    if (att->attisdropped || name == "sync_status" || name == "attempts" ||
        name == "last_attempt" || name == "last_error")
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
    if (!is_null && InternalScope::active(InternalOp::DropShard,
                                          pg::call([&] { return TextDatumGetCString(shard); })))
      return PointerGetDatum(trigger->tg_trigtuple);
  }
  throw Error(sqlstate::kAuditLogAppendOnly,
              "mycelium.sync_changes is append-only: entries are written by the verifying "
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
  static pg::Statement origins(
      "SELECT o.origin_node, m.public_key, o.origin_node = (SELECT node_id FROM "
      "mycelium.local_node) "
      "  FROM (SELECT DISTINCT origin_node FROM mycelium.sync_changes WHERE shard_id = $1) o "
      "  LEFT JOIN mycelium.node_metadata m ON m.node_id = o.origin_node");
  OriginKeys keys;
  const std::uint64_t n = origins.execute({pg::text_param(shard_id)});
  for (std::uint64_t row = 0; row < n; ++row) {
    std::optional<PublicKey> key;
    if (const std::optional<std::string> hex = pg::result_text(row, 2)) {
      key = parse_public_key(*hex);
    } else if (pg::result_bool(row, 3).value_or(false)) {
      try {
        key = ext::node_key().public_key();
      } catch (const Error &) {
        // No key configured: the links cannot be checked, which check_entry reports.
      }
    }
    keys.emplace(pg::result_text(row, 1).value_or(""), key);
  }
  return keys;
}

// Checks one entry (the current SPI result row) against the running chain state.
void check_entry(std::uint64_t row, const std::string &shard_id, const OriginKeys &keys,
                 std::int64_t &seq, mycelium::Hash &prev, Verdict &verdict) {
  const std::int64_t change_id = pg::result_int(row, 1).value_or(0);
  const std::int64_t entry_seq = pg::result_int(row, 2).value_or(0);
  if (entry_seq != seq + 1)
    return verdict.fail(change_id, "entry has seq " + std::to_string(entry_seq) + ", expected " +
                                       std::to_string(seq + 1) + " (an entry is missing)");
  const std::optional<std::string> prev_hash = pg::result_bytes(row, 10);
  if (!prev_hash || *prev_hash != std::string(prev.begin(), prev.end()))
    return verdict.fail(change_id, "prev_hash does not link to the previous entry");

  const std::string op = pg::result_text(row, 3).value_or("");
  const std::string key = pg::result_text(row, 4).value_or("");
  const std::int64_t version = pg::result_int(row, 5).value_or(0);
  const std::string created_by = pg::result_text(row, 7).value_or("");
  Bytes payload;
  Signature signature{};
  try {
    if (op == "put")
      payload = put_payload(shard_id, key, version, created_by,
                            canonical_json(pg::result_text(row, 6).value_or("null")));
    else
      payload = delete_payload(shard_id, key, version, created_by);
    signature = parse_signature(pg::result_text(row, 8).value_or(""));
  } catch (const Error &e) {
    return verdict.fail(change_id, std::string("entry cannot be re-encoded: ") + e.what());
  }
  const mycelium::Hash expected =
      audit_entry_hash(prev, static_cast<std::uint64_t>(entry_seq), payload, signature,
                       pg::result_text(row, 9).value_or(""),
                       static_cast<std::uint64_t>(pg::result_int(row, 11).value_or(0)));
  if (to_hash(pg::result_bytes(row, 12)) != expected)
    return verdict.fail(change_id, "entry_hash does not match the entry's contents");
  const std::string origin = pg::result_text(row, 9).value_or("");
  const auto origin_key = keys.find(origin);
  if (origin_key == keys.end() || !origin_key->second)
    return verdict.fail(change_id, "the link signature cannot be checked: origin node \"" + origin +
                                       "\" is not registered here");
  Signature link{};
  try {
    link = parse_signature(pg::result_text(row, 13).value_or(""), "link_signature");
  } catch (const Error &e) {
    return verdict.fail(change_id, e.what());
  }
  if (!verify(link, link_payload(shard_id, static_cast<std::uint64_t>(entry_seq), expected, origin),
              *origin_key->second))
    return verdict.fail(change_id, "the link signature does not verify with the key of origin "
                                   "node \"" +
                                       origin + "\"");
  seq = entry_seq;
  prev = expected;
  ++verdict.entries;
}

// Every record and tombstone of the shard against the log's latest entry for its key (entries
// after base_seq: a re-created primary shard continues its old chain but starts empty). A
// record changed behind the triggers' back (a rollback to an older, genuinely signed version;
// an edited value; a record with no entry; a missing one) is found here even though every
// signature verifies.
void check_records(const std::string &shard_id, std::int64_t base_seq, Verdict &verdict) {
  static pg::Statement problems(
      "WITH latest AS ("
      "  SELECT DISTINCT ON (c.key) c.change_id, c.key, c.op, c.version, c.value, c.created_by, "
      "         c.signature "
      "    FROM mycelium.sync_changes c WHERE c.shard_id = $1 AND c.seq > $2 "
      "   ORDER BY c.key, c.seq DESC), "
      "keys AS (SELECT l.key FROM latest l "
      "         UNION SELECT d.key FROM mycelium.data d WHERE d.shard_id = $1 "
      "         UNION SELECT t.key FROM mycelium.tombstones t WHERE t.shard_id = $1), "
      "checked AS ("
      "  SELECT k.key, l.change_id, CASE "
      "    WHEN l.key IS NULL AND d.key IS NOT NULL THEN format("
      "      'record %I (version %s) has no audit entry', k.key, d.version) "
      "    WHEN l.key IS NULL THEN format('the tombstone of %I has no audit entry', k.key) "
      "    WHEN l.op = 'put' AND d.key IS NULL THEN format("
      "      'record %I is missing: the log''s latest entry for it is a put of version %s', "
      "      k.key, l.version) "
      "    WHEN l.op = 'put' AND (d.version, d.created_by) IS DISTINCT FROM (l.version, "
      "l.created_by) "
      "      THEN format('record %I is version %s by %s, but the log''s latest entry for it is a "
      "put of version %s by %s', k.key, d.version, d.created_by, l.version, l.created_by) "
      "    WHEN l.op = 'put' AND (d.signature IS DISTINCT FROM l.signature OR d.value IS DISTINCT "
      "      FROM l.value) THEN format('record %I differs from the log''s put of version %s', "
      "      k.key, l.version) "
      "    WHEN l.op = 'put' AND t.version >= l.version THEN format("
      "      'the tombstone of %I (version %s) is not older than its latest put (version %s)', "
      "      k.key, t.version, l.version) "
      "    WHEN l.op = 'delete' AND d.key IS NOT NULL THEN format("
      "      'record %I (version %s) exists, but the log''s latest entry for it is a delete of "
      "version %s', k.key, d.version, l.version) "
      "    WHEN l.op = 'delete' AND (t.version, t.created_by, t.signature) IS DISTINCT FROM "
      "      (l.version, l.created_by, l.signature) THEN format("
      "      'the tombstone of %I does not match the log''s delete of version %s', "
      "      k.key, l.version) "
      "  END AS problem "
      "  FROM keys k LEFT JOIN latest l ON l.key = k.key "
      "  LEFT JOIN mycelium.data d ON d.shard_id = $1 AND d.key = k.key "
      "  LEFT JOIN mycelium.tombstones t ON t.shard_id = $1 AND t.key = k.key) "
      "SELECT count(*) OVER (), c.change_id, c.problem FROM checked c "
      " WHERE c.problem IS NOT NULL ORDER BY c.key LIMIT 1");
  if (problems.execute({pg::text_param(shard_id), pg::int8_param(base_seq)}) == 0)
    return;
  const std::int64_t count = pg::result_int(0, 1).value_or(1);
  verdict.valid = false;
  if (const std::optional<std::int64_t> change_id = pg::result_int(0, 2))
    verdict.first_broken = *change_id;
  verdict.reason = pg::result_text(0, 3).value_or("a record does not match the log");
  if (count > 1)
    verdict.reason +=
        " (and " + std::to_string(count - 1) + " more key" + (count > 2 ? "s" : "") + ")";
}

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_verify_audit) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  Verdict verdict;
  {
    pg::SpiConnection spi;
    const std::optional<ext::ShardRow> shard = ext::find_shard(shard_id, ext::RowLock::none);
    const bool shard_exists = shard.has_value();
    const std::int64_t head_seq = shard_exists ? shard->head_seq : 0;
    const mycelium::Hash head_hash =
        to_hash(shard_exists ? std::optional<std::string>(shard->head_hash) : std::nullopt);
    const std::int64_t base_seq = shard_exists ? shard->base_seq : 0;
    // A remote shard's records live on its primary, which verifies them there.
    const bool has_records = shard_exists && shard->kind != ext::ShardKind::Remote;

    // Read in pages keyed by seq so that a large shard is never held in memory at once.
    static pg::Statement page(
        "SELECT change_id, seq, op, key, version, value::text, created_by, signature, "
        "       origin_node, prev_hash, "
        "       (extract(epoch FROM created_at) * 1000000)::bigint, entry_hash, link_signature "
        "  FROM mycelium.sync_changes WHERE shard_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000");
    const OriginKeys keys = origin_keys(shard_id);
    std::int64_t seq = 0;
    mycelium::Hash prev{};
    bool any = false;
    for (;;) {
      const std::uint64_t n = page.execute({pg::text_param(shard_id), pg::int8_param(seq)});
      for (std::uint64_t row = 0; row < n && verdict.valid; ++row) {
        any = true;
        check_entry(row, shard_id, keys, seq, prev, verdict);
      }
      if (n < 1000 || !verdict.valid)
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
