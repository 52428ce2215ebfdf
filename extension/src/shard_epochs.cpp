// mycelium.apply_shard_epoch: an elected shard's epoch, committed by the shard's Raft group,
// applied to this node's database (schemas/CONSENSUS.md, "Elected shards: epochs, terms and
// moved-aside entries"). The local agent calls it for every committed epoch, in log order; it is
// idempotent and monotonic, so replaying the log after a restart changes nothing.
//
// An epoch {term, primary, start_seq, start_hash} says: from `term` on, `primary` appends the
// shard's entries after start_seq, whose hash is start_hash. Entries this node holds after
// start_seq were written in an earlier term and never became part of the group's chain: they
// move to mycelium.moved_aside_entries (kept, never applied), and the records and tombstones of
// the keys they touched are restored to what the entries up to start_seq made them.
#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/epochs.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/catalog/replicas.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/error.hpp"
#include "mycelium/ext/inbox.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/node_id.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/tuplestore.h"
}

#include <string>
#include <vector>

using namespace mycelium;

namespace {

// 42809 wrong_object_type: the shard exists but is not elected.
constexpr const char *kWrongObjectType = "42809";

struct EpochArgs {
  std::string shard_id;
  catalog::ShardEpoch epoch;
  // The group's members as the applying agent knows them (NULL: not given): on the new primary
  // each gets a replicas row, so that the primary pushes to them and its elected_shards view
  // lists them as voters (else the leader would remove them from the group).
  std::vector<std::string> members;
};

std::string hex_of(const std::string &raw) {
  return to_hex(reinterpret_cast<const std::uint8_t *>(raw.data()), raw.size());
}

EpochArgs epoch_args(FunctionCallInfo fcinfo) {
  EpochArgs a;
  a.shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  a.epoch.term = pg::int8_arg(fcinfo, 1, "term");
  if (a.epoch.term < 1)
    throw Error(sqlstate::kInvalidParameterValue,
                "term must be 1 or more (a Raft term), got " + std::to_string(a.epoch.term));
  a.epoch.primary_node = pg::text_arg(fcinfo, 2, "primary_node");
  check_node_id(a.epoch.primary_node, "primary_node");
  a.epoch.start_seq = pg::int8_arg(fcinfo, 3, "start_seq");
  if (a.epoch.start_seq < 0)
    throw Error(sqlstate::kInvalidParameterValue,
                "start_seq must be 0 or more, got " + std::to_string(a.epoch.start_seq));
  if (pg::arg_is_null(fcinfo, 4))
    throw Error(sqlstate::kInvalidParameterValue, "start_hash must not be NULL");
  bytea *hash = pg::call([&] { return PG_GETARG_BYTEA_PP(4); });
  a.epoch.start_hash.assign(VARDATA_ANY(hash), VARSIZE_ANY_EXHDR(hash));
  if (a.epoch.start_hash.size() != 32)
    throw Error(sqlstate::kInvalidParameterValue,
                "start_hash must be 32 bytes (an entry hash), got " +
                    std::to_string(a.epoch.start_hash.size()));
  if (a.epoch.start_seq == 0 && a.epoch.start_hash != std::string(32, '\0'))
    throw Error(sqlstate::kInvalidParameterValue,
                "start_hash must be 32 zero bytes when start_seq is 0 (the chain's start)");
  if (!pg::arg_is_null(fcinfo, 5)) {
    a.members = pg::text_array_arg(fcinfo, 5, "members");
    for (std::size_t i = 0; i < a.members.size(); ++i)
      check_node_id(a.members[i], ("members[" + std::to_string(i + 1) + "]").c_str());
  }
  return a;
}

bool same_epoch(const catalog::ShardEpoch &a, const catalog::ShardEpoch &b) {
  return a.term == b.term && a.primary_node == b.primary_node && a.start_seq == b.start_seq &&
         a.start_hash == b.start_hash;
}

struct Outcome {
  std::string outcome;
  std::int64_t moved_aside = 0;
};

Outcome apply_epoch(const EpochArgs &args) {
  const std::string &shard_id = args.shard_id;
  const catalog::ShardEpoch &epoch = args.epoch;
  if (ext::inbox_statement_running())
    throw Error(sqlstate::kReplicaRefused,
                "apply_shard_epoch cannot run inside a statement that writes mycelium.inbox");
  // Locked: writes (lock_shard_for_write) and deliveries (the inbox) of the shard wait for the
  // epoch, and see it when they go on.
  const catalog::ShardRow shard = catalog::existing_shard(shard_id, catalog::RowLock::for_update);
  if (!shard.elected)
    throw Error(kWrongObjectType,
                "shard \"" + shard_id + "\" is not elected (a " + catalog::to_string(shard.kind) +
                    " of a fixed-primary shard here): epochs apply to elected shards only");
  if (epoch.term < shard.term)
    return {"stale", 0};
  if (epoch.term == shard.term) {
    const std::optional<catalog::ShardEpoch> applied = catalog::shard_epoch(shard_id, epoch.term);
    if (applied && same_epoch(*applied, epoch)) {
      // Applied before (the agent restarted): the members may have changed since.
      if (epoch.primary_node == catalog::local_node_id())
        catalog::adopt_group_members(shard_id, epoch.primary_node, args.members);
      return {"already", 0};
    }
    // One epoch per term: the group's leader of a term proposes one. Another one is not the
    // group's log: applying it would let two primaries append in one term.
    throw Error(sqlstate::kReplicaRefused,
                "epoch " + std::to_string(epoch.term) + " of shard \"" + shard_id +
                    "\" was already applied here as a different epoch" +
                    (applied ? " (primary \"" + applied->primary_node + "\" after seq " +
                                   std::to_string(applied->start_seq) + ")"
                             : std::string()) +
                    ": a term has one epoch");
  }
  if (epoch.start_seq < shard.base_seq)
    throw Error(sqlstate::kReplicaRefused,
                "epoch " + std::to_string(epoch.term) + " of shard \"" + shard_id +
                    "\" starts after seq " + std::to_string(epoch.start_seq) +
                    ", before this node's copy of the shard began (seq " +
                    std::to_string(shard.base_seq) + "): this node needs a fresh copy");
  // This node's entry at start_seq must be the epoch's: else the chains forked before it, and
  // no moving aside repairs that.
  if (shard.head_seq >= epoch.start_seq) {
    const std::optional<std::string> mine =
        epoch.start_seq == 0 ? std::optional<std::string>(std::string(32, '\0'))
                             : catalog::audit_entry_hash_at(shard_id, epoch.start_seq);
    if (mine != epoch.start_hash)
      throw Error(sqlstate::kReplicaRefused,
                  "shard \"" + shard_id + "\" diverged from epoch " + std::to_string(epoch.term) +
                      ": this node's entry " + std::to_string(epoch.start_seq) + " has hash " +
                      (mine ? hex_of(*mine) : std::string("(none)")) + ", the epoch's is " +
                      hex_of(epoch.start_hash) +
                      "; nothing was changed: this node needs a fresh copy of the shard");
  }

  Outcome out;
  if (shard.head_seq > epoch.start_seq) {
    const std::string reason = "superseded by epoch " + std::to_string(epoch.term) +
                               " (primary \"" + epoch.primary_node + "\" appends after seq " +
                               std::to_string(epoch.start_seq) + ")";
    out.moved_aside =
        catalog::move_aside_after(shard_id, epoch.start_seq, shard.base_seq, epoch.term, reason);
    catalog::write_shard_head(shard_id, epoch.start_seq,
                              reinterpret_cast<const std::uint8_t *>(epoch.start_hash.data()),
                              epoch.start_hash.size());
  }
  catalog::insert_shard_epoch(shard_id, epoch);
  const std::string self = catalog::local_node_id();
  const bool primary = epoch.primary_node == self;
  catalog::set_shard_epoch(shard_id,
                           primary ? catalog::ShardKind::Primary : catalog::ShardKind::Replica,
                           epoch.primary_node, epoch.term);
  if (primary) {
    // Pushes go to the shard's other holders: the primaries of earlier epochs, its own replicas
    // if it was primary before, and the group's members the agent names.
    catalog::adopt_epoch_holders(shard_id, self);
    catalog::adopt_group_members(shard_id, self, args.members);
  } else
    // What this node pushed before, as a primary, beyond the epoch's start is gone here.
    catalog::clamp_pushed_seq(shard_id, epoch.start_seq);
  out.outcome = primary ? "primary" : "replica";

  if (out.moved_aside > 0) {
    const catalog::MovedTerms terms = catalog::moved_aside_terms(shard_id, epoch.term);
    const std::string message =
        "shard \"" + shard_id + "\": " + std::to_string(out.moved_aside) + " entr" +
        (out.moved_aside == 1 ? "y" : "ies") + " after seq " + std::to_string(epoch.start_seq) +
        " (term " +
        (terms.lowest == terms.highest
             ? std::to_string(terms.lowest)
             : std::to_string(terms.lowest) + " to " + std::to_string(terms.highest)) +
        ") moved aside to mycelium.moved_aside_entries: epoch " + std::to_string(epoch.term) +
        " (primary \"" + epoch.primary_node +
        "\") superseded them; the records they changed are restored";
    pg::call([&] { ereport(NOTICE, (errmsg("%s", message.c_str()))); });
  }
  return out;
}

} // namespace

// apply_shard_epoch(shard_id, term, primary_node, start_seq, start_hash, members)
//   RETURNS TABLE (outcome text, moved_aside bigint)
MYCELIUM_SQL_FUNCTION(mycelium_apply_shard_epoch) {
  const EpochArgs args = epoch_args(fcinfo);
  Outcome out;
  {
    pg::SpiConnection spi;
    out = apply_epoch(args);
  }
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  const Datum outcome = pg::text_datum(out.outcome);
  pg::call([&] {
    InitMaterializedSRF(fcinfo, 0);
    Datum values[2] = {outcome, Int64GetDatum(out.moved_aside)};
    bool nulls[2] = {false, false};
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  });
  return Datum(0);
}
