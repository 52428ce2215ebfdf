// mycelium.blacklist_add and blacklist_payload: blacklist entries, verified by the database.
//
// An entry says "validator created_by bans node_id until expires_at_ms" and carries
// created_by's Ed25519 signature over blacklist_entry_payload (PROTOCOL.md, "BlacklistSync").
// Entries travel between agents further than one hop, so the peer that delivers one proves
// nothing about it: the database accepts an entry only on its creator's signature, checked
// against the key registered here, with the same signing code as the agent (core signing.cpp).
// A refused entry raises its own SQLSTATE and stores nothing; an authentic entry that is not
// news (held already, older than the creator's newer decision, or older than a lift) is not an
// error: the agent receives the same entries from every peer, and the return value tells it
// which case it met.
#include "mycelium/catalog/blacklist.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"
#include "mycelium/node_id.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"
#include "mycelium/signing.hpp"

extern "C" {
#include "utils/timestamp.h"
}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using namespace mycelium;

namespace {

// The agent's policy allows the same skew (PROTOCOL.md, "Blacklist"): an entry from a creator
// whose clock runs a little ahead is still accepted. One dated further ahead would win every
// "latest decision" comparison until that date, and escape lifts made before it.
constexpr std::int64_t kMaxClockSkewMs = 60'000;
// Reasons are shown to operators and relayed to every node: long enough for a sentence, short
// enough that a valid signature cannot make every node store a large blob.
constexpr std::size_t kMaxReasonBytes = 1000;

// Wall-clock time, not the transaction's start: validity is judged against the creator's signed
// times, and an agent's transaction may have begun a while ago. SQL uses clock_timestamp() for
// the same reason (blacklist_lift, blacklist_expire, list_blacklist).
std::int64_t now_unix_ms() {
  return pg::unix_us(GetCurrentTimestamp()) / 1000; // cannot raise: reads the clock
}

// The signed fields; blacklist_add adds the signature and where the entry came from.
using Entry = catalog::BlacklistEntryRow;

// The fields every caller of the payload passes; the same shape checks for both functions.
Entry entry_args(FunctionCallInfo fcinfo) {
  Entry e;
  e.node_id = pg::text_arg(fcinfo, 0, "node_id");
  e.reason = pg::text_arg(fcinfo, 1, "reason");
  e.created_by = pg::text_arg(fcinfo, 2, "created_by");
  e.created_at_ms = pg::int8_arg(fcinfo, 3, "created_at_ms");
  e.expires_at_ms = pg::int8_arg(fcinfo, 4, "expires_at_ms");

  check_node_id(e.node_id, "node_id");
  if (e.reason.empty())
    throw Error(sqlstate::kInvalidParameterValue, "reason must not be empty");
  if (e.reason.size() > kMaxReasonBytes)
    throw Error(sqlstate::kInvalidParameterValue,
                "reason must be at most " + std::to_string(kMaxReasonBytes) + " bytes, got " +
                    std::to_string(e.reason.size()));
  if (e.expires_at_ms != 0 && e.expires_at_ms <= e.created_at_ms)
    throw Error(sqlstate::kInvalidParameterValue,
                "expires_at_ms must be 0 (never) or later than created_at_ms, got " +
                    std::to_string(e.expires_at_ms) + " with created_at_ms " +
                    std::to_string(e.created_at_ms));
  // A validator banning itself is either a mistake or a way to make peers refuse it for a
  // reason it chose; neither is what a blacklist is for.
  if (e.node_id == e.created_by)
    throw Error(sqlstate::kInvalidParameterValue,
                "node \"" + e.node_id + "\" cannot blacklist itself");
  return e;
}

std::string describe(const Entry &e) {
  return "blacklist entry against \"" + e.node_id + "\" by \"" + e.created_by + "\"";
}

// created_by must be, now, a registered active validator; returns its key.
PublicKey creator_key(const Entry &e) {
  const std::optional<catalog::NodeRow> creator = catalog::find_node(e.created_by);
  if (!creator)
    throw Error(sqlstate::kUnknownSigner,
                describe(e) + ": creator \"" + e.created_by + "\" is not a registered node");
  if (!creator->active)
    throw Error(sqlstate::kInactiveSigner,
                describe(e) + ": creator \"" + e.created_by + "\" is not active");
  if (creator->type != catalog::NodeType::Validator)
    throw Error(sqlstate::kSignerNotValidator, describe(e) + ": creator \"" + e.created_by +
                                                   "\" is a " + catalog::to_string(creator->type) +
                                                   ", only validators may blacklist");
  return parse_public_key(creator->public_key, "public_key");
}

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_blacklist_payload) {
  const Entry e = entry_args(fcinfo);
  return pg::bytea_datum(
      blacklist_entry_payload(e.node_id, e.reason, e.created_by, e.created_at_ms, e.expires_at_ms));
}

MYCELIUM_SQL_FUNCTION(mycelium_blacklist_add) {
  // 1. Shape: nothing is looked up for an entry that cannot be valid.
  Entry e = entry_args(fcinfo);
  e.signature_hex = pg::text_arg(fcinfo, 5, "signature");
  const Signature signature = parse_signature(e.signature_hex, "signature");
  if (!pg::arg_is_null(fcinfo, 6)) {
    e.received_from = pg::text_arg(fcinfo, 6, "received_from");
    check_node_id(*e.received_from, "received_from");
  }

  pg::SpiConnection spi;
  // A lift and the entries it removes must not interleave with an add for the same node: an add
  // that read "no lift" and inserted after the lift's DELETE would undo the lift. Adds share the
  // lock (they conflict with each other only on their own row), blacklist_lift takes it alone.
  catalog::lock_blacklist_for_add(e.node_id);

  // 2. Authenticity: the creator, now, and its signature.
  const PublicKey key = creator_key(e);
  if (!verify(signature,
              blacklist_entry_payload(e.node_id, e.reason, e.created_by, e.created_at_ms,
                                      e.expires_at_ms),
              key))
    throw Error(sqlstate::kSignatureInvalid,
                describe(e) + ": signature does not verify with the creator's registered key");

  // 3. Time: an authentic entry may still be over, or dated too far ahead.
  const std::int64_t now_ms = now_unix_ms();
  if (e.expires_at_ms != 0 && e.expires_at_ms <= now_ms)
    throw Error(sqlstate::kInvalidParameterValue, describe(e) + " has expired (expires_at_ms " +
                                                      std::to_string(e.expires_at_ms) + ")");
  if (e.created_at_ms > now_ms + kMaxClockSkewMs)
    throw Error(sqlstate::kInvalidParameterValue,
                describe(e) + ": created_at_ms " + std::to_string(e.created_at_ms) +
                    " is more than 60 s ahead of this node's clock");

  // 4. News or not. An entry the lift already covered is refused so that peers still relaying
  // it cannot bring the ban back.
  if (catalog::lifted_since(e.node_id, e.created_at_ms))
    return pg::text_datum("lifted");

  // One entry per (node, creator): the creator's latest decision stands. A conflicting row is
  // locked even when not replaced, so the check below reads the row that won.
  if (catalog::store_blacklist_entry(e))
    return pg::text_datum("accepted");
  const bool duplicate = catalog::holds_blacklist_entry(e);
  return pg::text_datum(duplicate ? "duplicate" : "superseded");
}
